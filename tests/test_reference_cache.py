"""The check's reference kept on disk ($SLIMBENCH_REFERENCE_CACHE): reused only for the
very inputs it was computed from, and a damaged file is recomputed, never trusted."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.impls import prepare_urm
from slimbench.measure import check
from slimbench.measure.check import REFERENCE_CACHE_VARIABLE, check_dataset, check_tiers

ARGS = {"seed": 3, "epochs": 1, "lr": 5e-5, "slim": None}


@pytest.fixture
def data():
    """Small enough that python-naive runs in a fraction of a second."""
    return check_dataset(seed=11, n_users=20, n_items=15)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A fresh on-disk cache, nothing kept in memory, and a count of the reference's runs."""
    monkeypatch.setenv(REFERENCE_CACHE_VARIABLE, str(tmp_path / "references"))
    monkeypatch.setattr(check, "_REFERENCES", {})
    runs = []
    real = check._run_reference

    def counted(*args, **kwargs):
        runs.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(check, "_run_reference", counted)
    return SimpleNamespace(path=tmp_path / "references", runs=runs)


def _reference(data, **changed):
    args = {**ARGS, **changed}
    return check._reference(data, args["seed"], args["epochs"], args["lr"], args["slim"])


def _fresh_process():
    """What another process sees: nothing in memory, only the disk."""
    check._REFERENCES.clear()


def _same(a, b) -> bool:
    return (
        np.array_equal(a.S, b.S)
        and a.epoch_losses == b.epoch_losses
        and len(a.epoch_indices) == len(b.epoch_indices)
        and all(map(np.array_equal, a.epoch_indices, b.epoch_indices))
    )


def test_another_process_reads_the_reference_instead_of_running_it(data, folder):
    first = _reference(data)
    assert len(folder.runs) == 1 and len(list(folder.path.glob("reference-*.npz"))) == 1
    _fresh_process()
    again = _reference(data)
    assert len(folder.runs) == 1  # read, not run
    assert _same(first, again) and not again.S.flags.writeable
    assert not list(folder.path.glob(".reference-*"))  # no partial file left behind


def _with_one_rating_changed(data):
    csr = data.csr.copy()
    csr.data[5] += 0.5
    return prepare_urm(csr)


def _with_an_empty_item_added(data):
    return prepare_urm(sp.hstack([data.csr, sp.csr_matrix((data.n_users, 1))]).tocsr())


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"seed": 4}, id="seed"),
        pytest.param({"epochs": 2}, id="epochs"),
        pytest.param({"lr": 6e-5}, id="learning-rate"),
        pytest.param({"slim": {"no_diagonal": True}}, id="no-diagonal"),
        pytest.param({"slim": {"l2": 1e-3}}, id="l2"),
        pytest.param({"data": _with_one_rating_changed}, id="one-rating"),
        pytest.param({"data": _with_an_empty_item_added}, id="shape"),
        pytest.param({"code": "another version of python-naive"}, id="reference-code"),
    ],
)
def test_every_input_of_the_reference_is_in_its_key(change, data, folder, monkeypatch):
    stored = _reference(data)
    _fresh_process()
    change = dict(change)
    if "data" in change:
        data = change.pop("data")(data)
    code = change.pop("code", None)
    if code:
        monkeypatch.setattr(check, "_reference_code", lambda: code)
    other = _reference(data, **change)
    assert len(folder.runs) == 2, "a changed input was served the stored reference"
    assert len(list(folder.path.glob("reference-*.npz"))) == 2
    if not code:
        assert not _same(stored, other)  # each input does change the reference


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_a_byte_of_s(path):
    raw = bytearray(path.read_bytes())
    at = raw.index(b"S.npy") + 400  # inside the S array's data, past its header
    raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))


def _empty(path):
    path.write_bytes(b"")


def _not_a_zip(path):
    path.write_text("not a reference")


@pytest.mark.parametrize("damage", [_truncate, _flip_a_byte_of_s, _empty, _not_a_zip])
def test_a_damaged_file_is_recomputed_and_replaced(damage, data, folder):
    first = _reference(data)
    (path,) = folder.path.glob("reference-*.npz")
    damage(path)
    _fresh_process()
    again = _reference(data)
    assert len(folder.runs) == 2 and _same(first, again)
    _fresh_process()
    assert _same(first, _reference(data)) and len(folder.runs) == 2  # the file was rewritten


def test_a_file_of_another_key_under_this_name_is_not_trusted(data, folder):
    _reference(data)
    _reference(data, seed=4)
    this, other = (
        check._reference_file(folder.path, check.reference_key(data, seed, 1, 5e-5, None))[0]
        for seed in (3, 4)
    )
    other.replace(this)  # seed 4's results under seed 3's name
    _fresh_process()
    mine = _reference(data)
    assert len(folder.runs) == 3
    assert _same(mine, check._run_reference(data, 3, 1, 5e-5, None))


def test_a_folder_that_cannot_be_written_only_costs_the_rerun(data, tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv(REFERENCE_CACHE_VARIABLE, str(blocked))
    monkeypatch.setattr(check, "_REFERENCES", {})
    (result,) = check_tiers(["python-indptr"], data=data, epochs=1)
    assert result.verdict == "pass"
