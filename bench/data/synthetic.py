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

Items are then drawn per user without replacement from a per-user distribution p(i | u)
(successive sampling: each next item with probability p(i | u) among those not yet held).
With ``structure="tastes"`` (the default) it is the latent-taste model of :mod:`.tastes`:
every item has one of ``n_tastes`` tastes, every user Dirichlet taste weights, and p(i | u)
mixes popularity with popularity within the user's tastes, so that items that occur
together say something about each other, as on real MovieLens, and an item-item model has
something to learn. Ratings are then a score of user bias, item quality and the user's
affinity to the item's taste (the baseline-predictor shape of Koren 2008) cut at MovieLens
10M's histogram quantiles. With ``structure="none"`` (generator ``popularity-1``, the first
one, kept bit for bit) p(i | u) is the item's popularity share and ratings are drawn from
the histogram: no item-item signal at all.

The default generator is ``tastes-4``: the tastes are dealt by popularity
(``taste_banding`` 0.9), so that each taste holds items of about one popularity level, as a
few mainstream genres hold most of MovieLens's blockbusters and the niche genres its tail;
the item ids stay a random permutation of the tastes. Dealt at random (``taste_banding=0``,
generator ``tastes-3``, the default before, reachable bit for bit with
``taste_banding=0,taste_share=0.87,rating_taste=1``) users who keep to a few tastes
exhaust their popular items and move down their tail, which flattened the popularity
tail (Gini of item popularity 0.71 against the first generator's 0.79); banded, the niche
tastes keep few fans and the tail is the first generator's again (0.81). tastes-3 drew
the same law as tastes-2 by another stream: tastes-2 drew with replacement and dropped the
items a user held, which for users who keep to a few tastes meant redrawing them many times
(4x the first generator's time on synthetic-ml10m); :func:`_race_items` draws them by
exponential clocks without those redraws, and tastes-4 uses the same sampler.

The taste parameters were calibrated on synthetic-ml10m against the precision@10 ratios to
top-popular that the default ``slimbench train`` (10 epochs, auto rate, S[i, i] held at 0)
gives on MovieLens latest-small (item-KNN 1.86x, EASE 2.05x, SGD SLIM 1.76x);
docs/training.md ("Quality metrics") gives the targets, the screening and the table on this
data. Banding gives item-KNN more to find and ``taste_share`` (0.7: the share of a user's
choices led by taste) takes it back to the targets; SGD SLIM, whose popular columns take
tens of thousands of steps an epoch, needs the zero diagonal on this tail, and fits the
ratings, which ``rating_taste`` 2 ties closer to the user's tastes (the same histogram).

Everything comes from one ``numpy.random.Generator(PCG64(seed))``: same parameters and
seed, same matrix, on any run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import brentq
from scipy.special import ndtri

from slimbench.impls import InvalidInputError, prepare_urm
from slimbench.impls.base import MAX_SEED

from ..host import available_memory
from .tastes import GUIDE_CHUNK_USERS, PopularityChoice, TasteChoice, taste_tables

ItemChoice = PopularityChoice | TasteChoice

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
GENERATE_BYTES_PER_USER_TASTE = 32  # theta, its CDF, a temporary (float64) and a guide
GENERATE_BYTES_PER_CELL = 0.125  # one bit per (user, item): the items each user holds
FLOAT_FIELDS = (
    "median_len",
    "loc",
    "epl",
    "item_sigma",
    "item_zmin",
    "item_zmax",
    "taste_alpha",
    "taste_share",
    "rating_taste",
    "popularity_power",
    "popularity_cap",
    "taste_banding",
)
#: the generator behind each ``structure``, named in results so runs on different data never
#: compare as one dataset; results written before this existed came from "popularity-1"
#: tastes-2: taste_share 0.9 -> 0.87, so EASE falls inside the calibration band (docs/training.md)
#: tastes-3: the same law, drawn by an exponential race (_race_items) instead of rejection
GENERATOR_VERSIONS = {"none": "popularity-1", "tastes": "tastes-3"}
#: tastes-4 (the default): tastes-3's sampler with the tastes dealt by popularity
#: (taste_banding > 0); taste_banding=0,taste_share=0.87,rating_taste=1 is tastes-3's
#: default, bit for bit
BANDED_GENERATOR = "tastes-4"
#: spread of the user and item terms of a rating's score, in units of its noise (sd 1);
#: MovieLens's baseline predictors (Koren 2008) have user and item biases of about half
#: the residual's spread
RATING_USER_SD = 0.5
RATING_ITEM_SD = 0.6


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
    # taste structure (bench/data/tastes.py); structure="none" is the first generator
    # calibrated on synthetic-ml10m (module docstring; docs/training.md, "Quality metrics")
    structure: str = "tastes"
    n_tastes: int = 200  # about 53 items each
    taste_alpha: float = 0.3  # Dirichlet concentration of a user's tastes: small, few tastes
    taste_share: float = 0.7  # share of a user's choices led by taste (the rest: popularity)
    # (tastes-3's default was 0.87; banding gives item-KNN more, this takes it back)
    # weight of the user's affinity to the item's taste in ratings (tastes-3: 1); 2 lets
    # SGD SLIM, which fits the ratings, reach the calibration's target (docs/training.md)
    rating_taste: float = 2.0
    popularity_power: float = 1.05  # share ** power: gives back part of the popularity tail
    # the sharpened head no higher than cap x the unsharpened top share; None: no cap
    popularity_cap: float | None = None
    # 0: tastes dealt at random (tastes-3); towards 1: each taste one popularity level;
    # 0.9 (tastes-4, the default) keeps the first generator's popularity tail
    taste_banding: float = 0.9
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
    def generator(self) -> str:
        """The version of the generator these parameters select (GENERATOR_VERSIONS).

        Tastes dealt at random (``taste_banding=0``) are tastes-3's draws, bit for bit."""
        if self.structure == "tastes" and self.taste_banding > 0:
            return BANDED_GENERATOR
        return GENERATOR_VERSIONS.get(self.structure, self.structure)

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
        if self.structure not in GENERATOR_VERSIONS:
            problems.append(
                f"structure={self.structure!r} is unknown; use {' or '.join(GENERATOR_VERSIONS)}"
            )
        if self.n_tastes < 1:
            problems.append(f"n_tastes={self.n_tastes} must be >= 1")
        if not self.popularity_power > 0:
            problems.append(f"popularity_power={self.popularity_power} must be > 0")
        if not self.taste_alpha > 0:
            problems.append(f"taste_alpha={self.taste_alpha} must be > 0")
        if not 0 <= self.taste_banding <= 1:
            problems.append(f"taste_banding={self.taste_banding} must lie in [0, 1]")
        if not 0 <= self.taste_share < 1:
            # below 1 every item keeps a chance with every user, so any profile can be filled
            problems.append(f"taste_share={self.taste_share} must lie in [0, 1)")
        floats = {k: getattr(self, k) for k in FLOAT_FIELDS if getattr(self, k) is not None}
        problems += [
            f"{k}={v} must be a finite number" for k, v in floats.items() if not np.isfinite(v)
        ]
        if not 0 <= self.seed <= MAX_SEED:
            problems.append(f"seed={self.seed} must lie in [0, {MAX_SEED}]")
        if problems:
            raise InvalidInputError("synthetic parameters: " + "; ".join(problems) + ".")
        per_user = GENERATE_BYTES_PER_USER
        if self.structure != "none":
            per_user += GENERATE_BYTES_PER_USER_TASTE * self.n_tastes
        need = (
            GENERATE_BYTES_PER_ENTRY * self.nnz
            + per_user * self.n_users
            + int(GENERATE_BYTES_PER_CELL * self.n_users * self.n_items)
        )
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


class _HeldKeys:
    """The keys user * n_items + item drawn so far, as a bit per (user, item) cell.

    One bit look-up a key: a binary search per key in the sorted chunks of earlier rounds
    was most of the generator's time (tens of millions of searches in arrays of millions,
    each a chain of cache misses). n_users * n_items / 8 bytes: 93 MB for synthetic-ml10m.
    """

    def __init__(self, n_cells: int) -> None:
        self.bits = np.zeros((n_cells + 7) // 8, dtype=np.uint8)

    def add(self, keys: np.ndarray) -> None:
        """Mark ``keys`` (distinct) as held."""
        np.bitwise_or.at(self.bits, keys >> 3, np.left_shift(1, keys & 7).astype(np.uint8))

    def add_sorted(self, keys: np.ndarray) -> None:
        """:meth:`add` for sorted keys: one OR per byte, no unbuffered ufunc.at."""
        if keys.size == 0:
            return
        byte = keys >> 3
        bit = np.left_shift(1, keys & 7).astype(np.uint8)
        start = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
        self.bits[byte[start]] |= np.bitwise_or.reduceat(bit, start)

    def holds(self, keys: np.ndarray) -> np.ndarray:
        """Whether each of ``keys`` is held."""
        return ((self.bits[keys >> 3] >> (keys & 7).astype(np.uint8)) & 1).astype(bool)


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    # np.sort + mask: np.unique is many times slower on large int64 arrays in numpy >= 2.3
    keys = np.sort(keys)
    keep = np.ones(keys.size, dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    return keys[keep]


def _sample_items(
    lengths: np.ndarray, choice: ItemChoice, rng: np.random.Generator, rounds: int = 8
) -> np.ndarray:
    """Sorted unique keys user * n_items + item, exactly ``lengths[u]`` per user.

    Successive weighted sampling without replacement from each user's p(i | u) (``choice``),
    vectorised over users: each round draws items with replacement, oversampled by
    1 / (probability the user does not hold yet), and keeps, per user, the first new
    distinct items in draw order, up to what the user still needs. The few users still
    short after ``rounds`` (the heaviest, left with unlikely items) are completed exactly
    by Gumbel top-k over the items they lack, at n_items work each.
    """
    n_users, n_items = lengths.size, choice.share.size
    chunks: list[np.ndarray] = []
    held_keys = _HeldKeys(n_users * n_items)
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
        items = choice.draw(owners, rng)
        keys = owners * n_items + items
        fresh = np.flatnonzero(~held_keys.holds(keys)) if chunks else np.arange(keys.size)
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
            held_keys.add(new)
        got = np.bincount(new // n_items, minlength=n_users)
        need -= got
        held += np.bincount(
            new // n_items, weights=choice.prob(new // n_items, new % n_items), minlength=n_users
        )
    keys = np.sort(np.concatenate(chunks)) if chunks else np.empty(0, dtype=np.int64)
    short = users[need > 0]
    if short.size:
        extra = [keys]
        have_start = np.searchsorted(keys, short * n_items)
        have_end = np.searchsorted(keys, (short + 1) * n_items)
        for u, a, b in zip(short.tolist(), have_start.tolist(), have_end.tolist(), strict=True):
            score = choice.log_prob(u) + rng.gumbel(size=n_items)
            score[keys[a:b] - u * n_items] = -np.inf
            k = int(need[u])
            extra.append(u * n_items + np.argpartition(-score, k - 1)[:k])
        keys = np.sort(np.concatenate(extra))
    return keys


#: a (user, taste) pair is drawn item by item, each item of the taste on an exponential clock
#: of its own, when the user is expected to draw at least this share of the taste's items
#: from it (psi_u[t] * len(u) >= DENSE_SHARE * size_t): past that point drawing with
#: replacement mostly redraws items the user holds. At most len(u) / DENSE_SHARE clocks a
#: user.
DENSE_SHARE = 0.5
#: the first round of with-replacement draws aims at this many events per item the user
#: lacks (a few are repeats), later rounds at this many per item still missing
RACE_SLACK = 1.1


def _segment_starts(counts: np.ndarray) -> np.ndarray:
    """Offset of each segment of ``counts`` laid end to end, repeated over its entries."""
    first = np.cumsum(counts) - counts
    return np.repeat(first, counts)


def _horizon_guess(psi: np.ndarray, size: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Per user, the time tau at which sum_t min(size_t, psi_u[t] tau) reaches len(u).

    That sum counts the items a user's events would have brought by time tau if no event
    repeated an item before its taste ran out: a quick guess (from below: repeats make the
    true time later) of when the user's race ends, which says which tastes are dense. It
    depends on psi and the lengths only, not on any draw, so it leaves the sampler exact.
    """
    n_users = psi.shape[0]
    tau = np.empty(n_users)
    for a in range(0, n_users, GUIDE_CHUNK_USERS):
        b = min(a + GUIDE_CHUNK_USERS, n_users)
        rows = psi[a:b]
        with np.errstate(divide="ignore"):
            runs_out = size / rows  # the time taste t runs out
        order = np.argsort(runs_out, axis=1)
        ends = np.take_along_axis(runs_out, order, axis=1)
        sizes = size[order]
        rates = np.take_along_axis(rows, order, axis=1)
        done = np.cumsum(sizes, axis=1)  # items of the tastes run out by ends[:, j]
        left = rates.sum(axis=1, keepdims=True) - np.cumsum(rates, axis=1)
        with np.errstate(invalid="ignore"):
            reach = done + ends * left
        j = np.argmax(reach >= need[a:b, None], axis=1)
        r = np.arange(b - a)
        before = done[r, j] - sizes[r, j]
        rate = left[r, j] + rates[r, j]
        tau[a:b] = (need[a:b] - before) / rate
    return tau


def _race_items(lengths: np.ndarray, choice: TasteChoice, rng: np.random.Generator) -> np.ndarray:
    """Sorted unique keys user * n_items + item, exactly ``lengths[u]`` per user (tastes-3).

    The same law as :func:`_sample_items` (successive sampling without replacement from
    p(i | u)) without its redraws, by the exponential race behind Efraimidis-Spirakis
    keys: give item i a clock T_i ~ Exp(p(i | u)), independent across items; the user's
    items are the len(u) earliest clocks, in the order of successive sampling. The clocks of
    one taste are independent of the others', so each (user, taste) pair may make its own
    in either of two exact ways:

    * *dense* pairs (the user takes a good part of the taste): one exponential per item of
      the taste, T_i = E_i / p(i | u); no redraws however much of the taste the user holds;
    * *sparse* pairs (the rest): a Poisson process of rate psi_u[t] whose events are items
      of the taste by popularity; an item's first event is its clock. These are drawn
      with replacement from psi_u with the dense tastes taken out, at few repeats.

    Rounds of sparse events, in time order per user, run until the clocks below each
    user's horizon (the time of their last event) number at least len(u); the len(u)
    earliest are the user's items. Every clock below the horizon is known, so the choice is
    exact. Which pairs are dense depends on psi and the lengths only (not on any draw).
    """
    n_users, n_items = lengths.size, choice.share.size
    n_tastes = choice.n_tastes
    size = np.diff(choice.start)
    need = lengths.astype(np.int64)
    psi = choice.mixture()
    guess = _horizon_guess(psi, size, need)
    dense = psi * guess[:, None] >= DENSE_SHARE * size
    # dense pairs: a clock per item of the taste
    du, dt = np.nonzero(dense)  # grouped by user
    count = size[dt]
    pair = np.repeat(np.arange(du.size), count)
    slot = np.arange(pair.size) - _segment_starts(count) + choice.start[dt][pair]
    d_item = choice.by_taste[slot]
    del slot
    d_owner = du[pair]
    rate = (psi[du, dt] / choice.mass[dt])[pair] * choice.share[d_item]
    del pair
    d_time = rng.standard_exponential(d_item.size) / rate
    del rate
    # sparse pairs: psi without the dense tastes
    psi[dense] = 0.0
    sparse_rate = psi.sum(axis=1)
    psi[sparse_rate == 0.0] = 1.0  # never drawn from: keeps every row normalisable
    cdf, guide = taste_tables(psi)
    del psi
    horizon = np.where(sparse_rate > 0, 0.0, np.inf)
    target = RACE_SLACK * guess
    held_keys = _HeldKeys(n_users * n_items)
    key_bits = max(1, (n_users * n_items - 1).bit_length())
    owners_s: list[np.ndarray] = []
    items_s: list[np.ndarray] = []
    times_s: list[np.ndarray] = []
    got = np.zeros(n_users, dtype=np.int64)  # sparse first events so far
    clocks = _DenseClocks(d_owner, d_time, n_users)
    active = np.flatnonzero(sparse_rate > 0)
    while True:
        missing = need[active] - got[active] - clocks.below(active, horizon[active])
        short = missing > 0
        active, missing = active[short], missing[short]
        if active.size == 0:
            break
        if owners_s:
            # stretch the horizon as if the items held grew in proportion to it (they grow
            # slower: the race is concave), so rounds undershoot rather than overshoot
            have = np.maximum(need[active] - missing, 1)
            target[active] = horizon[active] * (1.0 + RACE_SLACK * missing / have)
        k = np.ceil(sparse_rate[active] * (target[active] - horizon[active])).astype(np.int64)
        k = np.maximum(k, 1)
        owners = np.repeat(active, k)
        # the events' times: the user's last horizon plus a running sum of gaps
        times = np.cumsum(rng.standard_exponential(owners.size) / sparse_rate[owners])
        ends = np.cumsum(k) - 1
        base = np.concatenate(([0.0], times[ends[:-1]]))
        times += np.repeat(horizon[active] - base, k)
        horizon[active] = times[ends]
        taste = choice.taste_of(cdf, guide, owners, rng)
        items = choice.item_of_taste(taste, rng)
        keys = owners * n_items + items
        # a first event of its key: not held from an earlier round, none before it in this
        # one (draw order is time order within a user). Only the last taste can be drawn
        # while dense (the CDF's last entry is set to 1 against rounding): such draws go.
        fresh = ~held_keys.holds(keys)
        last = np.flatnonzero(taste == n_tastes - 1)
        fresh[last[dense[owners[last], n_tastes - 1]]] = False
        position = np.flatnonzero(fresh)
        order = _first_by_key(keys, position, key_bits)
        held_keys.add_sorted(keys[order])
        owners_s.append(owners[order])
        items_s.append(items[order])
        times_s.append(times[order])
        got += np.bincount(owners[order], minlength=n_users)
    # the len(u) earliest clocks below each user's horizon
    keep = d_time <= horizon[d_owner]
    owner = np.concatenate([d_owner[keep], *owners_s])
    item = np.concatenate([d_item[keep], *items_s])
    time = np.concatenate([d_time[keep], *times_s])
    del d_owner, d_item, d_time, keep, owners_s, items_s, times_s, clocks
    owner, item = _earliest_first(owner, item, time, horizon, n_users, n_items)
    counts = np.bincount(owner, minlength=n_users)
    rank = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    take = rank < need[owner]
    return np.sort(owner[take] * n_items + item[take])


class _DenseClocks:
    """How many of each user's dense clocks fall below a time: the clocks sorted once by
    user and float32 time, packed in a uint64, then a binary search per user asked.

    float32 rounding is monotone, so float32(t) < float32(h) implies t < h: the count
    never includes a clock above the horizon (it may miss one just below it, which only
    costs another round)."""

    def __init__(self, owner: np.ndarray, time: np.ndarray, n_users: int) -> None:
        packed = owner.astype(np.uint64) << np.uint64(32)
        packed |= time.astype(np.float32).view(np.uint32)
        packed.sort()
        self.packed = packed

    def below(self, users: np.ndarray, horizon: np.ndarray) -> np.ndarray:
        """Per entry of ``users`` (ascending), its clocks below ``horizon``, at least."""
        base = users.astype(np.uint64) << np.uint64(32)
        start = np.searchsorted(self.packed, base)
        end = np.searchsorted(self.packed, base | horizon.astype(np.float32).view(np.uint32))
        return end - start


def _first_by_key(keys: np.ndarray, position: np.ndarray, key_bits: int) -> np.ndarray:
    """The entries of ``position`` that hold the first occurrence of their key in
    ``keys``, ordered by key: one sort of key and position packed in an int64."""
    pos_bits = 63 - key_bits
    if position.size and position.size < 2**pos_bits:
        packed = np.sort(keys[position] << pos_bits | np.arange(position.size))
        k = packed >> pos_bits
        first = np.ones(packed.size, dtype=bool)
        first[1:] = k[1:] != k[:-1]
        return position[packed[first] & (2**pos_bits - 1)]
    order = position[np.argsort(keys[position], kind="stable")]
    first = np.ones(order.size, dtype=bool)
    first[1:] = keys[order[1:]] != keys[order[:-1]]
    return order[first]


def _earliest_first(
    owner: np.ndarray,
    item: np.ndarray,
    time: np.ndarray,
    horizon: np.ndarray,
    n_users: int,
    n_items: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``owner`` and ``item`` sorted by owner, then by time.

    One sort of owner, time and item packed in 64 bits: the time as a fixed-point
    fraction of the owner's horizon (at least 2**-28 of it at the sizes allowed; two
    clocks that close tie and go by item, a bias far below anything measured), which is
    many times faster than a lexsort.
    """
    owner_bits = max(1, (n_users - 1).bit_length())
    item_bits = max(1, (n_items - 1).bit_length())
    time_bits = 63 - owner_bits - item_bits
    if time_bits < 28:
        order = np.lexsort((time, owner))
        return owner[order], item[order]
    scale = horizon.copy()
    endless = ~np.isfinite(scale[owner])  # users whose every taste is dense
    scale[~np.isfinite(scale)] = 0.0
    np.maximum.at(scale, owner[endless], time[endless])
    scale = np.where(scale > 0, scale, 1.0)
    steps = 2**time_bits - 1
    frac = np.minimum(time / scale[owner], 1.0) * steps
    packed = owner.astype(np.int64) << (time_bits + item_bits)
    packed |= frac.astype(np.int64) << item_bits
    packed |= item
    packed.sort()
    return packed >> (time_bits + item_bits), packed & (2**item_bits - 1)


def _histogram_ratings(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` half stars drawn independently from MovieLens 10M's histogram."""
    shares = np.asarray(ML10M_RATING_SHARES) / sum(ML10M_RATING_SHARES)
    return HALF_STARS[np.searchsorted(np.cumsum(shares)[:-1], rng.random(n), side="right")]


def _taste_ratings(keys: np.ndarray, choice: TasteChoice, p: SyntheticParams, rng) -> np.ndarray:
    """Half stars from a score user bias + item quality + affinity + noise, by quantile.

    The affinity of u to item i is theta_u[t(i)] / max_t theta_u: 1 for the user's main
    taste. The scores are cut at the quantiles of MovieLens 10M's rating histogram, so the
    histogram is kept (exactly, up to rounding) while who rates what high follows taste.
    """
    users, items = keys // p.n_items, keys % p.n_items
    user_bias = rng.normal(0.0, RATING_USER_SD, p.n_users)
    item_quality = rng.normal(0.0, RATING_ITEM_SD, p.n_items)
    theta = choice.user_taste
    affinity = theta[users, choice.item_taste[items]] / theta.max(axis=1)[users]
    score = user_bias[users] + item_quality[items] + p.rating_taste * affinity
    score += rng.standard_normal(keys.size)
    shares = np.asarray(ML10M_RATING_SHARES) / sum(ML10M_RATING_SHARES)
    cuts = np.quantile(score, np.cumsum(shares)[:-1]) if keys.size else np.zeros(9)
    return HALF_STARS[np.searchsorted(cuts, score, side="right")]


def generate(p: SyntheticParams) -> sp.csr_matrix:
    """Build the URM for ``p``: canonical CSR (float64 ratings, int32 indices, sorted).

    ``structure="none"`` reproduces the first generator bit for bit (the same draws in the
    same order), so results measured on it stay comparable.
    """
    lengths = profile_lengths(p)
    rng = np.random.Generator(np.random.PCG64(p.seed))
    lengths = rng.permutation(lengths)  # activity unrelated to the user index
    weights = _item_weights(p, rng)
    share = weights / weights.sum()
    if p.structure == "none":
        choice: ItemChoice = PopularityChoice(share)
    else:
        choice = TasteChoice.deal(
            share,
            p.n_users,
            p.n_tastes,
            p.taste_alpha,
            p.taste_share,
            rng,
            p.popularity_power,
            p.popularity_cap,
            p.taste_banding,
        )
    if p.structure == "tastes":
        keys = _race_items(lengths, choice, rng)
    else:
        keys = _sample_items(lengths, choice, rng)
    indices = (keys % p.n_items).astype(np.int32)
    indptr = np.zeros(p.n_users + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    if isinstance(choice, TasteChoice):
        data = _taste_ratings(keys, choice, p, rng)
    else:
        data = _histogram_ratings(keys.size, rng)
    csr = sp.csr_matrix((data, indices, indptr), shape=(p.n_users, p.n_items))
    return prepare_urm(csr, name="synthetic URM").csr


def expected_profile_length(lengths: np.ndarray) -> float:
    """sum(len^2) / sum(len): the mean profile length of a uniformly drawn interaction."""
    lengths = np.asarray(lengths, dtype=np.float64)
    total = lengths.sum()
    return float((lengths * lengths).sum() / total) if total else 0.0
