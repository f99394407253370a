"""python-naive: the seed's In [24]/[25] loop, the reference every tier is checked against.

Per step a Python-level draw, COO lookups, ``URM[u].dot(S[:, i])`` through scipy and a
fancy-index update: its cost is the interpreter and scipy's per-call overhead, which is
what the seed measured (~2k samples/s on MovieLens 10M).
"""

from __future__ import annotations

import math

import numpy as np

from .base import Tier, make_rng, touched_zeros
from .registry import register
from .slim import l2_updated


@register
class PythonNaive(Tier):
    name = "python-naive"
    exactness = "bitwise"
    description = "seed In [25]: Python loop, scipy row dot and fancy-index update (reference)"
    supports_slim_options = True  # the reference of SLIM's options too (impls/slim.py)

    def _setup(self) -> None:
        self.urm = self.data.csr
        self.urm_coo = self.urm.tocoo()
        self.rng = make_rng(self.seed)
        self.S = touched_zeros((self.data.n_items, self.data.n_items))

    def _run(self, n_steps: int) -> tuple[float, int]:
        URM_train, URM_train_coo = self.urm, self.urm_coo
        item_item_S, learning_rate, rng = self.S, self.learning_rate, self.rng
        no_diagonal, l2 = self.slim.no_diagonal, self.slim.l2
        n_interactions = URM_train_coo.nnz

        loss = 0.0
        for sample_num in range(n_steps):
            # Randomly pick sample (the contract's stream instead of np.random.randint)
            sample_index = rng.integers(0, n_interactions)

            user_id = URM_train_coo.row[sample_index]
            item_id = URM_train_coo.col[sample_index]
            true_rating = URM_train_coo.data[sample_index]

            # Compute prediction
            predicted_rating = URM_train[user_id].dot(item_item_S[:, item_id])[0]

            # Compute prediction error, or gradient
            prediction_error = true_rating - predicted_rating
            loss += prediction_error**2
            if not math.isfinite(loss):
                return loss, sample_num

            # Update model, in this case the similarity
            items_in_user_profile = URM_train[user_id].indices
            ratings_in_user_profile = URM_train[user_id].data
            if l2:
                item_item_S[items_in_user_profile, item_id] = l2_updated(
                    item_item_S[items_in_user_profile, item_id],
                    learning_rate,
                    prediction_error,
                    ratings_in_user_profile,
                    l2,
                )
            else:
                item_item_S[items_in_user_profile, item_id] += (
                    learning_rate * prediction_error * ratings_in_user_profile
                )
            if no_diagonal:  # SLIM's constraint: S[i, i] held at 0 (impls/slim.py)
                item_item_S[item_id, item_id] = 0.0
        return loss, n_steps

    def similarity(self) -> np.ndarray:
        return self.S
