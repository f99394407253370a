"""Reading rating files into memory with a size cap, so no input can exhaust the machine.

Parsing holds the bytes, the parsed columns and the URM at once, several times a file's
size: a file (or a zip member, which may decompress a thousandfold) larger than a share of
the available memory is refused before it is read, and zip members are read by streaming
so that a member lying about its size is stopped at the cap, not after.

Only regular files are read (slimbench.regular_files). A file compressed with gzip, bzip2
or xz is decompressed, by streaming and under the same cap.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import zipfile
import zlib
from pathlib import Path

from slimbench.impls import InvalidInputError

from ..host import available_memory
from ..regular_files import open_regular

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


#: magic bytes -> (name, opener of a decompressing file object); zstd is named, not read
COMPRESSIONS = (
    (b"\x1f\x8b", "gzip", gzip.open),
    (b"BZh", "bzip2", bz2.open),
    (b"\xfd7zXZ\x00", "xz", lzma.open),
    (b"\x28\xb5\x2f\xfd", "zstd", None),
)

def read_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path``, decompressed where compressed, refused beyond ``limit``.

    ``limit`` defaults to :func:`byte_limit`. Only a regular file is read, and the buffer
    is sized by the file, never by the cap.
    """
    limit = byte_limit() if limit is None else limit
    try:
        fh, size = open_regular(path)
        with fh:
            if size > limit:
                raise _too_big(str(path), f"{size:,} bytes", limit)
            data = fh.read(size + 1)  # a buffer of the file's size, never of the cap's
            while len(data) > size and len(data) <= limit:  # it grew since: on, to the cap
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read ({exc.strerror or exc}).") from None
    if len(data) > limit:
        raise _too_big(str(path), f"over {limit:,} bytes", limit)
    return _without_bom(_decompressed(data, str(path), limit))


def _without_bom(data: bytes) -> bytes:
    """Text without the UTF-8 byte-order mark that Excel writes before a CSV's header."""
    return data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data


def _decompressed(data: bytes, where: str, limit: int) -> bytes:
    """``data`` itself, or, where it starts with a known compression's magic, its content."""
    for magic, name, opener in COMPRESSIONS:
        if not data.startswith(magic):
            continue
        if opener is None:
            raise InvalidInputError(
                f"{where} is {name}-compressed, which is not read here; decompress it first "
                "or recompress it with gzip, bzip2 or xz."
            )
        out = bytearray()
        try:
            with opener(io.BytesIO(data)) as fh:
                while chunk := fh.read(CHUNK):
                    out += chunk
                    if len(out) > limit:
                        raise _too_big(where, f"over {limit:,} bytes decompressed", limit)
        except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError) as exc:
            raise InvalidInputError(
                f"{where} looks {name}-compressed but does not decompress ({exc}); "
                "check the file."
            ) from None
        return bytes(out)
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
    return _without_bom(bytes(out))


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
