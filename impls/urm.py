"""The canonical URM every tier trains on, built once at the Python boundary.

Canonical form: CSR, float64 ratings, int32 ``indptr`` and ``indices``, column indices
sorted within each row, duplicate (user, item) entries summed, every rating finite.
Whatever the caller hands in (COO, CSC, dense, unsorted, duplicated) is converted here,
once, so that every tier sees the same stored entries in the same order and the
interaction drawn for index k is the same (user, item, rating) for all of them.

Explicit zeros stored in a sparse input are kept: a stored entry is an interaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .errors import InvalidInputError
from .wording import plural

INT32_MAX = np.iinfo(np.int32).max
_SEAL = object()  # marks a TrainingData that prepare_urm built and validated
#: largest |rating| accepted: its square, and sums of many, stay finite even in float32
RATING_LIMIT = 1e15


@dataclass(frozen=True, eq=False)
class TrainingData:
    """A validated, canonical URM plus the per-entry user array (the COO ``row``).

    Build it with :func:`prepare_urm`; tiers accept it as is and skip validation.
    """

    csr: sp.csr_matrix
    rows: np.ndarray  # int32, user of each stored entry, in CSR order
    #: set by prepare_urm only: a TrainingData built by hand is validated again
    _sealed_by: object = field(default=None, repr=False)

    @property
    def n_users(self) -> int:
        return self.csr.shape[0]

    @property
    def n_items(self) -> int:
        return self.csr.shape[1]

    @property
    def nnz(self) -> int:
        return int(self.csr.nnz)

    @property
    def indptr(self) -> np.ndarray:
        return self.csr.indptr

    @property
    def indices(self) -> np.ndarray:
        return self.csr.indices

    @property
    def ratings(self) -> np.ndarray:
        return self.csr.data

    def similarity_bytes(self, itemsize: int = 8) -> int:
        """Bytes a dense n_items x n_items similarity matrix of this item count needs."""
        return self.n_items * self.n_items * itemsize


def prepare_urm(urm: object, *, name: str = "URM") -> TrainingData:
    """Validate ``urm`` and return it in canonical form.

    Accepts any scipy.sparse matrix or array, or a 2-D numeric numpy array (zeros are
    then "no interaction"). Raises :class:`InvalidInputError` naming the problem for:
    anything else, a shape that is not 2-D, a non-numeric or complex dtype, no stored
    entry, more stored entries or a larger dimension than int32 indexes, and NaN or
    infinite ratings (with the position of the first one).
    """
    if isinstance(urm, TrainingData):
        if urm._sealed_by is _SEAL:
            return urm
        urm = urm.csr  # built by hand: its arrays are not known to be sound
    if sp.issparse(urm):
        matrix = urm
    elif isinstance(urm, np.ndarray):
        matrix = urm
    else:
        raise InvalidInputError(
            f"{name} must be a scipy.sparse matrix or a 2-D numpy array of ratings, "
            f"got {type(urm).__module__}.{type(urm).__qualname__}."
        )
    if matrix.ndim != 2:
        raise InvalidInputError(
            f"{name} must be 2-D (users x items), got {matrix.ndim}-D with shape "
            f"{tuple(matrix.shape)}."
        )
    kind = np.dtype(matrix.dtype).kind
    if kind not in "biuf":
        raise InvalidInputError(
            f"{name} must hold real numbers, got dtype {matrix.dtype}: convert the ratings "
            "to float64 first."
        )
    n_users, n_items = matrix.shape
    if n_users > INT32_MAX or n_items > INT32_MAX:
        raise InvalidInputError(
            f"{name} has shape {matrix.shape}: user and item indices must fit int32 "
            f"(at most {INT32_MAX:,}); renumber users and items contiguously."
        )
    if sp.issparse(matrix):
        check_structure(matrix, name)
        stored = int(matrix.nnz)
        if stored > INT32_MAX:
            raise InvalidInputError(
                f"{name} has {stored:,} stored entries; the tiers index interactions with "
                f"int32 and take at most {INT32_MAX:,}. Subsample or split the data."
            )
        csr = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    else:
        csr = sp.csr_matrix(np.asarray(matrix, dtype=np.float64))
    if csr.nnz == 0:
        raise InvalidInputError(
            f"{name} has no stored interaction (nnz = 0, shape {csr.shape}): there is "
            "nothing to sample. Check that the ratings were loaded."
        )
    if csr.nnz > INT32_MAX:  # duplicates of a dense input cannot reach this, COO sums can't grow
        raise InvalidInputError(f"{name} has {csr.nnz:,} stored entries; at most {INT32_MAX:,}.")
    bad = ~np.isfinite(csr.data)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(csr.indptr, first, side="right") - 1)
        col = int(csr.indices[first])
        raise InvalidInputError(
            f"{name} holds {plural(int(bad.sum()), 'non-finite rating')} (NaN or infinite); the "
            f"first is at (user {row}, item {col}) = {csr.data[first]}. Drop or fix them."
        )
    big = np.abs(csr.data) > RATING_LIMIT
    if big.any():
        first = int(np.flatnonzero(big)[0])
        raise InvalidInputError(
            f"{name} holds {plural(int(big.sum()), 'rating')} beyond +-{RATING_LIMIT:g} (the "
            f"first: {csr.data[first]:g}); their squared errors overflow. Rescale the ratings."
        )
    csr.sum_duplicates()  # sorts indices too
    csr.indices = csr.indices.astype(np.int32, copy=False)
    csr.indptr = csr.indptr.astype(np.int32, copy=False)
    if not (np.abs(csr.data) <= RATING_LIMIT).all():  # summing duplicates can overflow
        raise InvalidInputError(
            f"{name}: summing duplicate entries gave ratings beyond +-{RATING_LIMIT:g}."
        )
    rows = np.repeat(np.arange(n_users, dtype=np.int32), np.diff(csr.indptr))
    return TrainingData(csr=csr, rows=rows, _sealed_by=_SEAL)


def _refuse(name: str, fmt: str, what: str) -> None:
    raise InvalidInputError(
        f"{name} is a corrupt {fmt} matrix: {what}. Rebuild it with scipy.sparse "
        "(e.g. csr_matrix((data, (rows, cols)), shape=...)) rather than editing its arrays."
    )


def check_structure(matrix: object, name: str = "URM") -> None:
    """Refuse a sparse matrix whose own index arrays contradict its shape.

    scipy trusts the arrays of a CSR/CSC/COO (an npz file or a hand-built matrix can hold
    anything) and so would the compiled kernels: an index outside the shape, an indptr
    that is not monotone or does not end at nnz would read or write out of bounds.
    """
    fmt = getattr(matrix, "format", "sparse")
    n_rows, n_cols = matrix.shape
    if fmt in ("csr", "csc"):
        indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
        major, minor = (n_rows, n_cols) if fmt == "csr" else (n_cols, n_rows)
        if indptr.ndim != 1 or indptr.shape[0] != major + 1:
            entries = plural(indptr.shape[0], "entry", "entries")
            _refuse(name, fmt, f"indptr has {entries}, expected {major + 1:,}")
        if indices.ndim != 1 or data.ndim != 1 or indices.shape[0] != data.shape[0]:
            _refuse(name, fmt, f"{indices.shape[0]:,} indices but {data.shape[0]:,} values")
        if indptr[0] != 0 or indptr[-1] != indices.shape[0]:
            _refuse(
                name,
                fmt,
                f"indptr runs from {indptr[0]} to {indptr[-1]}, not 0 to "
                f"{indices.shape[0]:,} (the number of stored entries)",
            )
        if (np.diff(indptr) < 0).any():
            first = int(np.flatnonzero(np.diff(indptr) < 0)[0])
            _refuse(name, fmt, f"indptr decreases after position {first}")
        _check_range(indices, minor, name, fmt, "column" if fmt == "csr" else "row")
    elif fmt == "coo":
        row, col = matrix.coords if hasattr(matrix, "coords") else (matrix.row, matrix.col)
        if not (row.shape == col.shape == matrix.data.shape):
            _refuse(name, fmt, "row, col and data arrays differ in length")
        _check_range(row, n_rows, name, fmt, "row")
        _check_range(col, n_cols, name, fmt, "column")
    # other formats (lil, dok, bsr, dia) are built by scipy's own methods, not raw arrays


def _check_range(index: np.ndarray, bound: int, name: str, fmt: str, what: str) -> None:
    if index.size and (index.min() < 0 or index.max() >= bound):
        bad = index.max() if index.max() >= bound else index.min()
        _refuse(name, fmt, f"a {what} index of {int(bad):,} lies outside [0, {bound:,})")


def trusted_training_data(csr: sp.csr_matrix, rows: np.ndarray) -> TrainingData:
    """A TrainingData around arrays that :func:`prepare_urm` validated in another process.

    The harness validates the URM once, writes its canonical arrays to files and maps them
    in each tier's worker process; validating them again there would copy ~160 MB per
    worker for nothing. Only the harness's worker calls this; everything else validates.
    """
    return TrainingData(csr=csr, rows=rows, _sealed_by=_SEAL)
