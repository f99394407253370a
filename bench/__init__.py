"""slim-mse-bench: the harness around the tiers in :mod:`slimbench.impls`.

``slimbench.run(...)`` and ``slimbench.check(...)`` are the Python API
(:mod:`slimbench.notebook.api`); ``%load_ext slimbench`` loads the notebook magics
(:mod:`slimbench.notebook.magics`). Both are imported on first use, so ``import slimbench``
imports neither the tiers nor IPython.
"""

from .version import __version__  # noqa: F401  (slimbench.__version__)

_API = ("run", "check")


def __getattr__(name: str):
    if name in _API:
        from .notebook import api

        return getattr(api, name)
    raise AttributeError(f"module 'slimbench' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:
    """``%load_ext slimbench``: register the magics (this is where IPython is first imported)."""
    from .notebook.magics import load_ipython_extension as load

    load(ipython)
