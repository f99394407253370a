"""The :class:`Dataset` record and its construction from (user, item, rating) triplets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from slimbench.formatting import plural
from slimbench.impls import InvalidInputError, prepare_urm


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset: the canonical URM plus where it came from.

    ``user_ids[u]`` / ``item_ids[i]`` are the original ids of row u / column i (None for
    sources without ids, such as the synthetic generator or an .npz matrix).
    ``notes`` records what loading changed, e.g. duplicate pairs dropped. ``generator``
    names the synthetic generator's version (None for data read from files): part of the
    dataset's identity, since one spec gives other data under another generator.
    """

    name: str
    urm: sp.csr_matrix
    user_ids: np.ndarray | None
    item_ids: np.ndarray | None
    source: str
    notes: tuple[str, ...] = ()
    generator: str | None = None


def from_triplets(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    timestamps: np.ndarray | None,
    *,
    name: str,
    source: str,
    where: str,
) -> Dataset:
    """Map ids to contiguous indices (ascending id order) and build the canonical URM.

    A (user, item) pair given more than once keeps its latest rating by timestamp (the
    last one in the file where timestamps tie or are absent); the count dropped is put in
    ``notes``. ``where`` names the file for error messages.
    """
    ratings = np.asarray(ratings, dtype=np.float64)
    if ratings.size == 0:
        raise InvalidInputError(f"{where}: no ratings found; the file holds no data line.")
    bad = np.flatnonzero(~np.isfinite(ratings))
    if bad.size:
        raise InvalidInputError(
            f"{where}: {plural(bad.size, 'non-finite rating')}; the first is {ratings[bad[0]]} in "
            f"data row {bad[0] + 1}. Fix or drop those lines."
        )
    for label, ids in (("user", users), ("item", items)):
        empty = np.flatnonzero(pd.isna(np.asarray(ids)))
        if empty.size:  # factorize would give them the index -1
            raise InvalidInputError(
                f"{where}: {plural(empty.size, 'rating')} with an empty {label} id; the first is "
                f"in data row {empty[0] + 1}. Fill in or drop those lines."
            )
    # factorize hashes (fast); sort=True makes the index order the ascending id order
    u_idx, user_ids = pd.factorize(np.asarray(users), sort=True)
    i_idx, item_ids = pd.factorize(np.asarray(items), sort=True)
    n_users, n_items = len(user_ids), len(item_ids)
    keys = u_idx.astype(np.int64) * n_items + i_idx
    notes: list[str] = []
    position = np.arange(keys.size)
    stamps = position if timestamps is None else np.asarray(timestamps)
    order = np.lexsort((position, stamps, keys))  # by pair, then time, then file order
    sorted_keys = keys[order]
    last = np.ones(keys.size, dtype=bool)
    last[:-1] = sorted_keys[:-1] != sorted_keys[1:]
    dropped = int(keys.size - last.sum())
    if dropped:
        keep = order[last]
        u_idx, i_idx, ratings = u_idx[keep], i_idx[keep], ratings[keep]
        notes.append(
            f"{plural(dropped, 'duplicate (user, item) rating')} dropped, keeping the latest by "
            "timestamp (file order where tied)"
        )
    coo = sp.coo_matrix((ratings, (u_idx, i_idx)), shape=(n_users, n_items))
    urm = prepare_urm(coo, name=where).csr
    return Dataset(
        name=name,
        urm=urm,
        user_ids=np.asarray(user_ids),
        item_ids=np.asarray(item_ids),
        source=source,
        notes=tuple(notes),
    )
