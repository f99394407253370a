# The two commands of the README. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall (and so rebuild the Cython tiers) whenever the build inputs change.
$(STAMP): $(BIN)/python pyproject.toml setup.py $(wildcard impls/*.pyx impls/*.pxd impls/*.pxi impls/_indptr_loop.py)
	$(BIN)/python -m pip install -q -e ".[test,numba]"
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf build $(VENV) *.egg-info impls/*.c impls/*.so .pytest_cache
