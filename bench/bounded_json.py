"""Reading a JSON file that no content can hang, exhaust or crash: the one JSON reader of
``report``, ``compare`` and ``history``.

Leaf module. Bounds: a regular file only (slimbench.regular_files), at most
:data:`MAX_BYTES`, nesting at most :data:`MAX_DEPTH` deep (``[`` x 200,000 would exhaust
the parser's recursion), numbers at most :data:`MAX_NUMBER_CHARS` characters (a
5,000-digit integer is beyond Python's conversion limit). Each violation is one line.
"""

from __future__ import annotations

import json
import os

from .impls import SlimBenchError
from .regular_files import open_regular

#: a results.json of 20 tiers x 10,000 rounds is some 20 MB
MAX_BYTES = 256 << 20
#: results files nest about 6 deep; pytest-benchmark's about 5
MAX_DEPTH = 64
#: float64's longest exact text is 24 characters; an id or a count fits in 20
MAX_NUMBER_CHARS = 100


class JSONFileError(SlimBenchError, ValueError):
    """A JSON file that cannot be read within the bounds, or is not JSON."""


class NotJSONError(JSONFileError):
    """The file is not JSON text at all (a folder of reports holds other files too)."""


class _TooLong(ValueError):
    pass


def _number(kind: type):
    def parse(text: str) -> object:
        if len(text) > MAX_NUMBER_CHARS:
            raise _TooLong(f"a number of {len(text):,} characters")
        return kind(text)

    return parse


def depth(node: object) -> int:
    """How deep lists and objects nest in ``node`` (a scalar: 0), without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        children = item.values() if isinstance(item, dict) else item
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def read_json(path: str | os.PathLike) -> object:
    """The JSON value in ``path``; JSONFileError (one line naming the file) on anything else."""
    where = repr(os.fspath(path))
    try:
        fh, size = open_regular(path)
        with fh:
            if size > MAX_BYTES:
                raise JSONFileError(
                    f"{where} holds {size:,} bytes, more than the {MAX_BYTES:,} a results file "
                    "may have."
                )
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise JSONFileError(f"{where} does not exist.") from None
    except OSError as exc:
        raise JSONFileError(f"{where}: cannot read ({exc.strerror or exc}).") from None
    try:
        doc = json.loads(
            data.decode("utf-8"), parse_int=_number(int), parse_float=_number(float)
        )
    except UnicodeDecodeError:
        raise NotJSONError(f"{where} is not a text JSON file.") from None
    except json.JSONDecodeError as exc:
        raise NotJSONError(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    except _TooLong as exc:
        raise JSONFileError(
            f"{where} holds {exc} (at most {MAX_NUMBER_CHARS} are read); not a results file."
        ) from None
    except RecursionError:
        raise JSONFileError(
            f"{where} nests lists or objects deeper than the parser can follow (at most "
            f"{MAX_DEPTH} levels are read); not a results file."
        ) from None
    if depth(doc) > MAX_DEPTH:
        raise JSONFileError(
            f"{where} nests lists or objects more than {MAX_DEPTH} levels deep; not a results file."
        )
    return doc
