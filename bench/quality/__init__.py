"""What a trained model is worth: top-N metrics on held-out interactions, and baselines.

``metrics``: precision, recall, MAP, NDCG and item coverage at N (definitions in docs/training.md).
``ranking``: the top-N items per user from a scorer, seen items excluded, ties by item index.
``baselines``: top-popular, item-KNN cosine and EASE, scored by the same code path, and
the random ranking, whose metrics ``random_ranking`` computes as exact expectations.
``evaluate``: a scorer on a train/test pair, the metrics averaged over test users.
"""
