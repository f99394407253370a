"""Seeded synthetic URMs shaped like MovieLens 10M (the seed's dataset), built in seconds.

What matters for the benchmark is the cost of one SGD step, which is the length of the
sampled user's profile. A uniformly drawn interaction belongs to user u with probability
len(u)/nnz, so the expected profile length of a step is sum(len^2)/sum(len), dominated by
the heavy users. The generator therefore controls the *per-user lengths* precisely:

* lengths follow a shifted lognormal evaluated at evenly spaced quantiles (not random
  draws), so the distribution's tail, and with it sum(len^2)/sum(len), does not wobble
  with the seed; a taper ``kappa`` on the upper half bends the tail down so that this
  figure can be set (``epl``) independently of the mean and the median;
* lengths are clipped to [min_len, max_len] and rounded so that they sum to exactly nnz.

Items are then drawn per user without replacement with lognormal popularity weights,
and ratings are half stars drawn from MovieLens 10M's rating histogram. Everything
comes from one ``numpy.random.Generator(PCG64(seed))``: same parameters and seed, same
matrix, on any run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import brentq
from scipy.special import ndtri

from slimbench.impls import InvalidInputError, prepare_urm
from slimbench.impls.base import MAX_SEED

from ..measure.machine import available_memory

#: MovieLens 10M's share of each half-star rating, 0.5 ... 5.0 (mean 3.51).
ML10M_RATING_SHARES = (
    0.0094,
    0.0383,
    0.0119,
    0.0790,
    0.0370,
    0.2360,
    0.0880,
    0.2880,
    0.0580,
    0.1544,
)
HALF_STARS = np.arange(1, 11) / 2.0


#: peak bytes :func:`generate` takes per interaction and per user (keys, sort buffers,
#: the CSR and its canonical copy), an upper estimate for the refusal before generating
GENERATE_BYTES_PER_ENTRY = 128  # peak RSS measured ~90 per entry at 5M entries
GENERATE_BYTES_PER_USER = 64
FLOAT_FIELDS = ("median_len", "loc", "epl", "item_sigma", "item_zmin", "item_zmax")


@dataclass(frozen=True)
class SyntheticParams:
    """Parameters of :func:`generate`; the defaults are the ``synthetic-ml10m`` preset."""

    n_users: int = 69_878
    n_items: int = 10_681
    nnz: int = 10_000_054
    min_len: int = 20  # ML10M keeps users with at least 20 ratings
    median_len: float = 70.0
    max_len: int = 7_359  # ML10M's most active user
    loc: float = 18.5  # shift of the lognormal fitted to ML10M's user activity
    epl: float | None = 580.0  # target sum(len^2)/sum(len); None: no taper
    item_sigma: float = 2.12  # lognormal shape of item popularity weights (ML10M fit)
    # item weights use the normal quantile clipped to [item_zmin, item_zmax]: the cap keeps
    # the top item near ML10M's 34,864 ratings (a user rates an item once), the floor keeps
    # the unrated items few
    item_zmin: float = -2.0
    item_zmax: float = 3.1
    seed: int = 0

    def scaled(self, scale: float) -> SyntheticParams:
        """Users and interactions times ``scale``; items and profile lengths unchanged.

        Keeping the items and the per-user length distribution keeps the cost of one
        step (and the size of S) the same as the full preset: only an epoch gets shorter.
        """
        if not (0.0 < scale <= 4.0) or not np.isfinite(scale):
            raise InvalidInputError(
                f"scale={scale} is out of range: use 0 < scale <= 4 (1 is the full size; "
                "0.1 is a tenth of the users and interactions)."
            )
        n_users = max(1, round(self.n_users * scale))
        nnz = round(self.nnz * n_users / self.n_users)
        return replace(self, n_users=n_users, nnz=nnz)

    @property
    def mean_len(self) -> float:
        return self.nnz / self.n_users

    def check(self) -> None:
        """Raise :class:`InvalidInputError` naming the first inconsistent parameter."""
        problems = []
        if self.n_users < 1 or self.n_items < 1:
            problems.append(f"n_users={self.n_users} and n_items={self.n_items} must be >= 1")
        if not 1 <= self.min_len <= self.max_len <= self.n_items:
            problems.append(
                f"need 1 <= min_len ({self.min_len}) <= max_len ({self.max_len}) "
                f"<= n_items ({self.n_items})"
            )
        if not self.loc < self.median_len:
            problems.append(f"need loc ({self.loc}) < median_len ({self.median_len})")
        if not self.min_len <= self.mean_len <= self.max_len:
            problems.append(
                f"the mean profile length nnz/n_users = {self.mean_len:.4g} must lie in "
                f"[min_len, max_len] = [{self.min_len}, {self.max_len}]"
            )
        if self.nnz > np.iinfo(np.int32).max:
            problems.append(f"nnz={self.nnz:,} exceeds int32")
        if self.item_sigma < 0:
            problems.append(f"item_sigma={self.item_sigma} must be >= 0")
        floats = {k: getattr(self, k) for k in FLOAT_FIELDS if getattr(self, k) is not None}
        problems += [
            f"{k}={v} must be a finite number" for k, v in floats.items() if not np.isfinite(v)
        ]
        if not 0 <= self.seed <= MAX_SEED:
            problems.append(f"seed={self.seed} must lie in [0, {MAX_SEED}]")
        if problems:
            raise InvalidInputError("synthetic parameters: " + "; ".join(problems) + ".")
        need = GENERATE_BYTES_PER_ENTRY * self.nnz + GENERATE_BYTES_PER_USER * self.n_users
        if need > available_memory() // 2:
            problems.append(
                f"generating {self.n_users:,} users and {self.nnz:,} interactions needs about "
                f"{need / 2**30:.1f} GiB, more than half the {available_memory() / 2**30:.1f} "
                "GiB available; use fewer users or interactions"
            )
        if problems:
            raise InvalidInputError("synthetic parameters: " + "; ".join(problems) + ".")


def _length_curve(z: np.ndarray, p: SyntheticParams, sigma: float, kappa: float) -> np.ndarray:
    taper = kappa * np.where(z > 0, z * z, 0.0)
    raw = p.loc + (p.median_len - p.loc) * np.exp(sigma * z - taper)
    return np.clip(raw, p.min_len, p.max_len)


def _sigma_for_mean(z: np.ndarray, p: SyntheticParams, kappa: float) -> float:
    def gap(s: float) -> float:
        return float(_length_curve(z, p, s, kappa).mean()) - p.mean_len

    lo, hi = 1e-6, 8.0
    if gap(lo) > 0 or gap(hi) < 0:
        raise InvalidInputError(
            f"synthetic parameters: no lognormal spread gives mean profile length "
            f"{p.mean_len:.4g} with median {p.median_len}, clipped to "
            f"[{p.min_len}, {p.max_len}]; change nnz, median_len or max_len."
        )
    return brentq(gap, lo, hi, xtol=1e-10)


def profile_lengths(p: SyntheticParams) -> np.ndarray:
    """Per-user profile lengths (int64, quantile order, summing to exactly ``p.nnz``)."""
    p.check()
    z = ndtri((np.arange(p.n_users) + 0.5) / p.n_users)
    kappa = 0.0
    if p.epl is not None:

        def epl_gap(k: float) -> float:
            x = _length_curve(z, p, _sigma_for_mean(z, p, k), k)
            return float((x * x).sum() / x.sum()) - p.epl

        hi_k = 0.5
        if epl_gap(0.0) < 0 or epl_gap(hi_k) > 0:
            raise InvalidInputError(
                f"synthetic parameters: epl={p.epl} (expected profile length of a sampled "
                f"interaction) is out of reach with these lengths; "
                f"without taper it is {epl_gap(0.0) + p.epl:.4g}. Set epl lower or epl=none."
            )
        kappa = brentq(epl_gap, 0.0, hi_k, xtol=1e-6)
    x = _length_curve(z, p, _sigma_for_mean(z, p, kappa), kappa)
    lengths = np.floor(x).astype(np.int64)
    # Hand out the rounding remainder to the largest fractional parts (ties: the longest),
    # within the cap, so the total is exact.
    short = p.nnz - int(lengths.sum())
    room = lengths < p.max_len
    order = np.lexsort((-x, -(x - np.floor(x))))
    order = order[room[order]]
    if short > order.size:
        raise InvalidInputError("synthetic parameters: nnz does not fit under max_len.")
    lengths[order[:short]] += 1
    return lengths


def _item_weights(p: SyntheticParams, rng: np.random.Generator) -> np.ndarray:
    z = ndtri((np.arange(p.n_items) + 0.5) / p.n_items)
    weights = np.exp(p.item_sigma * np.clip(z, p.item_zmin, p.item_zmax))
    return rng.permutation(weights)  # popularity unrelated to the item index


def _is_in(sorted_chunks: list[np.ndarray], keys: np.ndarray) -> np.ndarray:
    """Membership of ``keys`` in the union of sorted arrays (binary search, no sort)."""
    found = np.zeros(keys.size, dtype=bool)
    for chunk in sorted_chunks:
        pos = np.minimum(np.searchsorted(chunk, keys), chunk.size - 1)
        found |= chunk[pos] == keys
    return found


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    # np.sort + mask: np.unique is many times slower on large int64 arrays in numpy >= 2.3
    keys = np.sort(keys)
    keep = np.ones(keys.size, dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    return keys[keep]


def _sample_items(
    lengths: np.ndarray, weights: np.ndarray, rng: np.random.Generator, rounds: int = 8
) -> np.ndarray:
    """Sorted unique keys user * n_items + item, exactly ``lengths[u]`` per user.

    Successive weighted sampling without replacement, vectorised over users: each round
    draws items with replacement by popularity, oversampled by 1 / (weight share the user
    does not hold yet), and keeps, per user, the first new distinct items in draw order,
    up to what the user still needs. The few users still short after ``rounds`` (the
    heaviest, left with unpopular items) are completed exactly by Gumbel top-k over the
    items they lack, at n_items work each.
    """
    n_users, n_items = lengths.size, weights.size
    share = weights / weights.sum()
    cdf = np.cumsum(share)
    chunks: list[np.ndarray] = []
    need = lengths.astype(np.int64).copy()
    held = np.zeros(n_users)  # popularity share already held by each user
    users = np.arange(n_users, dtype=np.int64)
    for _ in range(rounds):
        short = users[need > 0]
        if short.size == 0:
            break
        free = np.maximum(1.0 - held[short], 1e-3)
        draws = np.minimum(np.ceil(need[short] / free * 1.1) + 2, 4 * n_items).astype(np.int64)
        owners = np.repeat(short, draws)
        items = np.minimum(np.searchsorted(cdf, rng.random(owners.size), side="right"), n_items - 1)
        keys = owners * n_items + items
        fresh = np.flatnonzero(~_is_in(chunks, keys)) if chunks else np.arange(keys.size)
        # first occurrence of each fresh key, in draw order
        order = fresh[np.argsort(keys[fresh], kind="stable")]
        first = np.ones(order.size, dtype=bool)
        first[1:] = keys[order[1:]] != keys[order[:-1]]
        picked = np.sort(order[first])  # draw positions; draws are grouped by owner
        own = owners[picked]
        start = np.searchsorted(own, own, side="left")
        rank = np.arange(own.size) - start
        picked = picked[rank < need[own]]
        new = np.sort(keys[picked])
        if new.size:
            chunks.append(new)
        got = np.bincount(new // n_items, minlength=n_users)
        need -= got
        held += np.bincount(new // n_items, weights=share[new % n_items], minlength=n_users)
    keys = np.sort(np.concatenate(chunks)) if chunks else np.empty(0, dtype=np.int64)
    short = users[need > 0]
    if short.size:
        log_w = np.log(share)
        extra = [keys]
        have_start = np.searchsorted(keys, short * n_items)
        have_end = np.searchsorted(keys, (short + 1) * n_items)
        for u, a, b in zip(short.tolist(), have_start.tolist(), have_end.tolist(), strict=True):
            score = log_w + rng.gumbel(size=n_items)
            score[keys[a:b] - u * n_items] = -np.inf
            k = int(need[u])
            extra.append(u * n_items + np.argpartition(-score, k - 1)[:k])
        keys = np.sort(np.concatenate(extra))
    return keys


def generate(p: SyntheticParams) -> sp.csr_matrix:
    """Build the URM for ``p``: canonical CSR (float64 ratings, int32 indices, sorted)."""
    lengths = profile_lengths(p)
    rng = np.random.Generator(np.random.PCG64(p.seed))
    lengths = rng.permutation(lengths)  # activity unrelated to the user index
    weights = _item_weights(p, rng)
    keys = _sample_items(lengths, weights, rng)
    indices = (keys % p.n_items).astype(np.int32)
    indptr = np.zeros(p.n_users + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    shares = np.asarray(ML10M_RATING_SHARES) / sum(ML10M_RATING_SHARES)
    data = HALF_STARS[np.searchsorted(np.cumsum(shares)[:-1], rng.random(keys.size), side="right")]
    csr = sp.csr_matrix((data, indices, indptr), shape=(p.n_users, p.n_items))
    return prepare_urm(csr, name="synthetic URM").csr


def expected_profile_length(lengths: np.ndarray) -> float:
    """sum(len^2) / sum(len): the mean profile length of a uniformly drawn interaction."""
    lengths = np.asarray(lengths, dtype=np.float64)
    total = lengths.sum()
    return float((lengths * lengths).sum() / total) if total else 0.0
