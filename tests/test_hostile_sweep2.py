"""Hostile input, second sweep: operating-system errors, readers, data edge cases, the API.

Families (issue 20): "OS errors" (every OSError a user can cause is one line naming the
path, exit 2), "readers" (no file can hang or exhaust a reader: FIFOs, devices, hostile
JSON, files vanishing mid-scan), "data edge cases" (Excel exports, compression, zero
ratings, ambiguous archives) and "API" (the Python boundary refuses like the CLI).
Each row asserts the exit code, one error line, no traceback, and what is left on disk.
A reader that would hang is stopped by an alarm, so a regression fails instead of hanging.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import json
import lzma
import os
import signal
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

from slimbench.cli import main
from slimbench.impls import InvalidInputError, SlimBenchError, Tier, create
from slimbench.impls.registry import register
from slimbench.os_errors import describe

from helpers import random_urm
from hostile import assert_refused, cli

LONG_NAME = "n" * 300  # one name past NAME_MAX (255)
PAST_PATH_MAX = "/".join(["d" * 200] * 25)  # 5,000 characters: past PATH_MAX (4,096)
RUN = ["--dataset", "synthetic-tiny", "--budget", "1", "--rounds", "3", "--no-annotate"]
HEADER = "userId,movieId,rating,timestamp\n"
FOUR = "1,2,3,4\n1,3,4,5\n2,2,5,6\n3,3,1,7\n"  # 4 ratings of 3 users, with timestamps


@pytest.fixture
def no_hang():
    """Fail a case that blocks (a FIFO opened for reading) after 20 s instead of hanging."""

    def expire(signum, frame):
        raise TimeoutError("the reader blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A real run's results.json (floor on synthetic-tiny), for the readers' cases."""
    out = tmp_path_factory.mktemp("run")
    assert main(["run", *RUN, "--tiers", "floor", "--no-bandwidth", "--out", str(out)]) == 0
    return out / "results.json"


# -- OS errors ------------------------------------------------------------------------

# (argv built from the case's folder, pattern of the error line)
OS_ERRORS = [
    (lambda d: ["stats", f"csv:{d}/{LONG_NAME}.csv"], r"File name too long .*use a shorter"),
    (lambda d: ["stats", f"movielens:{d}/{LONG_NAME}"], r"File name too long"),
    (lambda d: ["stats", f"npz:{d}/{LONG_NAME}.npz"], r"File name too long"),
    (lambda d: ["stats", f"csv:{d}/{PAST_PATH_MAX}.csv"], r"File name too long"),
    (lambda d: ["report", f"{d}/{LONG_NAME}/results.json"], r"File name too long"),
    (lambda d: ["compare", f"{d}/{LONG_NAME}.json", f"{d}/b.json"], r"File name too long"),
    (lambda d: ["history", f"{d}/{LONG_NAME}"], r"File name too long"),
    (lambda d: ["run", *RUN, "--out", f"{d}/{LONG_NAME}"], r"File name too long"),
    (lambda d: ["train", "--dataset", "synthetic-tiny", "--out", f"{d}/{LONG_NAME}"], r"too long"),
    (lambda d: ["scale", "--out", f"{d}/{LONG_NAME}"], r"File name too long"),
    (
        lambda d: ["stats", "synthetic-tiny", "--write-dat", f"{d}/{LONG_NAME}.dat"],
        r"File name too long.*nnn",
    ),
    (lambda d: ["stats", "synthetic-tiny", "--write-dat", str(d), "--force"], r"Is a directory"),
    (lambda d: ["stats", "synthetic-tiny", "--write-dat", f"{d}/f/x.dat"], r"Not a directory"),
    (lambda d: ["report", str(d)], r"is a folder, not a regular file"),
    (lambda d: ["compare", str(d), str(d)], r"is a folder, not a regular file"),
    (lambda d: ["stats", f"csv:{d}"], r"is a folder, not a regular file"),
    (lambda d: ["stats", f"npz:{d}"], r"is a folder, not a regular file"),
]


