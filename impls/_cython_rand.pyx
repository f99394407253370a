# cython-rand (seed In [37]/[40]): everything typed, the interaction drawn in C by
# libc `rand() % n_interactions`. One compiled loop serves both the timed run (rand())
# and the replay check (indices given): the draw is the only line that differs, so the
# arithmetic proven by replay is the arithmetic that is timed.

from libc.math cimport isfinite
from libc.stdlib cimport RAND_MAX, rand, srand

#: libc's RAND_MAX on the platform this module was compiled for
LIBC_RAND_MAX = RAND_MAX


def seed_rand(unsigned int seed):
    """``srand(seed)``: libc's generator is global to the process."""
    srand(seed)


def draw_indices(int n_interactions, long count):
    """``count`` draws of the tier's sampler expression, ``rand() % n_interactions``."""
    import numpy as np
    out = np.empty(count, dtype=np.int64)
    cdef long[:] out_view = out
    cdef long k
    for k in range(count):
        out_view[k] = rand() % n_interactions
    return out


def train_steps(int[:] URM_train_coo_row, int[:] URM_train_coo_col,
                double[:] URM_train_coo_data, int[:] URM_train_indptr,
                int[:] URM_train_indices, double[:] URM_train_data,
                double[:, :] item_item_S, double learning_rate, long n_steps,
                const long[:] replay=None):
    """Run ``n_steps`` steps, drawing by ``rand()`` or, if given, reading ``replay``.

    Returns (loss, steps completed before a non-finite loss).
    """
    cdef int n_interactions = URM_train_coo_data.shape[0]
    cdef bint use_rand = replay is None
    cdef double loss = 0.0
    cdef double true_rating, predicted_rating, prediction_error, profile_rating
    cdef int start_profile, end_profile
    cdef int index, user_id, item_id, profile_item_id
    cdef long sample_num

    for sample_num in range(n_steps):

        # Randomly pick sample
        if use_rand:
            index = rand() % n_interactions
        else:
            index = replay[sample_num]

        user_id = URM_train_coo_row[index]
        item_id = URM_train_coo_col[index]
        true_rating = URM_train_coo_data[index]

        # Compute prediction
        start_profile = URM_train_indptr[user_id]
        end_profile = URM_train_indptr[user_id+1]
        predicted_rating = 0.0

        for index in range(start_profile, end_profile):
            profile_item_id = URM_train_indices[index]
            profile_rating = URM_train_data[index]
            predicted_rating += item_item_S[profile_item_id, item_id] * profile_rating

        # Compute prediction error, or gradient
        prediction_error = true_rating - predicted_rating
        loss += prediction_error**2
        if not isfinite(loss):
            return loss, sample_num

        # Update model, in this case the similarity
        for index in range(start_profile, end_profile):
            profile_item_id = URM_train_indices[index]
            profile_rating = URM_train_data[index]
            item_item_S[profile_item_id, item_id] += learning_rate * prediction_error * profile_rating

    return loss, n_steps
