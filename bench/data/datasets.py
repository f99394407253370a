"""One naming scheme for every dataset, the loaders behind it, and the holdout split.

Dataset specs (``KIND[:ARGUMENT][:OPTIONS]``, OPTIONS as ``key=value,key=value``):

==================================  ===================================================
``synthetic-ml10m``                 MovieLens-10M-shaped synthetic URM (default)
``synthetic-ml10m:scale=0.1``       a tenth of its users and ratings (0 < scale <= 4);
                                    also ``seed=N`` and any generator parameter
``synthetic-ml10m:structure=none``  the first generator (popularity only, no tastes)
``synthetic-ml25m[:scale=0.1]``     MovieLens-25M-shaped (59,047 items: S of 28 GB)
``synthetic-tiny``                  300 x 200, ~9k ratings: for tests, milliseconds
``synthetic:n_users=..,n_items=..`` free parameters (see ``SyntheticParams``); nnz=..
                                    or mean=.. sets the interactions
``movielens:PATH[:format=F]``       a MovieLens directory, zip or ratings file; F is
                                    100k, 1m, 10m, 20m, 25m, 32m, latest(-small), dat, csv
``ml-10m[:download=no]``            an official archive in the cache (fetched if missing):
                                    ml-100k, ml-1m, ml-10m, ml-20m, ml-25m, ml-32m, ...
``csv:PATH[:user=C,item=C,rating=C,timestamp=C,sep=S]``
                                    a CSV/TSV with a header; C are column names (defaults
                                    user, item, rating); S is comma, tab, semicolon, pipe
                                    or space (default: by suffix, .tsv tab)
``npz:PATH``                        a scipy.sparse matrix saved with save_npz
==================================  ===================================================

Options are the text after the last ``:`` when it reads ``key=value[,key=value]``, so
paths may contain colons.
"""

from __future__ import annotations

import dataclasses
import difflib
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from slimbench.impls import InvalidInputError, prepare_urm

from ..formatting import plural
from ..regular_files import check_regular
from . import synthetic
from .movielens import ARCHIVES, FORMATS, cache_dir, fetch_archive, read_movielens
from .readcap import check_archive_size, read_file
from .triplets import Dataset, from_triplets

__all__ = ["Dataset", "holdout_split", "list_datasets", "load_dataset", "parse_spec"]

TINY = synthetic.SyntheticParams(
    n_users=300,
    n_items=200,
    nnz=9_000,
    min_len=5,
    median_len=20.0,
    max_len=150,
    loc=3.0,
    epl=None,
    item_sigma=1.5,
    item_zmin=-2.5,
    item_zmax=2.5,
    # 200 items and 30 ratings a user: fewer, larger tastes and users kept closer to them
    # than synthetic-ml10m's, so item-KNN beats top-popular here too (1.34x P@10 at seed 0,
    # 1.36x at seed 1). The tastes are dealt by popularity (taste_banding 0.9, tastes-4) as in
    # synthetic-ml10m; popularity_power 0.95 keeps the first generator's tail (Gini 0.51):
    # tastes-3's 1.3 was to give back a tail that random dealing flattens, and with banding
    # it made top-popular too strong (item-KNN 1.09x)
    n_tastes=10,
    taste_alpha=0.5,
    taste_share=0.95,
    popularity_power=0.95,
)
#: MovieLens 25M's shape (162,541 users, 59,047 rated items, 25,000,095 ratings, >= 20 and
#: median 71 per user, at most 32,202). The expected profile length of a sampled
#: interaction is aimed at 625 = 4.06 x the mean of 153.8, the ratio of synthetic-ml10m's
#: figure (580) to its mean (143): the two datasets come from the same site and years of
#: activity, so the same shape of the upper tail is assumed (the real archive can be
#: measured with `slimbench stats ml-25m`). The item popularity bounds put the top item
#: near ML25M's ~81k ratings (74k here with the first generator) with about 1% of the
#: items unrated. The tastes are synthetic-ml10m's (200 of them, ~295 items each here),
#: not calibrated on 25M: EASE on 59,047 items does not fit this machine.
ML25M = synthetic.SyntheticParams(
    n_users=162_541,
    n_items=59_047,
    nnz=25_000_095,
    min_len=20,
    median_len=71.0,
    max_len=32_202,
    epl=625.0,
    item_zmin=-1.5,
    item_zmax=3.85,
)
PRESETS = {
    "synthetic-ml10m": synthetic.SyntheticParams(),
    "synthetic-ml25m": ML25M,
    "synthetic-tiny": TINY,
}
_OPTIONS = re.compile(r"^[A-Za-z_]\w*=[^,]*(,[A-Za-z_]\w*=[^,]*)*$")
_SEPARATORS = {"comma": ",", "tab": "\t", "semicolon": ";", "pipe": "|", "space": " "}


