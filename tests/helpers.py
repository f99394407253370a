"""Plain helpers shared by the test modules, imported as ``from helpers import NAME``.

Fixtures live in tests/conftest.py (pytest finds them; nothing imports conftest); the
hostile-input suite's own helpers are in tests/hostile.py, the browser's in tests/browser.py.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from slimbench.impls.python_indptr import PythonIndptr

#: the tiers of the ``tiny_run`` fixture's run, in its order
TINY_RUN_TIERS = "python-indptr,cython-typed,cython-rand"


def random_urm(seed: int, n_users: int, n_items: int, density: float) -> sp.csr_matrix:
    """A plain random URM with half-star ratings (every user has at least one item)."""
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_users, n_items)) < density) * rng.integers(1, 11, (n_users, n_items))
    dense[np.arange(n_users), rng.integers(0, n_items, n_users)] = 8
    return sp.csr_matrix(dense / 2.0)


# -- a user's tier file holding the reference loop ----------------------------------------

#: the arguments of a tier file's train_steps (the function contract)
CONTRACT = "samples, coo_row, coo_col, coo_data, indptr, indices, data, S, learning_rate"

_REFERENCE_LOOP = """\
{header}NAME = "{name}"


def train_steps({contract}):
{first}    loss = 0.0
    for k in samples:
        u, i, r = coo_row[k], coo_col[k], coo_data[k]
        start, end = indptr[u], {end}
        pred = 0.0
        for p in range(start, end):
            pred += S[indices[p], i] * data[p]
        err = r - pred
        loss += err * err
        for p in range(start, end):
            S[indices[p], i] += learning_rate * err * data[p]
    return float(loss)
"""


def reference_loop(name: str, *, header: str = "", first: str = "", end: str = "") -> str:
    """A tier file NAME whose train_steps is the seed's SGD step in plain Python.

    As a .py or compiled untyped as a .pyx it passes the check bitwise. ``header`` comes
    before NAME (Cython directives, an include), ``first`` is statements (indented by four)
    run at the top of train_steps, and ``end`` replaces ``indptr[u + 1]``, the end of u's
    profile.
    """
    return _REFERENCE_LOOP.format(
        header=header, name=name, contract=CONTRACT, first=first, end=end or "indptr[u + 1]"
    )


# -- tiers with a known fault, which the check must catch -----------------------------------


def _drop_last_item_loop(URM_train, URM_train_coo, S, lr, rng, n_steps):
    """python-indptr with the course repository's old bug: the profile slice ends one short."""
    loss = 0.0
    for _ in range(n_steps):
        k = rng.integers(0, URM_train_coo.nnz)
        u, i, r = URM_train_coo.row[k], URM_train_coo.col[k], URM_train_coo.data[k]
        start, end = URM_train.indptr[u], URM_train.indptr[u + 1] - 1
        profile, ratings = URM_train.indices[start:end], URM_train.data[start:end]
        err = r - ratings.dot(S[profile, i])
        loss += err**2
        S[profile, i] += lr * err * ratings
    return loss, n_steps


class DropsLastItem(PythonIndptr):
    name = "faulty-drops-last-item"
    description = "test fault: profile slice drops the last item"

    @staticmethod
    def _loop():
        return _drop_last_item_loop


def _reversed_sum_loop(URM_train, URM_train_coo, S, lr, rng, n_steps):
    """A subtle fault: the prediction sums the profile in reverse order (last bits only)."""
    loss = 0.0
    for _ in range(n_steps):
        k = rng.integers(0, URM_train_coo.nnz)
        u, i, r = URM_train_coo.row[k], URM_train_coo.col[k], URM_train_coo.data[k]
        start, end = URM_train.indptr[u], URM_train.indptr[u + 1]
        profile, ratings = URM_train.indices[start:end], URM_train.data[start:end]
        pred = 0.0
        for p in range(end - start - 1, -1, -1):
            pred += S[profile[p], i] * ratings[p]
        err = r - pred
        loss += err**2
        S[profile, i] += lr * err * ratings
    return loss, n_steps


class ReversedSum(PythonIndptr):
    name = "faulty-reversed-sum"
    description = "test fault: reassociated prediction sum"

    @staticmethod
    def _loop():
        return _reversed_sum_loop


def every_length_profiles(seed: int, n_users: int, n_items: int) -> sp.csr_matrix:
    """Profiles of every length from 1 to n_items (every remainder mod 4, 8 and 16: a SIMD
    kernel's tail), each user's items distinct and sorted, half stars."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for u in range(n_users):
        length = 1 + (u * 7919) % n_items
        rows.append(np.full(length, u))
        cols.append(np.sort(rng.choice(n_items, length, replace=False)))
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    ratings = rng.integers(1, 11, rows.shape[0]) / 2
    return sp.csr_matrix((ratings, (rows, cols)), shape=(n_users, n_items))
