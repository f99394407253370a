"""Import the compiled tier modules without making a missing build fatal."""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType


@cache
def load_compiled(module: str) -> tuple[ModuleType | None, str | None]:
    """Return (module, None), or (None, why it cannot be imported)."""
    try:
        return importlib.import_module(f"{__package__}.{module}"), None
    except ImportError as exc:  # a source checkout whose extensions were never built
        return None, (
            f"compiled module slimbench.impls.{module} is not built ({exc}); "
            "install the project (`pip install .` or `make test`) to build it"
        )


def require_compiled(module: str) -> ModuleType:
    """The compiled module; only called after ``unavailable_reason`` said it exists."""
    mod, reason = load_compiled(module)
    if mod is None:
        raise ImportError(reason)
    return mod