def list_datasets() -> list[tuple[str, str]]:
    """(spec or pattern, description) of every kind of dataset :func:`load_dataset` takes."""
    return [
        (
            "synthetic-ml10m",
            "synthetic, shaped like MovieLens 10M: 69,878 users x 10,681 "
            "items, 10,000,054 half-star ratings (default)",
        ),
        (
            "synthetic-ml10m:scale=S",
            "S times its users and ratings, same items and profile "
            "lengths (0 < S <= 4); add seed=N for another draw",
        ),
        (
            "synthetic-ml10m:structure=none",
            "the first generator: items by popularity alone, no taste structure "
            "(results before tastes were measured on it)",
        ),
        (
            "synthetic-ml10m:taste_banding=0,taste_share=0.87,rating_taste=1",
            "generator tastes-3, the default before tastes-4: tastes dealt at random, "
            "a flatter popularity tail",
        ),
        (
            "synthetic-ml25m[:scale=S]",
            "synthetic, shaped like MovieLens 25M: 162,541 users x 59,047 items, "
            "25,000,095 ratings (dense S: 28 GB float64, 14 GB float32)",
        ),
        ("synthetic-tiny", "synthetic, 300 users x 200 items, 9,000 ratings (tests)"),
        (
            "synthetic:n_users=U,n_items=I,nnz=N",
            "free generator parameters: also mean, "
            "min_len, median_len, max_len, epl, item_sigma, structure, n_tastes, "
            "taste_alpha, taste_share, taste_banding, popularity_power, popularity_cap, "
            "rating_taste, seed",
        ),
        (
            "movielens:PATH[:format=F]",
            "MovieLens directory, official zip or ratings file: "
            "100K u.data, 1M/10M ratings.dat, latest/20M/25M/32M ratings.csv",
        ),
        (
            "|".join(ARCHIVES) + "[:download=no]",
            "official archive from the cache "
            "(SLIMBENCH_DATA or ~/.cache/slimbench), downloaded and checked if missing",
        ),
        ("csv:PATH[:user=C,item=C,rating=C,sep=S]", "CSV/TSV with a header; columns by name"),
        ("npz:PATH", "scipy.sparse matrix saved with scipy.sparse.save_npz"),
    ]


def parse_spec(spec: str) -> tuple[str, str, dict[str, str]]:
    """Split ``spec`` into (kind, argument, options)."""
    kind, _, rest = spec.partition(":")
    options: dict[str, str] = {}
    head, sep, tail = rest.rpartition(":")
    candidate = tail if sep or kind.startswith("synthetic") or kind in ARCHIVES else ""
    if candidate and _OPTIONS.match(candidate):
        rest = head
        for pair in candidate.split(","):
            key, _, value = pair.partition("=")
            options[key.strip()] = value.strip()
    return kind, rest, options


FILE_KINDS = ("movielens", "csv", "tsv", "npz")


def known_kinds() -> list[str]:
    """Every dataset kind a spec may start with."""
    return [*PRESETS, "synthetic", *FILE_KINDS, *ARCHIVES]


