"""Reading rating files into memory with a size cap, so no input can exhaust the machine.

Parsing holds the bytes, the parsed columns and the URM at once, several times a file's
size: a file (or a zip member, which may decompress a thousandfold) larger than a share of
the available memory is refused before it is read, and zip members are read by streaming
so that a member lying about its size is stopped at the cap, not after.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from slimbench.impls import InvalidInputError

from ..measure.machine import available_memory

#: parsing takes about this many times the text's size (bytes, columns, sort, URM)
PARSE_MEMORY_FACTOR = 6
CHUNK = 1 << 20


def byte_limit() -> int:
    """The largest text read into memory here."""
    return available_memory() // PARSE_MEMORY_FACTOR


def _too_big(where: str, size: str, limit: int) -> InvalidInputError:
    return InvalidInputError(
        f"{where} holds {size}, more than the {limit:,} that can be parsed in the "
        f"memory available (1/{PARSE_MEMORY_FACTOR} of it); use a smaller file or a machine "
        "with more memory."
    )


def read_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path``, refused beyond ``limit`` (default :func:`byte_limit`)."""
    limit = byte_limit() if limit is None else limit
    try:
        size = path.stat().st_size
        if size > limit:
            raise _too_big(str(path), f"{size:,} bytes", limit)
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read ({exc.strerror or exc}).") from None
    if len(data) > limit:  # grew since stat, or a special file
        raise _too_big(str(path), f"over {limit:,} bytes", limit)
    return data


def read_member(
    archive: zipfile.ZipFile, member: str, where: str, limit: int | None = None
) -> bytes:
    """A zip member's bytes, streamed and stopped at ``limit`` (default :func:`byte_limit`)."""
    limit = byte_limit() if limit is None else limit
    declared = archive.getinfo(member).file_size
    if declared > limit:
        raise _too_big(where, f"{declared:,} bytes uncompressed", limit)
    out = bytearray()
    try:
        with archive.open(member) as fh:
            while chunk := fh.read(CHUNK):
                out += chunk
                if len(out) > limit:
                    raise _too_big(where, f"over {limit:,} bytes uncompressed", limit)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise InvalidInputError(f"{where}: corrupt zip member ({exc}).") from None
    return bytes(out)


def check_archive_size(path: Path, limit: int | None = None) -> None:
    """Refuse a zip (an .npz) whose members inflate beyond ``limit`` together."""
    limit = byte_limit() if limit is None else limit
    if not zipfile.is_zipfile(path):
        return  # not a zip: the loader says what it is
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInputError(f"{path}: unreadable zip ({exc}).") from None
    if total > limit:
        raise _too_big(str(path), f"{total:,} bytes uncompressed", limit)
