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

Why this model and not a dense low-rank factor model: with one taste per item the draws stay
two table look-ups per interaction (a taste, then an item within it), vectorised over all
users, so the generator stays as fast as the first one; a dense model would need p(i | u)
over all 10,681 items for each of 69,878 users.
"""

from __future__ import annotations

import numpy as np


def _offset_cdfs(weights: np.ndarray) -> np.ndarray:
    """Row-wise CDFs of the rows of ``weights`` (each normalised to end at 1), row r shifted
    by r and laid end to end: ``searchsorted(flat, r + uniform)`` draws from row r."""
    cdf = np.cumsum(weights, axis=1)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0
    return (cdf + np.arange(weights.shape[0])[:, None]).ravel()


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


class TasteChoice:
    """p(i | u) = (1 - w) share_i + w theta_u[t(i)] share_i / m[t(i)] (module docstring)."""

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
        self.cdf = np.cumsum(share)
        self.taste_cdf = _offset_cdfs(user_taste)
        # items grouped by taste, each group's popularity CDF shifted by its taste
        self.by_taste = np.argsort(item_taste, kind="stable")
        self.start = np.searchsorted(item_taste[self.by_taste], np.arange(n_tastes + 1))
        self.item_cdf = np.empty(share.size)
        for t in range(n_tastes):
            a, b = self.start[t], self.start[t + 1]
            if a < b:
                group = np.cumsum(share[self.by_taste[a:b]])
                self.item_cdf[a:b] = t + group / group[-1]
                self.item_cdf[b - 1] = t + 1.0

    @classmethod
    def deal(
        cls,
        share: np.ndarray,
        n_users: int,
        n_tastes: int,
        alpha: float,
        taste_share: float,
        rng: np.random.Generator,
    ) -> TasteChoice:
        """K tastes of equal size dealt to the items at random, Dirichlet weights per user.

        Dealing at random makes the item ids a random permutation of the tastes: items
        that occur together are not neighbours in memory (which would flatter the cache
        behaviour of every tier).
        """
        n_items = share.size
        n_tastes = max(1, min(n_tastes, n_items))
        item_taste = rng.permutation(np.arange(n_items, dtype=np.int64) % n_tastes)
        mass = np.bincount(item_taste, weights=share, minlength=n_tastes)
        # the gamma draws behind a Dirichlet underflow to 0 for tiny concentrations; the
        # floor keeps each row normalisable
        user_taste = rng.dirichlet(np.maximum(alpha * mass, 1e-3), size=n_users)
        return cls(share, item_taste, user_taste, taste_share)

    def draw(self, owners: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One item per entry of ``owners``, drawn with replacement from p(i | owner)."""
        n_items, k = self.share.size, self.user_taste.shape[1]
        by_taste = rng.random(owners.size) < self.taste_share
        items = np.empty(owners.size, dtype=np.int64)
        blind = np.flatnonzero(~by_taste)
        items[blind] = np.searchsorted(self.cdf, rng.random(blind.size), side="right")
        who = owners[by_taste]
        pos = np.searchsorted(self.taste_cdf, who + rng.random(who.size), side="right")
        taste = np.clip(pos - who * k, 0, k - 1)
        pos = np.searchsorted(self.item_cdf, taste + rng.random(who.size), side="right")
        pos = np.clip(pos, self.start[taste], self.start[taste + 1] - 1)
        items[by_taste] = self.by_taste[pos]
        return np.minimum(items, n_items - 1)

    def prob(self, owners: np.ndarray, items: np.ndarray) -> np.ndarray:
        """p(items | owners), elementwise."""
        t = self.item_taste[items]
        s = self.share[items]
        w = self.taste_share
        return (1.0 - w) * s + w * self.user_taste[owners, t] * s / self.mass[t]

    def log_prob(self, user: int) -> np.ndarray:
        """log p(i | user) over all items."""
        t = self.item_taste
        w = self.taste_share
        affinity = self.user_taste[user, t] / self.mass[t]
        return np.log((1.0 - w) * self.share + w * affinity * self.share)