@pytest.mark.parametrize("build,pattern", OS_ERRORS)
def test_os_errors_are_one_line(build, pattern, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f").write_text("a file where a folder belongs")
    outcome = cli(build(tmp_path), capsys)
    assert_refused(outcome, pattern)
    assert not list(tmp_path.rglob(".slimbench.*"))  # no lock or reserve left behind


# (errno, pattern of the advice): the line names the path and says what to do
ERRNOS = [
    (errno.ENOSPC, r"No space left .*\(ENOSPC\): '/x/y'; free some space"),
    (errno.ENAMETOOLONG, r"\(ENAMETOOLONG\): '/x/y'; use a shorter path"),
    (errno.EROFS, r"\(EROFS\): '/x/y'; the file system is read-only"),
    (errno.EACCES, r"\(EACCES\): '/x/y'; check its permissions"),
    (errno.EPERM, r"\(EPERM\): '/x/y'; check its permissions"),
    (errno.EISDIR, r"\(EISDIR\): '/x/y'; it is a folder"),
    (errno.ENOTDIR, r"\(ENOTDIR\): '/x/y'; a part of the path is a file"),
    (errno.EDQUOT, r"\(EDQUOT\): '/x/y'; free some space"),
]


@pytest.mark.parametrize("code,pattern", ERRNOS, ids=lambda v: errno.errorcode.get(v, None))
def test_each_errno_names_the_path_and_the_remedy(code, pattern):
    line = describe(OSError(code, os.strerror(code), "/x/y"))
    assert "\n" not in line and __import__("re").search(pattern, line), line


@pytest.mark.parametrize(
    "error",
    [
        PermissionError(errno.EACCES, "Permission denied"),  # root passes permission checks
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EROFS, "Read-only file system"),
    ],
    ids=["EACCES", "ENOSPC", "EROFS"],
)
def test_an_error_without_a_path_names_the_output_folder(
    error, saved_run, tmp_path, capsys, monkeypatch
):
    import slimbench.output.report as report

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(report, "write_report", fail)
    outcome = cli(["report", str(saved_run), "--out", str(tmp_path / "h")], capsys)
    assert_refused(outcome, rf"\({errno.errorcode[error.errno]}\): under '.*h'; ")
    assert not list((tmp_path / "h").iterdir())  # lock and reserve given back


STDOUT_COMMANDS = [
    ["tiers"],
    ["datasets"],
    ["stats", "synthetic-tiny"],
    ["stats", "synthetic-tiny", "--json"],
    ["--help"],
]


@pytest.mark.parametrize("argv", STDOUT_COMMANDS, ids=" ".join)
def test_a_stdout_that_cannot_be_written_is_one_line(argv):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "slimbench.cli", *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write to standard output" in lines[0], done.stderr


