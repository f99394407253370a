"""Hostile input, families "CLI options" and "dataset files and specs": one line, exit 2.

Each row is (arguments, pattern of the error line). Option cases are refused before any
dataset is loaded; dataset cases go through ``slimbench stats``, which loads the dataset
the way ``run`` does.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.data import readcap

from hostile import assert_refused, cli

TINY = ["--dataset", "synthetic-tiny", "--no-annotate"]

BUDGET = r"budget per tier must be a number of seconds in \(0, 604,800\] \(a week\)"
RUN_OPTIONS = [
    (["--budget", "0"], BUDGET),
    (["--budget", "-3"], BUDGET),
    (["--budget", "nan"], BUDGET),
    (["--budget", "inf"], BUDGET),
    (["--budget", "1e400"], BUDGET),
    (["--budget", "ten"], BUDGET),
    (["--budget", "1e9"], r"budget per tier must be .* \(a week\)"),
    (["--rounds", "0"], r"rounds must be an integer in \[1, 10,000\]"),
    (["--rounds", "-2"], r"rounds must be an integer in \[1, 10,000\]"),
    (["--rounds", "1.5"], r"rounds must be an integer in \[1, 10,000\]"),
    (["--rounds", "10001"], r"rounds must be an integer in \[1, 10,000\]"),
    (["--warmup", "-1"], r"warm-up must be a number of seconds in \[0, 604,800\]"),
    (["--warmup", "nan"], r"warm-up must be a number of seconds in \[0, 604,800\]"),
    (["--warmup", "30", "--budget", "10"], r"warm-up \(30 s\) must be shorter than the budget"),
    (["--warmup", "10", "--budget", "10"], r"warm-up \(10 s\) must be shorter than the budget"),
    (["--epochs", "0"], r"epochs must be an integer in \[1, 1,000,000\]"),
    (["--epochs", "10000000"], r"epochs must be an integer in \[1, 1,000,000\]"),
    (["--epochs", "1e3"], r"epochs must be an integer in \[1, 1,000,000\]"),
    (["--threads", "0"], r"threads must be an integer in \[1, \d+\]"),
    (["--threads", "-4"], r"threads must be an integer in \[1, \d+\]"),
    (["--threads", "1000000"], r"threads must be an integer in \[1, \d+\] \(8 per usable core"),
    (["--threads", "5000"], r"threads must be an integer in \[1, \d+\]"),
    (["--threads", "2.5"], r"threads must be an integer in \[1, \d+\]"),
    (["--seed", "-1"], r"seed must be an integer in \[0, 4,294,967,295\]"),
    (["--seed", "4294967296"], r"seed must be an integer in \[0, 4,294,967,295\]"),
    (["--seed", "1e3"], r"seed must be an integer in \[0, 4,294,967,295\]"),
    (["--learning-rate", "0"], "learning rate must be a positive finite number"),
    (["--learning-rate=-1e-6"], "learning rate must be a positive finite number"),
    (["--learning-rate", "nan"], "learning rate must be a positive finite number"),
    (["--learning-rate", "inf"], "learning rate must be a positive finite number"),
    (["--train-share", "0"], r"training share must be a number in \(0, 1\)"),
    (["--train-share", "1.5"], r"training share must be a number in \(0, 1\)"),
    (["--train-share", "1"], r"training share must be a number in \(0, 1\)"),
    (["--train-share", "nan"], r"training share must be a number in \(0, 1\)"),
    (["--tiers", ","], "expected a comma-separated list of tier names"),
    (["--tiers", "floor,floor"], "listed more than once: floor"),
    (["--tiers", "cython-rand,floor,cython-rand"], "listed more than once: cython-rand"),
    (["--tiers", "cython-rnad"], "unknown tier 'cython-rnad'. Did you mean 'cython-rand'"),
    (["--tiers", "[red]x[/]"], r"unknown tier '\[red\]x\[/\]'"),
]


@pytest.mark.parametrize(
    "argv,pattern", RUN_OPTIONS, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_run_options(argv, pattern, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_refused(cli(["run", *TINY, *argv], capsys), pattern)
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


OTHER_COMMANDS = [
    (["check", "--seed", "-1"], r"seed must be an integer in \[0, 4,294,967,295\]"),
    (["check", "--epochs", "0"], r"epochs must be an integer in \[1, 1,000,000\]"),
    (["check", "--threads", "99999"], r"threads must be an integer in \[1, \d+\]"),
    (["check", "--tiers", "floor,floor"], "listed more than once: floor"),
    (["scale", "--rounds", "0"], r"rounds must be an integer in \[1, 10,000\]"),
    (["scale", "--seed", "-5"], r"seed must be an integer in \[0, 4,294,967,295\]"),
    (["scale", "--threads", "1000000"], r"threads must be an integer in \[1, \d+\]"),
    (["compare", "missing-old.json", "missing-new.json"], "does not exist"),
    (["report", "missing.json"], "does not exist"),
]


@pytest.mark.parametrize(
    "argv,pattern", OTHER_COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_other_command_options(argv, pattern, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_refused(cli(argv, capsys), pattern)


def _npz(path, fmt, **arrays):
    np.savez(path, format=np.array(fmt), **arrays)
    return f"npz:{path}"


def _csr(path, shape=(50, 40), **changes):
    m = sp.csr_matrix(np.ones(shape))
    arrays = {"data": m.data, "indices": m.indices, "indptr": m.indptr, "shape": np.array(shape)}
    arrays.update(changes)
    return _npz(path, "csr", **arrays)


def _write(path, text):
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)


GOOD_INDICES = np.tile(np.arange(40, dtype=np.int32), 50)
HEADER = "userId,movieId,rating,timestamp\n"

# (builder of the spec from a folder, pattern of the error line)
DATASETS = [
    # npz whose arrays contradict the shape: memory safety at the URM boundary
    (
        lambda d: _csr(d / "a.npz", indices=np.where(GOOD_INDICES == 3, 10**6, GOOD_INDICES)),
        r"corrupt csr matrix: a column index of 1,000,000 lies outside \[0, 40\)",
    ),
    (
        lambda d: _csr(d / "a.npz", indices=np.where(GOOD_INDICES == 3, -7, GOOD_INDICES)),
        r"corrupt csr matrix: a column index of -7",
    ),
    (
        lambda d: _csr(d / "a.npz", indptr=np.r_[0, 40, 20, np.arange(3, 51) * 40]),
        r"corrupt csr matrix: indptr decreases",
    ),
    (
        lambda d: _csr(d / "a.npz", indptr=np.r_[np.arange(50) * 40, 1999]),
        r"a.npz is a corrupt sparse matrix: indptr ends at 1,999 but 2,000 entries are stored",
    ),
    (
        lambda d: _csr(d / "a.npz", indptr=np.arange(0, 2001, 50)),
        r"not a scipy.sparse .npz|indptr has",
    ),
    (
        lambda d: _csr(d / "a.npz", data=np.ones(1999)),
        r"not a scipy.sparse .npz|1,999 values|2,000 indices",
    ),
    (
        lambda d: _npz(
            d / "a.npz",
            "coo",
            row=np.array([0, 60]),
            col=np.array([1, 2]),
            data=np.ones(2),
            shape=np.array([50, 40]),
        ),
        r"corrupt coo matrix: a row index of 60 lies outside|index 60 exceeds matrix dimension 50",
    ),
    (
        lambda d: _npz(
            d / "a.npz",
            "csc",
            indices=np.array([0, 99]),
            indptr=np.array([0, 1, 2]),
            data=np.ones(2),
            shape=np.array([50, 2]),
        ),
        r"corrupt csc matrix: a row index of 99 lies outside \[0, 50\)",
    ),
    (lambda d: "npz:" + _write(d / "a.npz", "not a zip"), r"not a scipy.sparse .npz"),
    (lambda d: "npz:" + _write(d / "a.npz", b""), r"not a scipy.sparse .npz"),
    (lambda d: "npz:" + _zip(d / "a.npz", {"x.npy": b"junk"}), r"not a scipy.sparse .npz"),
    (lambda d: "npz:" + str(d / "missing.npz"), r"no such file"),
    (lambda d: _csr(d / "a.npz", data=np.full(2000, 1e308)), r"ratings beyond \+-1e\+15"),
    (lambda d: _csr(d / "a.npz", data=np.full(2000, np.nan)), r"non-finite rating"),
    # MovieLens files
    (lambda d: "movielens:" + str(d / "nothing"), r"no such file or directory"),
    (lambda d: "movielens:" + str(d), r"no u.data, ratings.dat, ratings.csv in this directory"),
    (lambda d: "movielens:" + _write(d / "r.txt", "1::2::3::4\n"), r"unknown format"),
    (
        lambda d: "movielens:" + _write(d / "ratings.dat", "1::2::3::4\n") + ":format=9m",
        r"unknown MovieLens format '9m'",
    ),
    (lambda d: "movielens:" + _write(d / "ratings.dat", ""), r"is empty"),
    (lambda d: "movielens:" + _write(d / "ratings.dat", "1,2,3,4\n"), r"separator '::' not found"),
    (
        lambda d: "movielens:" + _write(d / "ratings.dat", "1::2::3::4\n1::2\n"),
        r"line 2: malformed line|line 2: .* too few fields",
    ),
    (
        lambda d: "movielens:" + _write(d / "ratings.dat", "1::2::3::4\n1::3::good::5\n"),
        r"line 2: rating 'good' is not a number",
    ),
    (
        lambda d: "movielens:" + _write(d / "ratings.dat", "1::2::3::4\n1::3::nan::5\n"),
        r"non-finite rating",
    ),
    (
        lambda d: "movielens:" + _write(d / "ratings.dat", "1::2::3::4\n1::3::inf::5\n"),
        r"non-finite rating",
    ),
    (
        lambda d: "movielens:" + _write(d / "ratings.dat", "1::2::3::4\n1::3::1e308::5\n"),
        r"1 rating beyond \+-1e\+15",
    ),
    (
        lambda d: (
            "movielens:" + _write(d / "ratings.dat", "1::2::3::4\n99999999999999999999::3::4::5\n")
        ),
        r"line 2: user '99999999999999999999' is not a number \(or beyond int64",
    ),
    (
        lambda d: (
            "movielens:" + _write(d / "ratings.dat", "1::2::3::4\n1::-99999999999999999999::4::5\n")
        ),
        r"line 2: item '-99999999999999999999' .*beyond int64",
    ),
    (
        lambda d: "movielens:" + _write(d / "ratings.csv", "user,item,rating\n1,2,3\n"),
        r"line 1: expected the header",
    ),
    (lambda d: "movielens:" + _write(d / "u.data", "1\t2\t3\t4\n1 2 3 4\n"), r"line 2"),
    (lambda d: "movielens:" + _zip(d / "m.zip", {"README": "no ratings"}), r"the zip has no"),
    (
        lambda d: "movielens:" + _write(d / "m.zip", b"PK\x03\x04" + b"\0" * 40),
        r"unknown format|zip",
    ),
    (
        lambda d: "movielens:" + _zip(d / "m.zip", {"ml/ratings.dat": "1::2::x::4\n"}),
        r"m.zip!ml/ratings.dat, line 1: rating 'x'",
    ),
    # CSV files
    (lambda d: "csv:" + str(d / "x[red]y.csv"), r"x\[red\]y.csv: no such file"),
    (lambda d: "csv:" + _write(d / "r.csv", "a,b,c\n1,2,3\n"), r"column\(s\) user='user'"),
    (
        lambda d: "csv:" + _write(d / "r.csv", "user,item,rating\n1,2,3\n") + ":sep=colon",
        r"sep='colon'; use one of",
    ),
    (
        lambda d: "csv:" + _write(d / "r.csv", "user,item,rating\n1,2,3\n1,3,bad\n"),
        r"line 3: rating 'bad' is not a number",
    ),
    (
        lambda d: "csv:" + _write(d / "r.csv", "user,item,rating\n1,2,3\n1,3\n"),
        r"line 3: malformed line|non-finite ratings?; the first is nan in data row 2",
    ),
    (lambda d: "csv:" + _write(d / "r.csv", ""), r"is empty"),
    (
        lambda d: "csv:" + _write(d / "r.csv", "user,item,rating\n1,2,3\n") + ":colour=red",
        r"unknown option\(s\) colour",
    ),
    # synthetic specs
    ("synthetic-tiny:seed=-1", r"seed=-1 must lie in \[0, 4294967295\]"),
    ("synthetic-tiny:seed=99999999999", r"seed=99999999999 must lie in"),
    ("synthetic-tiny:item_zmin=nan", r"item_zmin=nan must be a finite number"),
    ("synthetic-tiny:loc=-inf", r"loc=-inf must be a finite number"),
    ("synthetic-tiny:n_users=abc", r"n_users='abc' is not a number"),
    ("synthetic-tiny:n_items=0", r"n_items=0 must be >= 1"),
    ("synthetic:n_users=2000000000", r"exceeds int32|needs about .* GiB"),
    ("synthetic:n_users=100000000,nnz=2000000000,min_len=1", r"needs about .* GiB, more than half"),
    ("synthetic-ml10m:scale=0", r"scale=0.0 is out of range"),
    ("synthetic-ml10m:scale=nan", r"scale=nan is out of range"),
    ("synthetic-ml10m:scale=100", r"scale=100.0 is out of range"),
    ("synthetic-tiny:colour=red", r"unknown option\(s\) colour"),
    ("synthetic-huge", r"unknown dataset kind 'synthetic-huge'.*Did you mean"),
    # kinds and archives
    ("foo:bar", r"unknown dataset kind 'foo'"),
    ("npz", r"missing PATH"),
    ("ml-10m:download=no", r"MovieLens archive ml-10m is not available"),
    ("ml-10m:mirror=x", r"unknown option\(s\) mirror"),
]


@pytest.mark.parametrize("spec,pattern", DATASETS)
def test_dataset_specs_and_files(spec, pattern, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SLIMBENCH_DATA", str(tmp_path / "cache"))
    text = spec(tmp_path) if callable(spec) else spec
    assert_refused(cli(["stats", text], capsys), pattern)


@pytest.mark.parametrize(
    "build",
    [
        lambda d: "movielens:" + _write(d / "ratings.dat", "1::2::3::4\n" * 200),
        lambda d: "movielens:" + _zip(d / "m.zip", {"ml/ratings.dat": "1::2::3::4\n" * 200}),
        lambda d: "csv:" + _write(d / "r.csv", "user,item,rating\n" + "1,2,3\n" * 200),
        lambda d: _csr(d / "a.npz", shape=(50, 40)),
    ],
    ids=["dat file", "zip member", "csv file", "npz members"],
)
def test_inputs_beyond_the_memory_cap_are_refused_before_reading(
    build, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(readcap, "byte_limit", lambda: 1000)
    assert_refused(
        cli(["stats", build(tmp_path)], capsys), r"more than the 1,000 that can be parsed"
    )


def test_a_zip_bomb_is_refused_by_streaming_not_inflated(tmp_path, capsys, monkeypatch):
    # 64 MiB of zeros deflate to ~64 KiB; with a 1 MiB cap the reader must stop at the cap
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("ratings.dat", "w") as member:
            for _ in range(64):
                member.write(b"\0" * (1 << 20))
    monkeypatch.setattr(readcap, "byte_limit", lambda: 1 << 20)
    outcome = cli(["stats", f"movielens:{path}"], capsys)
    assert_refused(outcome, r"bomb.zip!ratings.dat holds 67,108,864 bytes uncompressed")
