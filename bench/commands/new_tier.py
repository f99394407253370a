"""``slimbench new-tier NAME``: write a starting file in the function contract form."""

from __future__ import annotations

import argparse
import re
from importlib.resources import files
from pathlib import Path
from string import Template

from ..impls import SlimBenchError


def add_parser(sub: argparse._SubParsersAction) -> None:
    new = sub.add_parser(
        "new-tier",
        help="write a commented starting file for your own tier (the seed's In [40] loop)",
        description="Write NAME.pyx (default) or NAME.py: the seed's In [40] loop in the "
        "function contract, which passes `slimbench check --tier-file` as written.",
    )
    new.add_argument("name", help="the tier's name (letters, digits, '-' and '_')")
    kind = new.add_mutually_exclusive_group()
    kind.add_argument(
        "--pyx",
        action="store_const",
        const=".pyx",
        dest="suffix",
        help="a Cython file, compiled on the fly (default)",
    )
    kind.add_argument(
        "--py", action="store_const", const=".py", dest="suffix", help="a plain Python file"
    )
    new.add_argument("--out", default=None, help="the file to write (default: ./NAME.pyx)")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.set_defaults(func=handle, suffix=".pyx")


def handle(args: argparse.Namespace) -> int:
    """Write the template; refuse to overwrite without --force."""
    name = args.name.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
        raise SlimBenchError(
            f"tier name {name!r}: use letters, digits, '-' and '_', starting with a letter."
        )
    path = Path(args.out) if args.out else Path(re.sub(r"\W", "_", name) + args.suffix)
    if path.suffix != args.suffix:
        raise SlimBenchError(f"--out {str(path)!r} must end in {args.suffix}.")
    if path.exists() and not args.force:
        raise SlimBenchError(f"{str(path)!r} exists; pass --force to overwrite it.")
    template = files("slimbench.impls").joinpath(f"templates/new_tier{args.suffix}")
    text = Template(template.read_text(encoding="utf-8")).substitute(name=name, filename=path.name)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SlimBenchError(f"cannot write {str(path)!r}: {exc.strerror or exc}.") from None
    print(f"wrote {path}: the seed's In [40] loop in the contract form")
    print(f"next: slimbench check --tier-file {path}")
    return 0
