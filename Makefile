# The two commands of the README. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# `make bench` options, e.g. `make bench BENCH_ARGS="--budget 60 --tiers cython-rand"`
BENCH_ARGS ?=

.PHONY: test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall (and so rebuild the Cython tiers) whenever the build inputs change.
$(STAMP): $(BIN)/python pyproject.toml setup.py impls/build_settings.py $(wildcard impls/*.pyx impls/*.pxd impls/*.pxi impls/*.h impls/_indptr_loop.py)
	$(BIN)/python -m pip install -q -e ".[test,numba,dask,notebook]"
	touch $@

# Two pytest-xdist workers, each test file whole on one of them (--dist loadfile): a file's
# module and session fixtures (a run, a build, the benchmarks' verdicts) are made once, and
# the check's reference is shared through the session's on-disk cache (tests/conftest.py).
# Files are handed out in collection order (--no-loadscope-reorder), which tests/conftest.py
# starts with the slowest files, so neither worker is left alone on a long file at the end;
# --durations=20 puts the slowest tests in every log.
test: $(STAMP)
	$(BIN)/python -m pytest -q --benchmark-disable -n 2 --dist loadfile --no-loadscope-reorder \
		--durations=20

# The main job: cross-check, then time every tier on the embedded synthetic-ml10m default
# (about 6 minutes on 2 cores, 17 tiers); writes reports/<date>-<time>/ with the HTML report.
bench: $(STAMP)
	$(BIN)/slimbench run --budget 16 --rounds 9 $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf build $(VENV) *.egg-info impls/*.c impls/*.so .pytest_cache
