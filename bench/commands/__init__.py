"""One module per ``slimbench`` command (as asv's ``commands/``).

Each module defines ``add_parser(subparsers)``, which registers its subcommand, its
arguments and its handler (``set_defaults(func=...)``). :mod:`slimbench.cli` only
assembles them in the order of :data:`COMMANDS`.
"""

#: the command modules, in the order ``slimbench --help`` lists them
COMMANDS: tuple[str, ...] = (
    "run",
    "train",
    "check",
    "tiers",
    "new_tier",
    "datasets",
    "stats",
    "report",
    "compare",
    "history",
    "scale",
    "annotate",
)
