"""Which runs measured the same data: the dataset's spec and, for synthetic data, the
version of the generator that made it.

One spec gives other data under another generator (``synthetic-ml10m`` was popularity-only
before it had tastes), so the spec alone does not say two runs are comparable. Results
name the generator in ``dataset.generator``; documents written before that field existed
have none, and a synthetic one among them came from the first generator. The
``structure`` option only selects the generator, which the identity already names, so it
is dropped from the spec: ``synthetic-ml10m:structure=none`` measured today is the same
data as ``synthetic-ml10m`` measured before the tastes.
"""

from __future__ import annotations

import re

#: the generator of synthetic results that do not name one (bench/data/synthetic.py,
#: GENERATOR_VERSIONS["none"]; a test keeps the two equal)
FIRST_GENERATOR = "popularity-1"
_STRUCTURE = re.compile(r"(?<=[:,])structure=[^,]*,?")


def _spec_without_structure(name: str) -> str:
    kind, sep, rest = name.partition(":")
    if not kind.startswith("synthetic") or not sep:
        return name
    rest = _STRUCTURE.sub("", sep + rest)[1:].rstrip(",")
    return f"{kind}:{rest}" if rest else kind


def dataset_identity(record: dict | None) -> str:
    """A label equal for two results' ``dataset`` records exactly when they hold the same
    data: the spec, plus ``[generator]`` for synthetic data."""
    record = record or {}
    name = str(record.get("name") or "?")
    generator = record.get("generator")
    if generator is None and name.startswith("synthetic"):
        generator = FIRST_GENERATOR
    if generator is None:
        return name
    return f"{_spec_without_structure(name)} [{generator}]"
