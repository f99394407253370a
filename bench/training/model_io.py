"""The trained model on disk: S as a sparse top-k per column (npz) plus metadata (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

#: columns handled at once: bounds the temporary index arrays (n_items x block)
COLUMN_BLOCK = 512
ORIENTATION = "S[j, i]: weight of profile item j towards target item i (rows: j)"


def top_k_columns(S: np.ndarray, k: int) -> sp.csc_matrix:
    """The ``k`` largest entries of every column of ``S`` (ties: lower row index), as CSC."""
    n_rows, n_cols = S.shape
    k = min(k, n_rows)
    rows, cols, values = [], [], []
    for start in range(0, n_cols, COLUMN_BLOCK):
        block = np.asarray(S[:, start : start + COLUMN_BLOCK], dtype=np.float64)
        order = np.argsort(-block, axis=0, kind="stable")[:k]
        picked = np.take_along_axis(block, order, axis=0)
        rows.append(order.ravel())
        cols.append(np.broadcast_to(np.arange(start, start + block.shape[1]), order.shape).ravel())
        values.append(picked.ravel())
    out = sp.csc_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=S.shape
    )
    out.eliminate_zeros()
    return out


def save_model(
    S: np.ndarray, folder: Path, top_k: int, dense: bool, metadata: dict
) -> dict[str, str]:
    """Write ``model_top{k}.npz`` (if ``top_k`` > 0), ``model_dense.npy`` (if ``dense``) and
    ``model.json``; return the file names written."""
    files = {}
    if top_k > 0:
        name = f"model_top{top_k}.npz"
        # a sparse S is already the top k per column (gathered from a distributed tier)
        sp.save_npz(folder / name, S.tocsc() if sp.issparse(S) else top_k_columns(S, top_k))
        files["top_k"] = name
    if dense:
        np.save(folder / "model_dense.npy", np.asarray(S))
        files["dense"] = "model_dense.npy"
    meta = {**metadata, "top_k": top_k, "files": files, "orientation": ORIENTATION}
    (folder / "model.json").write_text(json.dumps(meta, indent=2))
    files["metadata"] = "model.json"
    return files
