"""Statistics and their printout."""

import json

import numpy as np
import scipy.sparse as sp

from slimbench.data.stats import dataset_stats, format_stats, gini_index


def test_stats_small():
    urm = sp.csr_matrix(np.array([[1, 2, 0], [0, 3, 0], [0, 4.5, 0]]))
    s = dataset_stats(urm)
    json.dumps(s)
    assert (s["n_users"], s["n_items"], s["nnz"]) == (3, 3, 4)
    assert s["rating_min"] == 1 and s["rating_max"] == 4.5
    assert s["user_min"] == 1 and s["user_max"] == 2 and s["user_median"] == 1
    assert s["item_min"] == 0 and s["item_max"] == 3 and s["items_without_ratings"] == 1
    assert s["expected_profile_length"] == (4 + 1 + 1) / 4
    text = format_stats(s, "toy")
    assert "Number of interactions in URM_all: 4" in text
    assert "Value range in URM_all: 1.00-4.50" in text


def test_gini():
    assert gini_index(np.ones(10)) == 0
    assert abs(gini_index(np.r_[np.zeros(99), 1.0]) - 0.99) < 1e-12