def _unknown_kind(kind: str, spec: str) -> InvalidInputError:
    close = difflib.get_close_matches(kind, known_kinds(), n=2, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    return InvalidInputError(
        f"unknown dataset kind {kind!r} in {spec!r}.{hint} Known kinds: "
        f"{', '.join(known_kinds())} (`slimbench datasets` describes them)."
    )


def load_dataset(spec: str) -> Dataset:
    """Load the dataset named by ``spec`` (see the module docstring for the scheme)."""
    kind, argument, options = parse_spec(spec.strip())
    if kind not in known_kinds():
        raise _unknown_kind(kind, spec)
    if kind.startswith("synthetic"):
        return _synthetic(spec, kind, argument, options)
    if kind in ARCHIVES:
        allowed = _take(options, {"download"}, spec)
        download = allowed.get("download", "yes").lower() not in {"no", "0", "false"}
        path = fetch_archive(kind, download=download)
        return read_movielens(path, name=spec)
    if not argument:
        raise InvalidInputError(f"dataset {spec!r}: missing PATH; write {kind}:PATH.")
    if kind == "movielens":
        fmt = _take(options, {"format"}, spec).get("format")
        return read_movielens(argument, fmt, name=spec)
    if kind in {"csv", "tsv"}:
        return _read_csv(spec, Path(argument), options, tab=kind == "tsv")
    if kind == "npz":
        _take(options, set(), spec)
        return _read_npz(spec, Path(argument))
    raise _unknown_kind(kind, spec)


def input_paths(spec: str) -> list[Path]:
    """The files a dataset spec reads (a MovieLens folder: its ratings files too), so that
    no output is ever written over them."""
    kind, argument, _ = parse_spec(spec.strip())
    if kind in ARCHIVES:
        return [cache_dir() / f"{kind}.zip"]
    if kind not in FILE_KINDS or not argument:
        return []
    path = Path(argument)
    paths = [path]
    if kind == "movielens" and path.is_dir():
        for name, _, _ in FORMATS.values():
            paths += [*path.glob(name), *path.glob("*/" + name)]
    return paths


def _take(options: dict[str, str], allowed: set[str], spec: str) -> dict[str, str]:
    unknown = sorted(set(options) - allowed)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(allowed), n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidInputError(
            f"dataset {spec!r}: unknown option(s) {', '.join(unknown)}.{hint} Allowed: "
            f"{', '.join(sorted(allowed)) or 'none'}."
        )
    return options


def synthetic_params(spec: str) -> synthetic.SyntheticParams | None:
    """The generator's parameters a synthetic ``spec`` names (None for other kinds), with
    nothing generated: a sweep can refuse a spec it cannot make before it starts."""
    kind, argument, options = parse_spec(spec.strip())
    if not kind.startswith("synthetic"):
        return None
    return _synthetic_params(spec, kind, argument, options)


def _synthetic(spec: str, kind: str, argument: str, options: dict[str, str]) -> Dataset:
    p = _synthetic_params(spec, kind, argument, options)
    urm = synthetic.generate(p)
    return Dataset(
        name=spec,
        urm=urm,
        user_ids=None,
        item_ids=None,
        source=f"synthetic generator {p.generator}, {p}",
        notes=(),
        generator=p.generator,
    )


def _synthetic_params(
    spec: str, kind: str, argument: str, options: dict[str, str]
) -> synthetic.SyntheticParams:
    if argument:
        raise InvalidInputError(f"dataset {spec!r}: options must read key=value,key=value.")
    if kind == "synthetic":
        base = dataclasses.replace(PRESETS["synthetic-ml10m"], epl=None)
    elif kind in PRESETS:
        base = PRESETS[kind]
    else:
        raise InvalidInputError(
            f"unknown synthetic preset {kind!r}; presets: {', '.join(PRESETS)}, or "
            "synthetic:key=value,... for free parameters."
        )
    fields = {f.name: f.type for f in dataclasses.fields(base)}
    params = dict(options)
    scale = params.pop("scale", None)
    mean = params.pop("mean", None)
    _take(params, set(fields) | {"scale", "mean"}, spec)
    changes: dict[str, object] = {}
    for key, text in params.items():
        try:
            if key in ("epl", "popularity_cap") and text.lower() == "none":
                changes[key] = None
            elif key == "structure":
                changes[key] = text.lower()
            elif key in {"n_users", "n_items", "nnz", "min_len", "max_len", "seed", "n_tastes"}:
                changes[key] = int(text)
            else:
                changes[key] = float(text)
        except ValueError:
            raise InvalidInputError(f"dataset {spec!r}: {key}={text!r} is not a number.") from None
    p = dataclasses.replace(base, **changes)
    if "n_users" in changes and "nnz" not in changes and mean is None:
        mean = str(base.mean_len)  # keep the mean profile length when only users change
    if "n_items" in changes and "max_len" not in changes:
        p = dataclasses.replace(p, max_len=min(p.max_len, p.n_items))
    if mean is not None:
        try:
            p = dataclasses.replace(p, nnz=round(float(mean) * p.n_users))
        except ValueError:
            raise InvalidInputError(f"dataset {spec!r}: mean={mean!r} is not a number.") from None
    if scale is not None:
        try:
            value = float(scale)
        except ValueError:
            raise InvalidInputError(f"dataset {spec!r}: scale={scale!r} is not a number.") from None
        p = p.scaled(value)
    return p


def _read_csv(spec: str, path: Path, options: dict[str, str], *, tab: bool) -> Dataset:
    opts = _take(options, {"user", "item", "rating", "timestamp", "sep"}, spec)
    _existing(path, spec)
    sep_name = opts.get("sep", "tab" if tab or path.suffix == ".tsv" else "comma")
    if sep_name not in _SEPARATORS:
        raise InvalidInputError(
            f"dataset {spec!r}: sep={sep_name!r}; use one of {', '.join(_SEPARATORS)}."
        )
    sep = _SEPARATORS[sep_name]
    data = read_file(path)
    if not data.strip():
        raise InvalidInputError(f"{path} is empty: expected a header line and rating lines.")
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    names = [h.strip().strip('"').strip() for h in header.split(sep)]  # Excel quotes names
    cols = {k: opts.get(k, k) for k in ("user", "item", "rating")}
    if "timestamp" in opts:
        cols["timestamp"] = opts["timestamp"]
    missing = [f"{k}={v!r}" for k, v in cols.items() if v not in names]
    if missing:
        raise InvalidInputError(
            f"{path}, line 1: column(s) {', '.join(missing)} not in the header {names} "
            f"(separator {sep_name}); name them with csv:PATH:user=..,item=..,rating=.."
        )
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=sep,
            usecols=list(cols.values()),
            engine="c",
            dtype={cols["rating"]: np.float64},
        )
    except (ValueError, pd.errors.ParserError):
        # re-parse the four wanted columns through the line-locating MovieLens parser
        frame = _relocate(data, sep, names, cols, path)
    ts = frame[cols["timestamp"]].to_numpy() if "timestamp" in cols else None
    return from_triplets(
        frame[cols["user"]].to_numpy(),
        frame[cols["item"]].to_numpy(),
        frame[cols["rating"]].to_numpy(),
        ts,
        name=spec,
        source=f"CSV ratings from {path}",
        where=str(path),
    )


