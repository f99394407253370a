"""The README and docs/*.md stay true to the repository they describe.

1. Every link resolves: a relative link names a file that exists in the repository, and a
   ``#anchor`` matches a heading of its target, by GitHub's rule for heading ids.
2. Every ``slimbench ...`` line in a fenced code block of the README (and of docs/*.md)
   parses with the real command-line parser (parsed only, never run), and every
   ``make ...`` line names a target of the Makefile. (The notebook's magics are covered by
   the notebook's own test.)
3. Every repository path the pages name in backticks (``bench/...``, ``impls/...``,
   ``tests/...``, ``docs/...``, ``examples/...``) exists.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from slimbench.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~)")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # https:, mailto:, ...
#: a path into the repository named in backticks: what a reader would open
REPO_PATH = re.compile(r"^(?:bench|impls|tests|docs|examples)/[\w./*-]*$")


def _split_fences(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The lines outside fenced code blocks, and each block as (info string, lines)."""
    prose, blocks, block = [], [], None
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            if block is None:
                block = (line.strip().lstrip("`~").strip(), [])
            else:
                blocks.append(block)
                block = None
            continue
        (block[1] if block is not None else prose).append(line)
    assert block is None, "a fenced code block is never closed"
    return prose, blocks


def slug(heading: str) -> str:
    """GitHub's id of a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # keeps letters, digits, _, - and spaces
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The ids of every heading of ``page``, repeated ones numbered as GitHub does."""
    prose, _ = _split_fences(page.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    out = set()
    for line in prose:
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(page: Path) -> list[str]:
    """Every link target in the prose of ``page`` (code blocks and code spans are not links)."""
    prose, _ = _split_fences(page.read_text(encoding="utf-8"))
    text = "\n".join(prose)
    # a code span's content is not markup, but a link's text may be a code span: keep its text
    text = CODE_SPAN.sub(lambda m: m.group(2).replace("](", "] ("), text)
    return LINK.findall(text)


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_the_pages_are_found():
    names = {p.name for p in PAGES}
    assert {"README.md", "trust.md", "layout.md", "results-schema.md"} <= names


def test_slug_follows_githubs_rule():
    assert slug("Training: `slimbench train`") == "training-slimbench-train"
    assert slug("Learning rate: why the seed's In [41] converged") == (
        "learning-rate-why-the-seeds-in-41-converged"
    )
    assert slug("Closer to the limit: cython-interleaved") == (
        "closer-to-the-limit-cython-interleaved"
    )
    assert slug("train.json") == "trainjson"


def link_problems(page: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the links of ``page``: one line per broken link."""
    problems = []
    for target in links(page):
        if EXTERNAL.match(target):
            continue  # the web is not the repository: not checked offline
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            problems.append(f"{target}: no such file")
        elif root not in dest.parents:
            problems.append(f"{target}: outside the repository")
        elif anchor and dest.suffix != ".md":
            problems.append(f"{target}: an anchor into a file that is not a page")
        elif anchor and anchor not in anchors(dest):
            problems.append(f"{target}: no heading #{anchor} in {dest.name}")
    return problems


def test_the_link_check_finds_broken_links(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## A `code` heading: here\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#a-code-heading-here) [self](#page) [gone](missing.md)\n"
        "[bad anchor](other.md#nowhere) `[not a link](missing.md)`\n"
        "```\n[in a block](missing.md)\n```\n"
    )
    assert link_problems(page, root=tmp_path) == [
        "missing.md: no such file",
        "other.md#nowhere: no heading #nowhere in other.md",
    ]


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_link_resolves(page):
    problems = link_problems(page)
    assert not problems, f"{_page_id(page)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_named_repository_path_exists(page):
    text = page.read_text(encoding="utf-8")
    named = {m.group(2) for m in CODE_SPAN.finditer(text) if REPO_PATH.match(m.group(2))}
    missing = sorted(p for p in named if not list(ROOT.glob(p.rstrip("/"))))
    assert not missing, f"{_page_id(page)} names paths that do not exist: {missing}"


def command_lines(page: Path) -> list[str]:
    """The logical lines of a page's fenced blocks (continuations joined, prompts cut)."""
    _, blocks = _split_fences(page.read_text(encoding="utf-8"))
    lines = []
    for _, body in blocks:
        joined = ""
        for line in body:
            joined += line.rstrip()
            if joined.endswith("\\"):
                joined = joined[:-1] + " "
                continue
            text = joined.strip()
            joined = ""
            if text.startswith("$ "):
                text = text[2:].strip()
            lines.append(text)
    return lines


def _lines(pattern: str, pages: list[Path] = PAGES) -> list[tuple[str, str]]:
    """(page, line) for every command line of ``pages`` that matches ``pattern``."""
    return [
        (_page_id(page), line)
        for page in pages
        for line in command_lines(page)
        if re.match(pattern, line)
    ]


SLIMBENCH = r"^(?:\.venv/bin/)?slimbench(?:\s|$)"
MAKE = r"^make(?:\s|$)"


def test_the_readme_shows_commands():
    """The extraction finds what the README shows, so the tests below test something."""
    assert len(_lines(SLIMBENCH, [README])) >= 2
    goals = {" ".join(shlex.split(line, comments=True)[:2]) for _, line in _lines(MAKE, [README])}
    assert {"make bench", "make test"} <= goals


@pytest.mark.parametrize(("page", "line"), _lines(SLIMBENCH))
def test_slimbench_line_parses(page, line):
    argv = shlex.split(line, comments=True)[1:]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:
            why = err.getvalue().strip()
            pytest.fail(f"{page}: `{line}` does not parse (exit {exc.code}): {why}")
    assert callable(args.func)  # parsed to a command's handler, which is never called


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set()
    for m in re.finditer(r"^([^\s:#=][^:=]*?)\s*::?(?!=)", text, re.M):
        targets.update(m.group(1).split())
    return targets


@pytest.mark.parametrize(("page", "line"), _lines(MAKE))
def test_make_line_names_a_target(page, line):
    words = shlex.split(line, comments=True)[1:]
    goals = [w for w in words if "=" not in w and not w.startswith("-")]
    assert goals, f"{page}: `{line}` names no target"
    missing = [g for g in goals if g not in makefile_targets()]
    assert not missing, f"{page}: `{line}`: no such Makefile target {missing}"
