"""``slimbench annotate``: ``cython -a`` for every Cython tier, and its "yellow lines".

The seed's step 4: Cython's annotation colours each source line by how much Python C-API
work it compiles to. A line of a tier's step loop that is not white still calls into the
interpreter on every step. The step loop is the block that starts at the line marked
``# step loop`` (or, in the seed's kernels, at ``for sample_num in range(``; in a user's
file without either, at the first ``for`` of ``train_steps``) and runs while the
indentation is deeper. Besides the count, the sum of the loop's scores says how
yellow: a bounds check scores 2, a Python call 10 to 30.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ..impls import SlimBenchError, get_tier

_LINE = re.compile(r'<pre class="cython line score-(\d+)"[^>]*>.*?<span class="">(\d+)</span>')
_LOOP_START = re.compile(r"#\s*step loop\b|for\s+sample_num\s+in\s+")
_CONTRACT_DEF = re.compile(r"^\s*(?:c?p?def)\s+(?:\w+\s+)?train_steps\s*\(")
_FOR = re.compile(r"^\s*for\s")


class AnnotateError(SlimBenchError, RuntimeError):
    """Cython could not annotate a tier's source."""


def tier_source(name: str) -> Path | None:
    """The Cython source tier ``name`` compiles, or None for tiers that are not Cython."""
    cls = get_tier(name)
    if cls.cython_source_path is not None:  # a user's .pyx, wherever it lives
        return Path(cls.cython_source_path)
    if cls.cython_source is None:
        return None
    return Path(sys.modules[cls.__module__].__file__).parent / cls.cython_source


def tier_loop_source(name: str) -> Path | None:
    """The file holding the tier's step loop: its source, or a file that source includes."""
    source = tier_source(name)
    loop = get_tier(name).cython_loop_source
    return source.parent / loop if source is not None and loop else source


def step_loop_lines(source_text: str) -> list[int]:
    """1-based numbers of the code lines in the step loop (comments and blanks excluded)."""
    lines = source_text.splitlines()
    start = next((i for i, line in enumerate(lines) if _LOOP_START.search(line)), None)
    if start is None:  # a user's file in the contract form: the first loop of train_steps
        fn = next((i for i, line in enumerate(lines) if _CONTRACT_DEF.match(line)), None)
        if fn is not None:
            start = next((i for i in range(fn + 1, len(lines)) if _FOR.match(lines[i])), None)
    if start is None:
        return []
    if lines[start].strip().startswith("#"):  # a marker comment: the loop is the next line
        start += 1
    indent = len(lines[start]) - len(lines[start].lstrip())
    out = [start + 1]
    for i in range(start + 1, len(lines)):
        text = lines[i].strip()
        if not text or text.startswith("#"):
            continue
        if len(lines[i]) - len(lines[i].lstrip()) <= indent:
            break
        out.append(i + 1)
    return out


def annotation_scores(html: str) -> dict[int, int]:
    """Line number -> Cython's score (0 is white) from a ``cython -a`` HTML file."""
    return {int(num): int(score) for score, num in _LINE.findall(html)}


#: the pages ``cython -a`` wrote in this process, by source, stem and the files it may read
_PAGES: dict[tuple, dict[str, bytes]] = {}
_PAGES_KEPT = 32
_SOURCE_SUFFIXES = (".pyx", ".pxi", ".pxd", ".h")


def _pages_key(source: Path, stem: str) -> tuple:
    """What ``cython -a`` of ``source`` reads: the source and every file beside it that it
    may include or cimport (a few small files), by content; and Cython's version."""
    import Cython

    digest = hashlib.sha256(Cython.__version__.encode())
    for path in sorted(p for p in source.parent.iterdir() if p.suffix in _SOURCE_SUFFIXES):
        digest.update(f"\0{path.name}\0".encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"unreadable")
    return (str(source.resolve()), stem, digest.hexdigest())


def _html_files(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.html")}


def annotate_source(source: Path, out_dir: Path, stem: str) -> Path:
    """Run ``cython -a`` on ``source``; return the HTML written into ``out_dir``.

    The same source (and the files beside it, unchanged) annotated again in this process,
    as each run of a notebook session does for the seed's tiers, gets the pages written
    then, without running Cython again.
    """
    out_dir = out_dir.resolve()  # cython runs in the source's folder: relative paths break
    out_dir.mkdir(parents=True, exist_ok=True)
    key = _pages_key(source, stem)
    if key in _PAGES:
        for name, page in _PAGES[key].items():
            (out_dir / name).write_bytes(page)
        return out_dir / f"{stem}.html"
    before = _html_files(out_dir)
    c_file = out_dir / f"{stem}.c"
    cmd = [sys.executable, "-m", "cython", "-a", "-3", str(source), "-o", str(c_file)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=source.parent)
    html = c_file.with_suffix(".html")
    if proc.returncode != 0 or not html.exists():
        raise AnnotateError(
            f"cython -a failed on {source.name}: {(proc.stderr or proc.stdout).strip()[-500:]}"
        )
    c_file.unlink(missing_ok=True)  # only the HTML is wanted
    written = [n for n, stat in _html_files(out_dir).items() if before.get(n) != stat]
    while len(_PAGES) >= _PAGES_KEPT:
        _PAGES.pop(next(iter(_PAGES)))
    _PAGES[key] = {name: (out_dir / name).read_bytes() for name in written}
    return html


def annotate_tiers(names: Sequence[str], out_dir: Path) -> dict[str, dict]:
    """Annotate each Cython tier among ``names``: {tier: {html, yellow_lines, loop_lines}}."""
    results: dict[str, dict] = {}
    for name in names:
        source = tier_source(name)
        if source is None:
            continue
        if not source.exists():
            raise AnnotateError(f"the source of tier {name!r} is not installed: {source}")
        html = annotate_source(source, out_dir / name, name)
        loop_source = tier_loop_source(name)
        # cython -a writes an included file's annotation beside the module's, by its stem
        loop_html = html if loop_source == source else html.with_name(f"{loop_source.stem}.html")
        scores = annotation_scores(loop_html.read_text(encoding="utf-8"))
        loop = step_loop_lines(loop_source.read_text(encoding="utf-8"))
        yellow = [n for n in loop if scores.get(n, 0) > 0]
        results[name] = {
            "html": str(loop_html),
            "yellow_lines": len(yellow),
            "yellow_score": sum(scores.get(n, 0) for n in loop),
            "loop_lines": len(loop),
            "yellow_line_numbers": yellow,
        }
    return results
