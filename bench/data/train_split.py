"""The train/test pair ``slimbench train`` uses: the seeded holdout, or a given test file.

A given test file (``--test-dataset``) is read like any dataset and mapped onto the
training file's users and items by their original ids; ids unseen in training are
dropped and counted. ``write_split`` writes the pair actually used as two CSV files of
original ids, readable back with ``--dataset csv:DIR/train.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from slimbench.impls import InvalidInputError

from .datasets import Dataset, holdout_split, load_dataset


@dataclass
class Split:
    """Training and test URMs of the same shape, and the original ids of rows and columns."""

    train: sp.csr_matrix
    test: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    info: dict = field(default_factory=dict)  # how the split was made, what was dropped


def _ids(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    n_users, n_items = dataset.urm.shape
    users = dataset.user_ids if dataset.user_ids is not None else np.arange(n_users)
    items = dataset.item_ids if dataset.item_ids is not None else np.arange(n_items)
    return np.asarray(users), np.asarray(items)


def seeded_split(dataset: Dataset, train_share: float, seed: int) -> Split:
    """The seed's holdout: each interaction goes to train with probability ``train_share``."""
    train, test = holdout_split(dataset.urm, train_share=train_share, seed=seed)
    users, items = _ids(dataset)
    info = {"kind": "holdout", "train_share": train_share, "seed": seed}
    return Split(train, test, users, items, info)


def given_split(dataset: Dataset, test_spec: str) -> Split:
    """All of ``dataset`` for training, the interactions of ``test_spec`` for testing."""
    test_set = load_dataset(test_spec)
    users, items = _ids(dataset)
    test_users, test_items = _ids(test_set)
    coo = test_set.urm.tocoo()
    rows = pd.Index(users).get_indexer(test_users[coo.row])
    cols = pd.Index(items).get_indexer(test_items[coo.col])
    keep = (rows >= 0) & (cols >= 0)
    info = {
        "kind": "file",
        "test_source": test_spec,
        "test_interactions_read": int(coo.nnz),
        "dropped_users": int(np.unique(coo.row[rows < 0]).size),
        "dropped_items": int(np.unique(coo.col[cols < 0]).size),
        "dropped_interactions": int((~keep).sum()),
    }
    if not keep.any():
        raise InvalidInputError(
            f"the test file {test_spec!r} has no (user, item) whose ids both occur in the "
            f"training data {dataset.name!r} ({info['dropped_users']} of its users and "
            f"{info['dropped_items']} of its items are unknown); check that both files use "
            "the same ids."
        )
    test = sp.csr_matrix(
        (coo.data[keep], (rows[keep], cols[keep])), shape=dataset.urm.shape
    )
    test.sum_duplicates()
    test.sort_indices()
    info["seen_in_training"] = int(test.multiply(dataset.urm).nnz)
    return Split(dataset.urm, test, users, items, info)


def write_split(split: Split, folder: str | Path) -> tuple[Path, Path]:
    """Write ``train.csv`` and ``test.csv`` (columns user,item,rating, original ids)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, urm in (("train", split.train), ("test", split.test)):
            coo = urm.tocoo()
            frame = pd.DataFrame(
                {
                    "user": split.user_ids[coo.row],
                    "item": split.item_ids[coo.col],
                    "rating": coo.data,
                }
            )
            path = folder / f"{name}.csv"
            frame.to_csv(path, index=False)
            paths.append(path)
    except OSError as exc:
        raise InvalidInputError(
            f"cannot write the split into {str(folder)!r} ({exc.strerror or exc}); choose "
            "another folder with --write-split."
        ) from None
    return paths[0], paths[1]
