"""MovieLens ratings from a directory, a file or the official zip, and the archive download.

Formats (``fmt``): ``100k`` (``u.data``: user TAB item TAB rating TAB timestamp),
``dat`` (1M and 10M ``ratings.dat``: ``UserID::MovieID::Rating::Timestamp``) and ``csv``
(latest, latest-small, 20M, 25M, 32M ``ratings.csv`` with header
``userId,movieId,rating,timestamp``). Parsing is vectorised: the bytes are read at once,
``::`` is replaced by a tab and pandas' C parser does the rest (its python engine, needed
for multi-character separators, is some 20 times slower).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from slimbench.impls import InvalidInputError

from ..regular_files import check_regular
from .readcap import read_file, read_member
from .triplets import Dataset, from_triplets

#: format -> (file name, separator as written, header line or None)
FORMATS: dict[str, tuple[str, str, str | None]] = {
    "100k": ("u.data", "\t", None),
    "dat": ("ratings.dat", "::", None),
    "csv": ("ratings.csv", ",", "userId,movieId,rating,timestamp"),
}
FORMAT_ALIASES = {
    "1m": "dat",
    "10m": "dat",
    "latest": "csv",
    "latest-small": "csv",
    "20m": "csv",
    "25m": "csv",
    "32m": "csv",
}

_BASE_URL = "https://files.grouplens.org/datasets/movielens/"
#: official archives: name -> (md5 published by GroupLens, or None: fetch the .md5 sidecar)
ARCHIVES: dict[str, str | None] = {
    "ml-100k": "0e33842e24a9c977be4e0107933c0723",
    "ml-1m": "c4d9eecfca2ab87c1945afe126590906",
    "ml-10m": "ce571fd55effeba0271552578f2648bd",
    "ml-20m": "cd245b17a1ae2cc31bb14903e1204af3",
    "ml-25m": "6b51fb2759a8657d3bfcbfc42b592ada",
    "ml-32m": None,
    "ml-latest-small": None,  # "latest" archives change over time: no pinned checksum
    "ml-latest": None,
}
COLUMNS = ["user", "item", "rating", "timestamp"]


def cache_dir() -> Path:
    """Where archives are cached: ``$SLIMBENCH_DATA`` or ``~/.cache/slimbench``."""
    return Path(os.environ.get("SLIMBENCH_DATA", Path.home() / ".cache" / "slimbench"))


def normalise_format(fmt: str) -> str:
    """Map a format name or alias (``1m``, ``25m``, ...) to ``100k``, ``dat`` or ``csv``."""
    key = fmt.lower()
    key = FORMAT_ALIASES.get(key, key)
    if key not in FORMATS:
        known = ", ".join(sorted(set(FORMATS) | set(FORMAT_ALIASES)))
        raise InvalidInputError(f"unknown MovieLens format {fmt!r}; known formats: {known}.")
    return key


def parse_table(data: bytes, sep: str, header: str | None, where: str) -> pd.DataFrame:
    """Parse user/item/rating/timestamp lines; errors name ``where`` and the line number."""
    if not data.strip():
        raise InvalidInputError(f"{where} is empty: expected MovieLens rating lines.")
    skip = 0
    if header is not None:
        first = data.split(b"\n", 1)[0].strip().decode("utf-8", "replace")
        if first.replace(" ", "").replace('"', "") != header:  # Excel quotes the names
            raise InvalidInputError(
                f"{where}, line 1: expected the header {header!r}, found {first[:80]!r}."
            )
        skip = 1
    first_data = data.split(b"\n", skip + 1)[skip] if data.count(b"\n") >= skip else b""
    if sep.encode() not in first_data:
        raise InvalidInputError(
            f"{where}, line {skip + 1}: separator {sep!r} not found in "
            f"{first_data[:80].decode('utf-8', 'replace')!r}; wrong format or separator "
            "(u.data uses tabs, ratings.dat '::', ratings.csv commas)."
        )
    if sep == "::":
        if b"\t" in data:
            raise InvalidInputError(f"{where}: a tab inside a '::' file; not a ratings.dat.")
        data, sep = data.replace(b"::", b"\t"), "\t"
    kwargs = dict(
        sep=sep, header=None, names=COLUMNS, skiprows=skip, engine="c", skip_blank_lines=True
    )
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            dtype={"user": np.int64, "item": np.int64, "rating": np.float64, "timestamp": np.int64},
            **kwargs,
        )
    except (ValueError, OverflowError, pd.errors.ParserError) as exc:
        # slow path, only to locate the first bad line for the message
        _raise_bad_line(data, kwargs, where, skip, exc)
    return frame


def _raise_bad_line(data: bytes, kwargs: dict, where: str, skip: int, exc: Exception) -> None:
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if match:
        raise InvalidInputError(
            f"{where}, line {match.group(2)}: malformed line, {match.group(3)} fields where "
            f"{match.group(1)} are expected (user, item, rating, timestamp)."
        ) from None
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, **kwargs)
    except pd.errors.ParserError as exc2:
        raise InvalidInputError(f"{where}: unreadable: {exc2}") from None
    for column in COLUMNS:
        values = frame[column]
        numbers = pd.to_numeric(values, errors="coerce")
        bad = values.isna() | numbers.isna()
        if column == "rating":
            bad &= ~values.str.strip().str.lower().isin(["nan", "inf", "-inf"])
        else:  # ids and timestamps are read as int64
            bad |= numbers.abs() >= 2.0**63
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            line = _line_number(data, row, skip)
            raise InvalidInputError(
                f"{where}, line {line}: {column} {values.iloc[row]!r} is not a number "
                "(or beyond int64 for ids and timestamps, or the line has too few fields)."
            ) from None
    raise InvalidInputError(f"{where}: could not parse: {exc}") from None


def _line_number(data: bytes, row: int, skip: int) -> int:
    """1-based file line of data row ``row`` (blank lines are skipped by the parser)."""
    lines = data.split(b"\n")
    seen = -1
    for number, line in enumerate(lines[skip:], start=skip + 1):
        if line.strip():
            seen += 1
            if seen == row:
                return number
    return len(lines)


def _locate(path: Path, fmt: str | None) -> tuple[bytes, str, str]:
    """(bytes, format, where) for a directory, a zip or a ratings file."""
    if not path.exists():
        raise InvalidInputError(
            f"{path}: no such file or directory. Give a MovieLens directory, its zip, or a "
            "u.data / ratings.dat / ratings.csv file."
        )
    wanted = [normalise_format(fmt)] if fmt else list(FORMATS)
    if path.is_dir():
        found = [
            (key, hit)
            for key in wanted
            for pattern in (FORMATS[key][0], "*/" + FORMATS[key][0])
            for hit in sorted(path.glob(pattern))
        ]
        if found:
            _refuse_several([str(hit) for _, hit in found], str(path), "folder")
            key, hit = found[0]
            return read_file(hit), key, str(hit)
        names = ", ".join(FORMATS[k][0] for k in wanted)
        raise InvalidInputError(f"{path}: no {names} in this directory or one level below.")
    check_regular(path)  # a FIFO or a device: zipfile would block on it or read forever
    if zipfile.is_zipfile(path):
        with _open_zip(path) as archive:
            members = archive.namelist()
            found = [
                (key, m)
                for key in wanted
                for m in members
                if m == FORMATS[key][0] or m.endswith("/" + FORMATS[key][0])
            ]
            if found:
                _refuse_several([m for _, m in found], str(path), "zip")
                key, member = found[0]
                where = f"{path}!{member}"
                return read_member(archive, member, where), key, where
        names = ", ".join(FORMATS[k][0] for k in wanted)
        shown = ", ".join(members[:8]) + (" ..." if len(members) > 8 else "")
        raise InvalidInputError(
            f"{path}: the zip has no {names} (members: {shown or 'none'}); is it a MovieLens "
            "archive?"
        )
    if fmt is None:
        by_name = [k for k, v in FORMATS.items() if path.name == v[0]]
        if not by_name:
            by_suffix = {".data": "100k", ".dat": "dat", ".csv": "csv", ".tsv": "100k"}
            if path.suffix not in by_suffix:
                raise InvalidInputError(
                    f"{path}: unknown format; name it u.data, ratings.dat or ratings.csv, or "
                    "add the format: movielens:PATH:format=100k|1m|10m|25m|csv|dat."
                )
            by_name = [by_suffix[path.suffix]]
        fmt = by_name[0]
    return read_file(path), normalise_format(fmt), str(path)


def _refuse_several(found: list[str], where: str, kind: str) -> None:
    """One ratings file per dataset: a second one would be ignored without a word."""
    if len(found) > 1:
        shown = ", ".join(found[:4]) + (" ..." if len(found) > 4 else "")
        raise InvalidInputError(
            f"{where}: the {kind} holds {len(found)} ratings files ({shown}); point "
            "movielens: at one of them (a zip: unpack it, or give :format=)."
        )


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInputError(f"{path}: unreadable zip ({exc}).") from None


def read_movielens(path: str | Path, fmt: str | None = None, *, name: str = "") -> Dataset:
    """Load MovieLens ratings from a directory, a zip or a file (format guessed by name)."""
    path = Path(path)
    data, key, where = _locate(path, fmt)
    _, sep, header = FORMATS[key]
    frame = parse_table(data, sep, header, where)
    return from_triplets(
        frame["user"].to_numpy(),
        frame["item"].to_numpy(),
        frame["rating"].to_numpy(),
        frame["timestamp"].to_numpy(),
        name=name or f"movielens:{path}",
        source=f"MovieLens {key} ratings from {where}",
        where=where,
    )


def write_dat(urm, path: str | Path) -> None:
    """Write ``urm`` as a ratings.dat (``user::item::rating::timestamp``, ids 1-based)."""
    coo = urm.tocoo()
    stamps = 978_300_000 + np.arange(coo.nnz, dtype=np.int64)
    frame = pd.DataFrame({"u": coo.row + 1, "i": coo.col + 1, "r": coo.data, "t": stamps})
    text = frame.to_csv(sep="\t", header=False, index=False, float_format="%g")
    Path(path).write_bytes(text.replace("\t", "::").encode())


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_archive(
    archive: str, *, download: bool = True, base_url: str = _BASE_URL, timeout: float = 30.0
) -> Path:
    """Path of the official ``archive`` (e.g. ``ml-10m``) zip in :func:`cache_dir`.

    Downloads it when missing and ``download`` is true, and checks its MD5 against the
    published one. Raises :class:`InvalidInputError` saying where to put the file when it
    is missing and cannot be downloaded (offline machines).
    """
    if archive not in ARCHIVES:
        raise InvalidInputError(f"unknown archive {archive!r}; known: {', '.join(ARCHIVES)}.")
    target = cache_dir() / f"{archive}.zip"
    url = f"{base_url}{archive}.zip"
    if not target.exists():
        if not download:
            raise InvalidInputError(_missing(archive, target, url, "download=no"))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with (
                urllib.request.urlopen(url, timeout=timeout) as response,
                tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp,
            ):
                shutil.copyfileobj(response, tmp)
            expected = ARCHIVES[archive]
            if expected is None:
                with urllib.request.urlopen(url + ".md5", timeout=timeout) as response:
                    expected = response.read().decode().split()[0]
        except (urllib.error.URLError, OSError) as exc:
            if "tmp" in locals():
                Path(tmp.name).unlink(missing_ok=True)
            why = f"download failed: {exc}"
            raise InvalidInputError(_missing(archive, target, url, why)) from None
        actual = _md5(Path(tmp.name))
        if actual != expected:
            Path(tmp.name).unlink(missing_ok=True)
            raise InvalidInputError(
                f"{url}: MD5 {actual} differs from the published {expected}; the download "
                "is corrupt or the archive changed. Try again, or fetch it by hand."
            )
        os.replace(tmp.name, target)
    elif ARCHIVES[archive] is not None and _md5(target) != ARCHIVES[archive]:
        raise InvalidInputError(
            f"{target}: MD5 differs from the published {ARCHIVES[archive]}; delete the file "
            "and fetch it again."
        )
    return target


def _missing(archive: str, target: Path, url: str, why: str) -> str:
    return (
        f"MovieLens archive {archive} is not available ({why}). Download {url} on a "
        f"machine with network access and put it at {target} (or set SLIMBENCH_DATA to its "
        f"folder), or load any copy with movielens:PATH."
    )