def test_a_reader_that_leaves_is_not_an_error():
    done = subprocess.run(
        f"{sys.executable} -m slimbench.cli tiers | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr and "error" not in done.stderr, done.stderr


# -- readers --------------------------------------------------------------------------


def _fifo(path):
    os.mkfifo(path)
    return str(path)


# (argv built from the folder, pattern of the error line)
SPECIAL_FILES = [
    (lambda d: ["stats", "csv:" + _fifo(d / "r.csv")], r"r.csv is a FIFO"),
    (lambda d: ["stats", "movielens:" + _fifo(d / "ratings.dat")], r"ratings.dat is a FIFO"),
    (lambda d: ["stats", "movielens:" + _fifo(d / "m.zip")], r"m.zip is a FIFO"),
    (lambda d: [_fifo(d / "ratings.csv") and "stats", f"movielens:{d}"], r"ratings.csv is a FIFO"),
    (lambda d: ["stats", "npz:" + _fifo(d / "a.npz")], r"a.npz is a FIFO"),
    (lambda d: ["stats", "tsv:" + _fifo(d / "r.tsv")], r"r.tsv is a FIFO"),
    (lambda d: ["report", _fifo(d / "results.json")], r"results.json is a FIFO"),
    (lambda d: ["compare", _fifo(d / "a.json"), _fifo(d / "b.json")], r"a.json is a FIFO"),
    (lambda d: ["report", "--pytest-benchmark", _fifo(d / "b.json")], r"b.json is a FIFO"),
    (lambda d: ["stats", "csv:/dev/zero"], r"/dev/zero is a character device"),
    (lambda d: ["stats", "movielens:/dev/urandom:format=dat"], r"urandom is a character device"),
    (lambda d: ["report", "/dev/null"], r"/dev/null is a character device"),
]


@pytest.mark.parametrize("build,pattern", SPECIAL_FILES)
def test_special_files_are_refused_by_name(build, pattern, tmp_path, capsys, no_hang):
    assert_refused(cli(build(tmp_path), capsys), pattern)


@pytest.mark.parametrize("link_to", ["/dev/urandom", "/dev/zero"])
def test_a_link_to_a_device_is_refused_before_reading(link_to, tmp_path, capsys, no_hang):
    (tmp_path / "ratings.csv").symlink_to(link_to)
    outcome = cli(["stats", f"movielens:{tmp_path / 'ratings.csv'}"], capsys)
    assert_refused(outcome, r"ratings.csv is a character device")


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# (text of a JSON file, pattern of the error line)
HOSTILE_JSON = [
    ("[" * 200_000, r"nests lists or objects deeper|not valid JSON"),
    (_nested(5_000), r"nests lists or objects (deeper|more than 64)"),
    (_nested(100), r"nests lists or objects more than 64 levels"),
    ('{"a":' * 3_000 + "1" + "}" * 3_000, r"nests lists or objects"),
    ('{"schema": "slimbench.output.results", "x": ' + "9" * 5_000 + "}", r"a number of 5,000"),
    ('{"x": 1.' + "5" * 5_000 + "}", r"a number of 5,002 characters"),
    ('{"x": -' + "1" * 400 + "}", r"a number of 401 characters"),
]


@pytest.mark.parametrize("text,pattern", HOSTILE_JSON, ids=lambda v: str(v)[:20])
@pytest.mark.parametrize("command", ["report", "compare", "pytest-benchmark"])
def test_hostile_json_is_one_line(text, pattern, command, saved_run, tmp_path, capsys):
    bad = tmp_path / "results.json"
    bad.write_text(text)
    argv = {
        "report": ["report", str(bad)],
        "compare": ["compare", str(saved_run), str(bad)],
        "pytest-benchmark": ["report", "--pytest-benchmark", str(bad), "--out", str(tmp_path)],
    }[command]
    outcome = cli(argv, capsys)
    assert_refused(outcome, pattern)
    assert "results.json" in outcome.err
    assert not (tmp_path / "report.html").exists()


def test_history_skips_what_it_cannot_read_and_shows_the_rest(
    saved_run, tmp_path, capsys, monkeypatch, no_hang
):
    runs = tmp_path / "runs"
    (runs / "good").mkdir(parents=True)
    (runs / "good" / "results.json").write_bytes(saved_run.read_bytes())
    (runs / "deep.json").write_text("[" * 200_000)
    (runs / "digits.json").write_text(
        '{"schema": "slimbench.output.results", "n": ' + "7" * 5000 + "}"
    )
    (runs / "other.json").write_text("not json at all")  # not ours: skipped silently
    os.mkfifo(runs / "pipe.json")
    vanished = runs / "gone.json"
    real_rglob = type(runs).rglob
    monkeypatch.setattr(
        type(runs), "rglob", lambda self, pattern: [*real_rglob(self, pattern), vanished]
    )
    outcome = cli(["history", str(runs), "--out", str(tmp_path / "h")], capsys)
    assert outcome.code == 0 and "Traceback" not in outcome.out + outcome.err, outcome.err
    skipped = [line for line in outcome.err.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 4, outcome.err  # deep, digits, the FIFO, the vanished file
    assert any("deep.json" in s and "nests" in s for s in skipped)
    assert any("digits.json" in s and "a number of 5,000" in s for s in skipped)
    assert any("pipe.json" in s and "FIFO" in s for s in skipped)
    assert any("gone.json" in s and "does not exist" in s for s in skipped)
    assert "floor" in outcome.out and (tmp_path / "h" / "history.csv").exists()


# -- data edge cases ------------------------------------------------------------------


def _write(path, data):
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return str(path)


# (spec built from the folder): valid inputs that must be read, 4 ratings of 3 users
READABLE = [
    lambda d: "csv:" + _write(d / "r.csv", "\ufeffuser,item,rating\n1,2,3\n1,3,4\n2,2,5\n3,3,1\n"),
    lambda d: "csv:" + _write(d / "r.csv", '"user","item","rating"\n1,2,3\n1,3,4\n2,2,5\n3,3,1\n'),
    lambda d: (
        "csv:"
        + _write(d / "r.csv", '\ufeff"user";"item";"rating"\n1;2;3\n1;3;4\n2;2;5\n3;3;1\n')
        + ":sep=semicolon"
    ),
    lambda d: "movielens:" + _write(d / "ratings.csv", "\ufeff" + HEADER + FOUR),
    lambda d: (
        "movielens:" + _write(d / "ratings.csv", '"userId","movieId","rating","timestamp"\n' + FOUR)
    ),
    lambda d: (
        "csv:"
        + _write(d / "r.csv", gzip.compress(b"user,item,rating\n1,2,3\n1,3,4\n2,2,5\n3,3,1\n"))
    ),
    lambda d: (
        "csv:"
        + _write(d / "r.csv.bz2", bz2.compress(b"user,item,rating\n1,2,3\n1,3,4\n2,2,5\n3,3,1\n"))
    ),
    lambda d: (
        "csv:"
        + _write(d / "r.csv.xz", lzma.compress(b"user,item,rating\n1,2,3\n1,3,4\n2,2,5\n3,3,1\n"))
    ),
    lambda d: (
        "movielens:"
        + _write(
            d / "ratings.dat", gzip.compress(b"1::2::3::4\n1::3::4::5\n2::2::5::6\n3::3::1::7\n")
        )
    ),
    lambda d: "movielens:" + _zip(d / "m.zip", {"ml/ratings.csv": "\ufeff" + HEADER + FOUR}),
]


@pytest.mark.parametrize(
    "build",
    READABLE,
    ids=[
        "csv BOM",
        "csv quoted names",
        "csv BOM quoted semicolon",
        "ml csv BOM",
        "ml csv quoted",
        "gzip csv",
        "bzip2 csv",
        "xz csv",
        "gzip dat",
        "zip member with BOM",
    ],
)
def test_excel_exports_and_compressed_files_are_read(build, tmp_path, capsys):
    outcome = cli(["stats", "--json", build(tmp_path)], capsys)
    assert outcome.code == 0 and "Traceback" not in outcome.err, outcome.err
    stats = json.loads(outcome.out)
    assert (stats["n_users"], stats["nnz"]) == (3, 4), stats


# (spec built from the folder, pattern of the error line)
REFUSED_DATA = [
    (
        lambda d: "csv:" + _write(d / "r.csv", "user,item,rating\n1,,3\n1,3,4\n"),
        r"empty item id; the first is in data row 1",
    ),
    (
        lambda d: "csv:" + _write(d / "r.csv", "user,item,rating\n1,2,3\n,3,4\n"),
        r"empty user id; the first is in data row 2",
    ),
    (
        lambda d: "csv:" + _write(d / "r.csv", b"\x28\xb5\x2f\xfd" + b"\0" * 40),
        r"r.csv is zstd-compressed, which is not read here",
    ),
    (
        lambda d: "csv:" + _write(d / "r.csv", b"\x1f\x8b\x08\x00" + b"\xff" * 40),
        r"looks gzip-compressed but does not decompress",
    ),
    (
        lambda d: "csv:" + _write(d / "r.csv", b"BZh9" + b"\x00" * 40),
        r"looks bzip2-compressed but does not decompress",
    ),
    (
        lambda d: "movielens:" + _write(d / "ratings.dat", b"\xfd7zXZ\x00" + b"\x01" * 40),
        r"looks xz-compressed",
    ),
    (
        lambda d: (
            "movielens:"
            + _zip(d / "m.zip", {"a/ratings.dat": "1::2::3::4\n", "b/ratings.dat": "1::2::3::4\n"})
        ),
        r"the zip holds 2 ratings files \(a/ratings.dat, b/ratings.dat\)",
    ),
    (
        lambda d: (
            "movielens:"
            + _zip(
                d / "m.zip", {"ratings.dat": "1::2::3::4\n", "ratings.csv": HEADER + "1,2,3,4\n"}
            )
        ),
        r"the zip holds 2 ratings files \(ratings.dat, ratings.csv\)",
    ),
    (
        lambda d: (
            [
                _write(d / "ratings.dat", "1::2::3::4\n"),
                _write(d / "ratings.csv", HEADER + "1,2,3,4\n"),
            ]
            and f"movielens:{d}"
        ),
        r"the folder holds 2 ratings files",
    ),
    (
        lambda d: (
            [
                (d / "x").mkdir(),
                _write(d / "x" / "u.data", "1\t2\t3\t4\n"),
                _write(d / "u.data", "1\t2\t3\t4\n"),
            ]
            and f"movielens:{d}"
        ),
        r"the folder holds 2 ratings files",
    ),
]


@pytest.mark.parametrize("build,pattern", REFUSED_DATA)
def test_ambiguous_or_broken_data_is_one_line(build, pattern, tmp_path, capsys):
    outcome = cli(["stats", build(tmp_path)], capsys)
    assert_refused(outcome, pattern)
    assert "\\x00" not in outcome.err and "\x00" not in outcome.err  # no binary junk


@pytest.mark.parametrize("fmt", ["lil", "dok", "csr\x1b[31m", "bogus"])
def test_an_npz_of_another_sparse_format_is_one_line(fmt, tmp_path, capsys):
    m = sp.random(20, 10, density=0.3, format="csr", random_state=0)
    np.savez(tmp_path / "a.npz", format=np.array(fmt), data=m.data, shape=np.array([20, 10]))
    outcome = cli(["stats", f"npz:{tmp_path / 'a.npz'}"], capsys)
    assert_refused(outcome, r"holds a sparse matrix of format .*; csr, csc, coo, bsr, dia")
    assert "\x1b" not in outcome.err


@pytest.mark.parametrize("fmt", ["bsr", "dia"])
def test_npz_formats_scipy_reads_are_read(fmt, tmp_path, capsys):
    m = sp.random(20, 10, density=0.3, format="csr", random_state=0) + sp.eye(20, 10)
    sp.save_npz(tmp_path / "a.npz", m.asformat(fmt))
    outcome = cli(["stats", "--json", f"npz:{tmp_path / 'a.npz'}"], capsys)
    assert outcome.code == 0 and json.loads(outcome.out)["n_items"] == 10, outcome.err


def test_all_zero_ratings_give_statistics(tmp_path, capsys):
    spec = "csv:" + _write(tmp_path / "r.csv", "user,item,rating\n1,2,0\n1,3,0\n2,2,0\n")
    outcome = cli(["stats", spec], capsys)
    assert outcome.code == 0 and "Traceback" not in outcome.err, outcome.err
    assert "Every rating is zero" in outcome.out
    doc = json.loads(cli(["stats", "--json", spec], capsys).out)
    assert doc["step_bound"]["auto_rate"] is None and doc["nnz"] == 3


def test_all_zero_ratings_are_refused_by_train_before_training(tmp_path, capsys):
    rows = "".join(f"{u},{i},0\n" for u in range(1, 30) for i in range(1, 12))
    spec = "csv:" + _write(tmp_path / "r.csv", "user,item,rating\n" + rows)
    outcome = cli(["train", "--dataset", spec, "--out", str(tmp_path / "t")], capsys)
    assert_refused(outcome, r"every rating in the training split .* is zero")
    assert not (tmp_path / "t" / "train.json").exists()


# -- API ------------------------------------------------------------------------------

URM = random_urm(0, 12, 10, 0.5)

# (call, pattern of the error)
API_CALLS = [
    (
        lambda: create("dask-bucketed", URM, threads=2),
        r"takes no option 'threads'\. Its options: seed, learning_rate, workers",
    ),
    (lambda: create("cython-typed", URM, threads=2), r"takes no option 'threads'"),
    (lambda: create("cython-rand", URM, learning_rte=0.1), r"Did you mean 'learning_rate'"),
    (lambda: create("cython-parallel", URM, thread=2), r"Did you mean 'threads'"),
    (lambda: create("python-naive", URM, sed=1), r"takes no option 'sed'\. Did you mean 'seed'"),
    (lambda: create("floor", URM, colour="red", size=2), r"takes no option 'colour', 'size'"),
    (lambda: create("numba", URM, rand_max=7), r"takes no option 'rand_max'"),
]


@pytest.mark.parametrize("call,pattern", API_CALLS)
def test_options_a_tier_does_not_take_are_refused(call, pattern):
    with pytest.raises(InvalidInputError, match=pattern) as exc:
        call()
    assert "\n" not in str(exc.value)


def _tier_class(name="hostile-class", exactness="bitwise", tolerance=0.0, steps=None):
    class Hostile(Tier):
        description = "a hostile class tier"

        def _setup(self):
            self.S = np.zeros((self.data.n_items, self.data.n_items))

        def _run(self, n_steps):
            return 0.0, n_steps if steps is None else steps

        def similarity(self):
            return self.S

    Hostile.name, Hostile.exactness, Hostile.tolerance = name, exactness, tolerance
    return Hostile


@pytest.mark.parametrize(
    "steps,pattern",
    [
        (-5, r"reported -5 steps done for a call of 10"),
        (11, r"reported 11 steps"),
        (2.5, r"reported 2.5 steps"),
        (True, r"reported True steps"),
        ("10", r"reported '10'"),
    ],
)
def test_a_class_tier_reporting_impossible_step_counts_is_refused(steps, pattern):
    tier = _tier_class(steps=steps)(URM)
    with pytest.raises(InvalidInputError, match=pattern):
        tier.run(10)
    assert tier.steps_done == 0


@pytest.mark.parametrize("tolerance", [1, 1.0, 2.5, 0, -0.1, True, float("nan"), "0.1"])
def test_close_tolerances_outside_the_unit_interval_are_refused(tolerance):
    with pytest.raises(InvalidInputError, match=r"tolerance .* must be a number in \(0, 1\)"):
        register(_tier_class(exactness="close", tolerance=tolerance))


@pytest.mark.parametrize("name", ["bad\nname", "esc\x1b[31m", "", " padded ", "tab\there", None])
def test_tier_names_with_control_characters_are_refused(name):
    with pytest.raises(InvalidInputError, match=r"a tier's name must be printable") as exc:
        register(_tier_class(name=name))
    assert "\n" not in str(exc.value).replace("\\n", "")


@pytest.mark.parametrize("value", [True, "1", 1.0, None, [1]])
def test_schema_versions_that_only_look_like_one_are_refused(value, saved_run, tmp_path, capsys):
    doc = json.loads(saved_run.read_text())
    doc["schema_version"] = value
    (tmp_path / "results.json").write_text(json.dumps(doc))
    outcome = cli(["report", str(tmp_path / "results.json")], capsys)
    assert_refused(outcome, r"has results schema version")


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--tiers", "x\x1b[2Jy"],
        ["run", "--tiers", "a\nb"],
        ["stats", "csv:r\x1b]0;x\x07.csv"],
    ],
)
def test_control_characters_in_names_are_printed_escaped(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = cli(argv, capsys)
    assert_refused(outcome, r"unknown tier|no such file")
    assert "\x1b" not in outcome.err and "\x07" not in outcome.err


def test_a_user_error_is_never_a_type_error_from_python():
    with pytest.raises(SlimBenchError):
        create("dask-bucketed", URM, threads=2)


# -- memory guards --------------------------------------------------------------------

RLIMIT_AS = 1_500 << 20  # 1.5 GiB of address space: numpy, pandas and scipy fit in it


def _under_address_limit(code: str) -> subprocess.CompletedProcess:
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (RLIMIT_AS, RLIMIT_AS))

    return subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_small_file_is_read_under_an_address_space_limit(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("user,item,rating\n1,2,3\n1,3,4\n2,2,5\n")
    done = _under_address_limit(
        f"import sys; from slimbench.cli import main; sys.exit(main(['stats', 'csv:{path}']))"
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_the_memory_available_sees_the_address_space_limit():
    done = _under_address_limit(
        "from slimbench.host import available_memory; print(available_memory())"
    )
    assert done.returncode == 0, done.stderr
    assert 0 <= int(done.stdout) < RLIMIT_AS


def _cgroup_tree(root, files: dict[str, str]):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


GIB = 1 << 30
# (/proc/self/cgroup, files under the cgroup root, bytes left or None)
CGROUPS = [
    (
        "4:memory:/job\n",
        {"memory/job/memory.limit_in_bytes": f"{GIB}", "memory/job/memory.usage_in_bytes": "0"},
        GIB,
    ),
    (
        "4:memory:/job\n",
        {
            "memory/job/memory.limit_in_bytes": f"{2 * GIB}",
            "memory/job/memory.usage_in_bytes": f"{GIB // 2}",
        },
        3 * GIB // 2,
    ),
    ("4:memory:/job\n", {"memory/job/memory.limit_in_bytes": "9223372036854771712"}, None),
    (
        "4:cpu,memory:/a/b\n",
        {
            "memory/a/memory.limit_in_bytes": f"{GIB}",
            "memory/a/b/memory.limit_in_bytes": f"{4 * GIB}",
        },
        GIB,
    ),  # the parent's limit binds
    (
        "0::/user.slice\n",
        {
            "cgroup.controllers": "memory",
            "user.slice/memory.max": f"{GIB}",
            "user.slice/memory.current": f"{GIB // 4}",
        },
        3 * GIB // 4,
    ),
    ("0::/user.slice\n", {"cgroup.controllers": "memory", "user.slice/memory.max": "max"}, None),
    ("0::/\n", {"unified/memory.max": f"{GIB}"}, GIB),  # hybrid: v2 under unified/
    ("4:memory:/gone\n", {}, None),
    ("not a cgroup file", {}, None),
]


@pytest.mark.parametrize("proc,files,left", CGROUPS)
def test_cgroup_memory_limits_are_read(proc, files, left, tmp_path):
    from slimbench.host import cgroup_memory_left

    (tmp_path / "cgroup").write_text(proc)
    _cgroup_tree(tmp_path / "sys", files)
    (tmp_path / "sys").mkdir(exist_ok=True)
    assert cgroup_memory_left(tmp_path / "cgroup", tmp_path / "sys") == left


MANY_ITEMS = "synthetic:n_users=400,n_items=5000,nnz=20000,min_len=5,median_len=40,max_len=200"


@pytest.mark.parametrize(
    "extra,memory,pattern",
    [
        (["--baselines", "item-knn"], GIB, r"the baselines item-knn need about 0.9 GiB"),
        (["--baselines", "ease,top-popular"], GIB, r"the baselines ease need about"),
        (["--baselines", "none"], 100 << 20, r"needs a dense S of 5,000\^2 x 8 bytes"),
    ],
)
def test_what_would_not_fit_is_refused_before_training(
    extra, memory, pattern, tmp_path, capsys, monkeypatch
):
    from slimbench.sessions import train as train_run

    monkeypatch.setattr(train_run, "available_memory", lambda: memory)
    argv = ["train", "--dataset", MANY_ITEMS, "--tier", "cython-typed", *extra]
    outcome = cli([*argv, "--out", str(tmp_path / "t")], capsys)
    assert_refused(outcome, pattern)
    assert not (tmp_path / "t" / "train.json").exists()  # refused before anything trained


# -- Dask -----------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


@pytest.mark.parametrize(
    "address,pattern",
    [
        ("", r"the Dask scheduler address is empty"),
        ("   ", r"the Dask scheduler address is empty"),
        ("tcp://127.0.0.1", r"has no port; write tcp://HOST:PORT"),
        ("tcp://127.0.0.1:{port}", r"nothing answers at the Dask scheduler .*Connection refused"),
        ("127.0.0.1:{port}", r"nothing answers at the Dask scheduler"),
        ("tcp://no-such-host.invalid:8786", r"nothing answers at the Dask scheduler"),
    ],
)
def test_a_scheduler_that_cannot_answer_fails_at_once(address, pattern):
    import time

    pytest.importorskip("distributed")
    start = time.monotonic()
    with pytest.raises(SlimBenchError, match=pattern):
        create("dask-bucketed", URM, scheduler=address.format(port=_free_port()), workers=1)
    assert time.monotonic() - start < 15  # not CONNECT_TIMEOUT (60 s) per tier


@pytest.mark.parametrize("command", ["run", "check"])
def test_an_empty_scheduler_option_is_refused(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_refused(cli([command, "--dask-scheduler", ""], capsys), r"the address is empty")
    assert not (tmp_path / "reports").exists()


class _LostActor:
    def __getattr__(self, name):  # what distributed's Actor does once its worker is gone
        raise RuntimeError("Worker holding Actor was lost.  Status: lost")


@pytest.mark.parametrize("method,args", [("run_block", (10,)), ("rows_of_s", ()), ("memory", ())])
def test_a_lost_worker_gives_the_tier_verdict_not_a_raw_error(method, args):
    pytest.importorskip("distributed")
    from slimbench.impls import get_tier
    from slimbench.impls.dask_bucketed import DistributedTierError

    tier = object.__new__(get_tier("dask-bucketed"))
    tier.actors = [_LostActor(), _LostActor()]
    with pytest.raises(DistributedTierError, match=r"failed on a Dask worker .*was lost"):
        tier._call_all(method, *args, what="a block of steps")
