# The seed's In [29] loop (python-indptr). This file is both imported as Python by the
# python-indptr tier and compiled unchanged by Cython for cython-untyped (seed In [31],
# through `include` in _cython_untyped.pyx): one source, so the two tiers can differ in
# nothing but the compiler. Keep it plain Python: no cdef, no types.

import math


def train_steps(URM_train, URM_train_coo, item_item_S, learning_rate, rng, n_steps):
    """Run ``n_steps`` steps; return (loss, steps completed before a non-finite loss)."""
    n_interactions = URM_train_coo.nnz

    loss = 0.0
    for sample_num in range(n_steps):
        # Randomly pick sample
        sample_index = rng.integers(0, n_interactions)

        user_id = URM_train_coo.row[sample_index]
        item_id = URM_train_coo.col[sample_index]
        true_rating = URM_train_coo.data[sample_index]

        # Compute prediction
        predicted_rating = URM_train[user_id].dot(item_item_S[:, item_id])[0]

        # Compute prediction error, or gradient
        prediction_error = true_rating - predicted_rating
        loss += prediction_error**2
        if not math.isfinite(loss):  # stop before this step's update
            return loss, sample_num

        # Update model, in this case the similarity
        items_in_user_profile = URM_train.indices[
            URM_train.indptr[user_id] : URM_train.indptr[user_id + 1]
        ]
        ratings_in_user_profile = URM_train.data[
            URM_train.indptr[user_id] : URM_train.indptr[user_id + 1]
        ]
        item_item_S[items_in_user_profile, item_id] += (
            learning_rate * prediction_error * ratings_in_user_profile
        )
    return loss, n_steps
