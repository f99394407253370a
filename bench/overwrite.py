"""Nothing a user has is overwritten by surprise: an existing output file needs ``--force``,
and an output that is one of the command's own inputs is refused even with it.

Leaf module, used where a command writes a file the user named (``stats --write-dat``,
``train --write-split``); output folders are claimed by slimbench.output.outdir.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .impls import InvalidInputError


def same_file(a: Path, b: Path) -> bool:
    """True where ``a`` and ``b`` name one file (links and ``..`` followed)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare the resolved names
        return a.resolve() == b.resolve()


def refuse_overwrite(
    target: Path, *, force: bool, inputs: Iterable[Path], option: str
) -> None:
    """Raise InvalidInputError where writing ``target`` would replace an input or, without
    ``force``, a file that exists; ``option`` is the flag that named it (for the message)."""
    for source in inputs:
        if same_file(target, source):
            raise InvalidInputError(
                f"{option} {str(target)!r} is the dataset being read; writing it would "
                "destroy the input. Choose another path."
            )
    if os.path.lexists(target) and not force:
        raise InvalidInputError(
            f"{option} {str(target)!r} already exists; pass --force to replace it, or choose "
            "another path."
        )
