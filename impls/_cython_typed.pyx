# cython-typed (seed In [34]): typed memoryviews for S and the profile, typed loop
# variables, but still a Python-level draw and Python-level COO/indptr lookups per step.
# Bounds checks stay on, as in the seed: this tier shows what types alone buy.

from libc.math cimport isfinite


def train_steps(URM_train, URM_train_coo, double[:, :] item_item_S, double learning_rate,
                rng, long n_steps):
    """Run ``n_steps`` steps; return (loss, steps completed before a non-finite loss)."""
    cdef double loss = 0.0
    cdef double true_rating, predicted_rating, prediction_error, profile_rating
    cdef int[:] items_in_user_profile
    cdef double[:] ratings_in_user_profile
    cdef int index, user_id, item_id, profile_item_id
    cdef long sample_num

    n_interactions = URM_train_coo.nnz

    for sample_num in range(n_steps):

        # Randomly pick sample
        sample_index = rng.integers(0, n_interactions)

        user_id = URM_train_coo.row[sample_index]
        item_id = URM_train_coo.col[sample_index]
        true_rating = URM_train_coo.data[sample_index]

        # Compute prediction
        items_in_user_profile = URM_train.indices[URM_train.indptr[user_id]:URM_train.indptr[user_id+1]]
        ratings_in_user_profile = URM_train.data[URM_train.indptr[user_id]:URM_train.indptr[user_id+1]]
        predicted_rating = 0.0

        for index in range(len(items_in_user_profile)):
            profile_item_id = items_in_user_profile[index]
            profile_rating = ratings_in_user_profile[index]
            predicted_rating += profile_rating * item_item_S[profile_item_id, item_id]

        # Compute prediction error, or gradient
        prediction_error = true_rating - predicted_rating
        loss += prediction_error**2
        if not isfinite(loss):
            return loss, sample_num

        # Update model, in this case the similarity
        for index in range(len(items_in_user_profile)):
            profile_item_id = items_in_user_profile[index]
            profile_rating = ratings_in_user_profile[index]
            item_item_S[profile_item_id, item_id] += learning_rate * prediction_error * profile_rating

    return loss, n_steps
