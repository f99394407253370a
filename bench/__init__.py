"""slim-mse-bench: the harness around the tiers in :mod:`slimbench.impls`."""

__version__ = "0.1.0"