def _relocate(data: bytes, sep: str, names: list[str], cols: dict, path: Path) -> pd.DataFrame:
    """Find the first bad line of a CSV the C parser refused, and raise naming it."""
    body = data.split(b"\n", 1)[1] if b"\n" in data else b""
    for number, line in enumerate(body.decode("utf-8", "replace").split("\n"), start=2):
        if not line.strip():
            continue
        fields = line.split(sep)
        if len(fields) != len(names):
            raise InvalidInputError(
                f"{path}, line {number}: malformed line, {len(fields)} fields where "
                f"{len(names)} are expected."
            )
        value = fields[names.index(cols["rating"])].strip()
        try:
            float(value)
        except ValueError:
            raise InvalidInputError(
                f"{path}, line {number}: rating {value!r} is not a number."
            ) from None
    raise InvalidInputError(f"{path}: could not parse (ids must be numbers or plain text).")


def _existing(path: Path, spec: str) -> None:
    """Refuse a missing path, and a FIFO or a device (reading it would block or never end)."""
    if not path.exists():
        raise InvalidInputError(f"{path}: no such file (dataset {spec!r}).")
    check_regular(path)


def _read_npz(spec: str, path: Path) -> Dataset:
    _existing(path, spec)
    check_archive_size(path)  # np.load inflates every member at once
    try:
        _check_stored_counts(path)
        matrix = sp.load_npz(path)
    except InvalidInputError:
        raise
    except (ValueError, OSError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise InvalidInputError(
            f"{path}: not a scipy.sparse .npz ({exc}); save one with scipy.sparse.save_npz."
        ) from None
    return Dataset(
        name=spec,
        urm=prepare_urm(matrix, name=str(path)).csr,
        user_ids=None,
        item_ids=None,
        source=f"scipy.sparse matrix from {path}",
        notes=(),
    )


#: the formats scipy.sparse.load_npz reads
NPZ_FORMATS = ("csr", "csc", "coo", "bsr", "dia")


def _check_stored_counts(path: Path) -> None:
    """Refuse a compressed-sparse npz whose indptr ends short of its stored entries.

    scipy trims the surplus silently on load, so this must be seen in the raw arrays.
    """
    with np.load(path, allow_pickle=False) as arrays:
        if "format" in arrays.files:
            fmt = arrays["format"]
            name = fmt.item() if fmt.ndim == 0 else fmt
            name = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
            if name not in NPZ_FORMATS:  # scipy has no loader for lil, dok: NotImplementedError
                raise InvalidInputError(
                    f"{path} holds a sparse matrix of format {name[:40]!r}; "
                    f"{', '.join(NPZ_FORMATS)} are read. Convert it (e.g. m.tocsr()) and save "
                    "it with scipy.sparse.save_npz."
                )
        if "indptr" not in arrays.files or "indices" not in arrays.files:
            return
        indptr, n_stored = arrays["indptr"], arrays["indices"].shape[0]
    if indptr.ndim == 1 and indptr.size and indptr[-1] != n_stored:
        raise InvalidInputError(
            f"{path} is a corrupt sparse matrix: indptr ends at {indptr[-1]:,} but "
            f"{plural(n_stored, 'entry is', 'entries are')} stored; rebuild it with "
            "scipy.sparse.save_npz."
        )


def holdout_split(
    urm: sp.spmatrix, train_share: float = 0.8, seed: int = 0
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Each interaction goes to train with probability ``train_share``, else to test.

    As the seed's ``train_test_holdout``: a seeded Bernoulli draw per stored entry. Both
    parts keep the full shape, so users and items keep their indices; both are canonical
    CSR (the test part may be empty for tiny inputs).
    """
    if not 0.0 < train_share < 1.0:
        raise InvalidInputError(f"train_share={train_share} must lie strictly between 0 and 1.")
    csr = prepare_urm(urm).csr
    rng = np.random.Generator(np.random.PCG64(seed))
    to_train = rng.random(csr.nnz) < train_share
    return _subset(csr, to_train), _subset(csr, ~to_train)


def _subset(csr: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    indptr = np.zeros(csr.shape[0] + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows[keep], minlength=csr.shape[0]), out=indptr[1:])
    return sp.csr_matrix((csr.data[keep], csr.indices[keep], indptr), shape=csr.shape)
