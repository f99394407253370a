# ${name}: my own SLIM MSE step loop, in slimbench's function contract.
#
# Check it, time it beside the built-in tiers, and see its yellow lines:
#     slimbench check --tier-file ${filename}
#     slimbench run --tier-file ${filename} --budget 5
#     slimbench annotate --tier-file ${filename}
#
# This is the seed notebook's In [40] loop with one change: the interaction comes from
# `samples[sample_num]` (the harness's seeded stream) instead of `rand() % n_interactions`,
# so the cross-check can demand an S equal element for element to the reference's.
# Edit it freely; `slimbench check` names the first step where S departs from the reference.

from libc.stdint cimport int64_t

NAME = "${name}"  # how the tier is called in tables and reports
DESCRIPTION = "my loop: seed In [40] in the contract form"
EXACTNESS = "bitwise"  # or "close", with TOLERANCE = 1e-4 (max|dS| / max|S_ref|)


def train_steps(int64_t[:] samples, int[:] URM_train_coo_row, int[:] URM_train_coo_col,
                double[:] URM_train_coo_data, int[:] URM_train_indptr,
                int[:] URM_train_indices, double[:] URM_train_data,
                double[:, :] item_item_S, double learning_rate):
    """One SGD step per entry of `samples`, in order; return the summed squared error."""
    cdef double loss = 0.0
    cdef double true_rating, predicted_rating, prediction_error, profile_rating
    cdef int start_profile, end_profile
    cdef int index, user_id, item_id, profile_item_id
    cdef Py_ssize_t sample_num

    for sample_num in range(samples.shape[0]):

        # The sampled interaction (the seed: index = rand() % n_interactions)
        index = samples[sample_num]

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

        # Update model, in this case the similarity
        for index in range(start_profile, end_profile):
            profile_item_id = URM_train_indices[index]
            profile_rating = URM_train_data[index]
            item_item_S[profile_item_id, item_id] += learning_rate * prediction_error * profile_rating

    return loss
