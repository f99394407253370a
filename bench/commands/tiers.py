"""``slimbench tiers``: every available tier, built-in and from outside, with its origin."""

from __future__ import annotations

import argparse

from ..formatting import item_segments, wrap_segments


def add_parser(sub: argparse._SubParsersAction) -> None:
    tiers = sub.add_parser(
        "tiers", help="list every tier (built-in, plugin, user file) with class and origin"
    )
    tiers.add_argument(
        "--tier-file",
        action="append",
        default=[],
        metavar="FILE",
        help="also load a user's .pyx or .py tier (repeatable)",
    )
    tiers.add_argument(
        "--tiers",
        default=None,
        metavar="SPECS",
        help="also load package.module:ClassName specs (comma-separated)",
    )
    tiers.set_defaults(func=handle)


def origin_text(origin: dict) -> str:
    """A tier's origin in a few words."""
    kind = origin.get("kind", "built-in")
    if kind == "file":
        return f"file {origin.get('path')} (sha256 {str(origin.get('sha256'))[:12]})"
    if kind == "class":
        return f"class {origin.get('spec')}"
    if kind == "plugin":
        return f"plugin {origin.get('distribution')}: {origin.get('entry_point')}"
    return kind


def handle(args: argparse.Namespace) -> int:
    """Print one line per tier; plugins that are broken are listed after, with the reason."""
    from ..arg_types import tier_list
    from ..impls import get_tier, tier_names
    from ..impls.plugins import PLUGIN_ERRORS
    from ..impls.registry import probed_plugin
    from ..measure.tier_selection import select_tiers
    from ..output.summary_table import output_width

    extra = tier_list(args.tiers) if args.tiers else None
    select_tiers(extra, args.tier_file)  # registers them
    rows = []
    for name in tier_names():
        plugin = probed_plugin(name)  # listed from its probe: not imported into this process
        if plugin is not None:
            exactness, origin, reason = plugin.exactness, plugin.origin, plugin.unavailable
            python_class = plugin.python_class
        else:
            cls = get_tier(name)
            exactness, origin, reason = cls.exactness, cls.origin, cls.unavailable_reason()
            python_class = f"{cls.__module__}.{cls.__qualname__}"
        here = "available" if reason is None else f"unavailable ({reason})"
        rows.append((name, exactness, origin_text(origin), python_class, here))
    for line in tier_lines(rows, output_width()):
        print(line)
    for where, error in PLUGIN_ERRORS.items():  # the reason after the plugin, or below it
        for line in wrap_segments(
            [f"plugin broken, not loaded: {where}:", error], output_width(), indent="    "
        ):
            print(line)
    return 0


def tier_lines(rows: list[tuple[str, str, str, str, str]], width: int) -> list[str]:
    """The listing laid out in ``width`` columns: one line per tier where every line fits,
    else two: name, class and availability, then (indented) origin and Python class. A
    terminal's own wrap would cut a dotted name or an entry point anywhere."""
    name_width = max(len(r[0]) for r in rows)

    def head(name: str, exactness: str, here: str) -> str:
        return f"{name:<{name_width}}  {exactness:<8}  {here:<12}"  # 12: "availability"

    title = head("tier", "class", "availability") + "  origin; Python class"
    one_line = [f"{head(n, e, h)}  {o}; {c}" for n, e, o, c, h in rows]
    if max(map(len, [title, *one_line])) <= width:
        return [title, *one_line]
    lines = [head("tier", "class", "availability").rstrip(), "    origin; Python class"]
    for name, exactness, origin, python_class, here in rows:
        lines += wrap_segments(item_segments(head(name, exactness, here).rstrip()), width)
        lines += wrap_segments([f"{origin};", python_class], width, indent="    ", lead="    ")
    return lines
