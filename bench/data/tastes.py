"""Which item a synthetic user picks next: by popularity alone, or by popularity and taste.

The generator (:mod:`.synthetic`) fills each user's profile by repeated draws from a
per-user item distribution p(i | u). Two choices implement it:

* :class:`PopularityChoice` (structure ``none``, the first generator): p(i | u) = share_i,
  the item's popularity share, the same for every user. No item says anything about
  another, so no item-item model can beat top-popular on it.
* :class:`TasteChoice` (structure ``tastes``): a mixed-membership model with latent tastes,
  the shape of LDA topic models of user histories (Blei, Ng, Jordan 2003) and of the
  popularity-times-affinity generators used to simulate recommender data. Every item has one
  of K tastes t(i) (a genre, as in MovieLens's genre labels); every user has taste weights
  theta_u ~ Dirichlet(alpha * m), where m_t is the popularity mass of taste t; and

      p(i | u) = (1 - w) * share_i + w * theta_u[t(i)] * share_i / m[t(i)].

  The first term is taste-blind popularity, the second picks a taste by the user's weights
  and then an item of it by popularity. Because E[theta_u] = m, the mean of p(i | u) over
  users is share_i: the popularity tail is the one of the first generator. ``w`` (taste
  share) and ``alpha`` (small: users keep to a few tastes) set how much an item-item model
  can learn; they are calibrated against ml-latest-small (see :mod:`.synthetic`).

Why this model and not a dense low-rank factor model: with one taste per item a draw is
two table look-ups (a taste, then an item within it), vectorised over all users, and a
user's items without replacement need no n_users x n_items table: the generator's sampler
(:func:`.synthetic._race_items`, tastes-3) gives each item of a taste the user takes much
of an exponential clock of its own and draws the rest with replacement, so its time stays
near the first generator's; a dense model would need p(i | u) over all 10,681 items for
each of 69,878 users.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np


def _offset_cdfs(weights: np.ndarray) -> np.ndarray:
    """Row-wise CDFs of the rows of ``weights`` (each normalised to end at 1), row r shifted
    by r and laid end to end: ``searchsorted(flat, r + uniform)`` draws from row r.

    Built in place, over ``weights`` (float64, C order): a fresh n_users x K table costs
    more in page faults than the arithmetic."""
    cdf = np.cumsum(weights, axis=1, out=weights)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0
    cdf += np.arange(weights.shape[0])[:, None]
    return cdf.ravel()


#: guide entries per taste in each user's row: about one CDF step per guide bucket, so a
#: draw ends after a look-up and a step or two
GUIDE_PER_TASTE = 4
#: users whose guide rows are built at once (bounds the temporaries to ~25 MB, which the
#: allocator then reuses from chunk to chunk)
GUIDE_CHUNK_USERS = 2048


def _guide_table(cdf: np.ndarray, n_rows: int, row_len: int, buckets: int) -> np.ndarray:
    """Chen's guide table over rows laid end to end by :func:`_offset_cdfs`.

    ``guide[r, g]`` counts the entries of row r below ``r + g / buckets``: every draw whose
    fraction lies in bucket g finds its answer at or after that entry, so the inverse-CDF
    search starts there instead of at a binary search over the whole table.
    """
    guide = np.zeros((n_rows, buckets), dtype=np.int16 if row_len < 2**15 else np.int32)
    for a in range(0, n_rows, GUIDE_CHUNK_USERS):
        b = min(a + GUIDE_CHUNK_USERS, n_rows)
        rows = np.arange(a, b)[:, None]
        frac = cdf[a * row_len : b * row_len].reshape(b - a, row_len) - rows
        bucket = np.minimum((frac * buckets).astype(np.int64), buckets)
        bucket += (buckets + 1) * (rows - a)
        counts = np.bincount(bucket.ravel(), minlength=(b - a) * (buckets + 1))
        counts = counts.reshape(b - a, buckets + 1)
        np.cumsum(counts[:, : buckets - 1], axis=1, out=guide[a:b, 1:])
    return guide


def _guided_search(
    cdf: np.ndarray, guide: np.ndarray, row_len: int, rows: np.ndarray, keys: np.ndarray
) -> np.ndarray:
    """``np.searchsorted(cdf, keys, side="right")`` for keys ``rows + fraction``, exactly.

    Starts each search at its guide entry and steps forward while the CDF is <= the key:
    the same index as the binary search, at a few look-ups instead of ~24 cache misses
    (the binary searches in an n_users x K table were most of the generator's time).
    """
    buckets = guide.shape[1]
    bucket = np.minimum(((keys - rows) * buckets).astype(np.int64), buckets - 1)
    pos = rows * row_len + guide[rows, bucket]
    active = np.arange(keys.size)
    while active.size:
        at = pos[active]
        step = at < cdf.size
        step[step] = cdf[at[step]] <= keys[active[step]]
        active = active[step]
        pos[active] += 1
    return pos


class PopularityChoice:
    """p(i | u) = share_i for every user (the first generator's model)."""

    def __init__(self, share: np.ndarray) -> None:
        self.share = share  # item popularity shares, summing to 1
        self.cdf = np.cumsum(share)

    def draw(self, owners: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One item per entry of ``owners``, drawn with replacement."""
        items = np.searchsorted(self.cdf, rng.random(owners.size), side="right")
        return np.minimum(items, self.share.size - 1)

    def prob(self, owners: np.ndarray, items: np.ndarray) -> np.ndarray:
        """p(items | owners), elementwise."""
        return self.share[items]

    def log_prob(self, user: int) -> np.ndarray:
        """log p(i | user) over all items."""
        return np.log(self.share)


def taste_tables(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CDFs of the rows of ``weights`` (n_users x K) laid end to end, and their guide table.

    The CDFs are built over ``weights``, which is then gone."""
    n_rows, k = weights.shape
    cdf = _offset_cdfs(weights)
    return cdf, _guide_table(cdf, n_rows, k, GUIDE_PER_TASTE * k)


def _alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table of ``weights`` (Vose's construction): slot j keeps j with
    probability ``keep[j]`` and otherwise gives ``alias[j]``; a draw is one uniform slot."""
    n = weights.size
    scaled = weights * (n / weights.sum())
    keep = np.ones(n)
    alias = np.arange(n)
    small = [j for j in range(n) if scaled[j] < 1.0]
    large = [j for j in range(n) if scaled[j] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        keep[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return keep, alias  # slots left in either list keep themselves (rounding)


class TasteChoice:
    """p(i | u) = (1 - w) share_i + w theta_u[t(i)] share_i / m[t(i)] (module docstring).

    The same as p(i | u) = psi_u[t(i)] share_i / m[t(i)] with psi_u = (1 - w) m + w theta_u:
    a taste from the user's mixture psi_u, then an item of that taste by popularity. Two
    uniforms per draw: the taste by a search in the users' CDFs laid end to end, the item by
    an alias table (one look-up).
    """

    def __init__(
        self,
        share: np.ndarray,
        item_taste: np.ndarray,
        user_taste: np.ndarray,
        taste_share: float,
    ) -> None:
        self.share = share  # item popularity shares, summing to 1
        self.item_taste = item_taste  # t(i), int64 in [0, K)
        self.user_taste = user_taste  # theta: n_users x K, rows summing to 1
        self.taste_share = taste_share  # w
        n_tastes = user_taste.shape[1]
        self.mass = np.bincount(item_taste, weights=share, minlength=n_tastes)
        # items grouped by taste, with one alias table per group laid end to end
        self.by_taste = np.argsort(item_taste, kind="stable")
        self.start = np.searchsorted(item_taste[self.by_taste], np.arange(n_tastes + 1))
        self.keep = np.ones(share.size)
        self.alias = np.arange(share.size)
        for t in range(n_tastes):
            a, b = self.start[t], self.start[t + 1]
            if a < b:
                keep, alias = _alias_table(share[self.by_taste[a:b]])
                self.keep[a:b], self.alias[a:b] = keep, a + alias

    @classmethod
    def deal(
        cls,
        share: np.ndarray,
        n_users: int,
        n_tastes: int,
        alpha: float,
        taste_share: float,
        rng: np.random.Generator,
        popularity_power: float = 1.0,
        popularity_cap: float | None = None,
        banding: float = 0.0,
    ) -> TasteChoice:
        """K tastes of equal size dealt to the items at random, Dirichlet weights per user.

        Dealing at random makes the item ids a random permutation of the tastes: items
        that occur together are not neighbours in memory (which would flatter the cache
        behaviour of every tier). ``popularity_power`` sharpens the popularity shares
        (share ** power, renormalised): a user who keeps to a few tastes exhausts their
        popular items and moves down their tail sooner than one drawing from all items,
        which flattens the popularity tail; the power gives it back. ``banding`` > 0 deals
        the tastes by popularity instead (docs/datasets.md, "Taste structure"): each taste
        then holds items of about one popularity level, as a few mainstream genres hold
        most blockbusters, and the niche tastes keep few fans, which keeps the tail.
        """
        top = share.max()
        share = share**popularity_power
        share = share / share.sum()
        if popularity_cap is not None:
            # the head no sharper than cap x the unsharpened top share (renormalising
            # leaves it a little above)
            share = np.minimum(share, popularity_cap * top)
            share = share / share.sum()
        n_items = share.size
        n_tastes = max(1, min(n_tastes, n_items))
        if banding > 0:
            # tastes cut from the items in order of a key that is mostly their popularity
            # rank: each taste holds items of about one popularity level
            rank = np.empty(n_items)
            rank[np.argsort(-share, kind="stable")] = np.arange(n_items) / n_items
            key = banding * rank + (1.0 - banding) * rng.random(n_items)
            item_taste = np.empty(n_items, dtype=np.int64)
            item_taste[np.argsort(key, kind="stable")] = np.arange(n_items) * n_tastes // n_items
        else:
            item_taste = rng.permutation(np.arange(n_items, dtype=np.int64) % n_tastes)
        mass = np.bincount(item_taste, weights=share, minlength=n_tastes)
        # tastes-3 floored the concentrations at 1e-3 (kept, bit for bit, at banding 0).
        # numpy's Dirichlet draws small concentrations by stick-breaking, without the
        # gamma underflow the floor was for; under banding a floor would hand the niche
        # tastes, whose mass is far below it, many times their share of fans
        floor = 1e-3 if banding == 0 else np.finfo(np.float64).tiny
        user_taste = rng.dirichlet(np.maximum(alpha * mass, floor), size=n_users)
        return cls(share, item_taste, user_taste, taste_share)

    @property
    def n_tastes(self) -> int:
        return self.user_taste.shape[1]

    def mixture(self) -> np.ndarray:
        """psi: n_users x K, row u the user's taste mixture (1 - w) m + w theta_u."""
        w = self.taste_share
        return (1.0 - w) * self.mass + w * self.user_taste

    @cached_property
    def taste_table(self) -> tuple[np.ndarray, np.ndarray]:
        """The users' taste CDFs laid end to end and their guide table, for :meth:`draw`.

        Built on first use: the generator's own sampler (tastes-3) draws from tables of
        its own and never needs these. psi is not kept: with theta and the CDFs it would
        be a third n_users x K table.
        """
        return taste_tables(self.mixture())

    def draw(self, owners: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One item per entry of ``owners``, drawn with replacement from p(i | owner)."""
        return self.draw_from(*self.taste_table, owners, rng)

    def draw_from(
        self,
        taste_cdf: np.ndarray,
        taste_guide: np.ndarray,
        owners: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Like :meth:`draw`, the taste from the rows of ``taste_tables(weights)`` instead
        of psi (the sampler of tastes-3 draws from psi with some tastes taken out)."""
        return self.item_of_taste(self.taste_of(taste_cdf, taste_guide, owners, rng), rng)

    def taste_of(
        self,
        taste_cdf: np.ndarray,
        taste_guide: np.ndarray,
        owners: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """One taste per entry of ``owners``, from the owner's row of the tables."""
        k = self.n_tastes
        pos = _guided_search(taste_cdf, taste_guide, k, owners, owners + rng.random(owners.size))
        return np.clip(pos - owners * k, 0, k - 1)

    def item_of_taste(self, taste: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One item per entry of ``taste``, drawn from the taste's items by popularity."""
        size = self.start[taste + 1] - self.start[taste]
        x = rng.random(taste.size) * size
        slot = np.minimum(x.astype(np.int64), size - 1)
        # the fraction left of the slot's uniform is a uniform of its own
        slot += self.start[taste]
        slot = np.where(x - np.floor(x) < self.keep[slot], slot, self.alias[slot])
        return self.by_taste[slot]

    def prob(self, owners: np.ndarray, items: np.ndarray) -> np.ndarray:
        """p(items | owners), elementwise."""
        t = self.item_taste[items]
        return self._mix(owners, t) * self.share[items] / self.mass[t]

    def log_prob(self, user: int) -> np.ndarray:
        """log p(i | user) over all items."""
        t = self.item_taste
        return np.log(self._mix(user, t) * self.share / self.mass[t])

    def _mix(self, users: np.ndarray | int, tastes: np.ndarray) -> np.ndarray:
        """psi_u[t] = (1 - w) m[t] + w theta_u[t], elementwise."""
        w = self.taste_share
        return (1.0 - w) * self.mass[tastes] + w * self.user_taste[users, tastes]
