"""One bound per scalar (slimbench.impls.limits): the CLI and the Python API refuse the same
value with the same message, and every MAX_* constant is defined in one place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import slimbench
from slimbench.cli import main
from slimbench.impls import InvalidInputError, create, limits
from slimbench.impls.slim import SlimOptions
from slimbench.measure.timing import TimingPlan
from slimbench.quality.baselines import ease, item_knn
from slimbench.sessions.run import RunOptions, RunSession
from slimbench.sessions.train import TrainOptions, check_options

from helpers import random_urm

ROOT = Path(__file__).resolve().parents[1]
URM = random_urm(0, 12, 10, 0.5)
TOO_MANY_THREADS = limits.max_threads() + 1


def _runner(**options):
    return lambda tmp: RunSession(
        RunOptions(dataset="synthetic-tiny", out_dir=tmp / "out", **options)
    )


def _train(**options):
    return lambda tmp: check_options(TrainOptions(dataset="synthetic-tiny", **options))


#: (command line, the option whose value is bad, the same value given to the API)
CASES = [
    (["run", "--seed", "-1"], "--seed", _runner(seed=-1)),
    (["run", "--seed", str(2**32)], "--seed", _runner(seed=2**32)),
    (["check", "--seed", str(2**32)], "--seed", lambda tmp: slimbench.check(seed=2**32)),
    (["train", "--seed", "-3"], "--seed", _train(seed=-3)),
    (["run", "--seed", "-1"], "--seed", lambda tmp: create("cython-typed", URM, seed=-1)),
    (["run", "--epochs", "0"], "--epochs", _runner(epochs=0)),
    (["check", "--epochs", "10000000"], "--epochs", lambda tmp: slimbench.check(epochs=10**7)),
    (["train", "--epochs", "0"], "--epochs", _train(epochs=0)),
    (["run", "--rounds", "0"], "--rounds", _runner(rounds=0)),
    (["scale", "--rounds", "10001"], "--rounds", lambda tmp: TimingPlan(rounds=10_001)),
    (["run", "--budget", "0"], "--budget", _runner(budget_seconds=0.0)),
    (["run", "--budget", "1e9"], "--budget", lambda tmp: slimbench.run(budget=1e9)),
    (["run", "--budget", "nan"], "--budget", lambda tmp: TimingPlan(budget_seconds=float("nan"))),
    (["train", "--predict-budget", "0"], "--predict-budget", _train(predict_budget=0)),
    (["run", "--warmup", "-1"], "--warmup", _runner(warmup_seconds=-1.0)),
    (["run", "--learning-rate", "0"], "--learning-rate", _runner(learning_rate=0)),
    (["check", "--learning-rate", "inf"], "--learning-rate",
     lambda tmp: slimbench.check(learning_rate=float("inf"))),
    (["train", "--learning-rate", "-1"], "--learning-rate", _train(learning_rate=-1.0)),
    (["run", "--learning-rate", "-1"], "--learning-rate",
     lambda tmp: create("python-naive", URM, learning_rate=-1)),
    (["run", "--threads", "0"], "--threads", _runner(threads=0)),
    (["run", "--threads", str(TOO_MANY_THREADS)], "--threads",
     lambda tmp: create("cython-parallel", URM, threads=TOO_MANY_THREADS)),
    (["check", "--threads", "0"], "--threads", lambda tmp: slimbench.check(threads=0)),
    (["train", "--threads", str(TOO_MANY_THREADS)], "--threads",
     _train(threads=TOO_MANY_THREADS)),
    (["run", "--train-share", "1"], "--train-share", _runner(train_share=1.0)),
    (["train", "--train-share", "0"], "--train-share", _train(train_share=0)),
    (["run", "--call-timeout", "0"], "--call-timeout", _runner(call_timeout=0)),
    (["check", "--l2", "-1"], "--l2", lambda tmp: SlimOptions(l2=-1)),
    (["train", "--cutoff", "0"], "--cutoff", _train(cutoff=0)),
    (["train", "--eval-every", "-1"], "--eval-every", _train(eval_every=-1)),
    (["train", "--save-top-k", "-1"], "--save-top-k", _train(save_top_k=-1)),
    (["train", "--max-call-steps", "0"], "--max-call-steps", _train(max_call_steps=0)),
    (["train", "--knn-k", "0"], "--knn-k", _train(knn_k=0)),
    (["train", "--knn-k", "0"], "--knn-k", lambda tmp: item_knn(URM, k=0)),
    (["train", "--knn-shrink", "-1"], "--knn-shrink", _train(knn_shrink=-1.0)),
    (["train", "--ease-lambda", "0"], "--ease-lambda", lambda tmp: ease(URM, lam=0.0)),
    (["train", "--ease-lambda", "nan"], "--ease-lambda", _train(ease_lambda=float("nan"))),
]


def _cli_message(argv: list[str], option: str, capsys) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1, err
    prefix = f"argument {option}: "
    assert prefix in lines[0], lines[0]
    return lines[0].split(prefix, 1)[1]


@pytest.mark.parametrize(
    "argv,option,call", CASES, ids=[" ".join(argv) for argv, _, _ in CASES]
)
def test_the_cli_and_the_api_refuse_alike(argv, option, call, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from_cli = _cli_message(argv, option, capsys)
    with pytest.raises(InvalidInputError) as exc:
        call(tmp_path)
    assert str(exc.value) == from_cli
    assert not (tmp_path / "out").exists()  # refused before anything is made
    # the one shape: what, the range, the value given (then, maybe, what to do)
    assert re.fullmatch(r".+ must be .+, got [^;]+(; .+)?\.", from_cli), from_cli


def test_a_message_names_the_value_and_the_range():
    message = limits.SEED.message(-1)
    assert message.startswith("seed must be an integer in [0, 4,294,967,295], got -1; ")
    assert limits.BUDGET.message(0) == limits.BUDGET.message(0.0)  # 0 and "0" read alike
    assert "(a week)" in limits.BUDGET.message(1e9)
    with pytest.raises(InvalidInputError, match=r"got '1\.5'|got 1\.5"):
        limits.ROUNDS.parse("1.5")
    with pytest.raises(InvalidInputError, match="got 'ten'"):
        limits.BUDGET.parse("ten")
    for bad in (True, "3", None, float("nan"), 10**400):
        with pytest.raises(InvalidInputError):
            limits.BUDGET.check(bad)


DEFINITION = re.compile(r"^\s*(?:cdef\s+[\w ]+\s+)?(MAX_[A-Z0-9_]+)\s*(?::[^=]+)?=(?!=)", re.M)


def test_every_max_is_defined_once():
    sources = [
        p
        for folder in ("bench", "impls", "examples")
        for pattern in ("*.py", "*.pyx", "*.pxi", "*.pxd")
        for p in (ROOT / folder).rglob(pattern)
    ]
    assert sources
    where: dict[str, list[str]] = {}
    for path in sources:
        for name in DEFINITION.findall(path.read_text(encoding="utf-8")):
            where.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert "MAX_SEED" in where and "MAX_EPOCHS" in where  # the grep sees the definitions
    twice = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert not twice, twice
    for name in ("MAX_SEED", "MAX_STEPS", "MAX_EPOCHS", "MAX_ROUNDS", "MAX_WORKERS"):
        assert where[name] == ["impls/limits.py"], (name, where[name])


def test_every_command_whose_workers_can_time_out_takes_call_timeout(monkeypatch, tmp_path):
    """A worker killed for a slow call says "--call-timeout sets the limit"
    (measure/tier_process.py): every command that runs tiers in workers must take it, and
    train must hand it to its tier's worker (it once named an option it did not have)."""
    from slimbench.cli import build_parser
    from slimbench.impls import prepare_urm
    from slimbench.measure import tier_process
    from slimbench.sessions import train as train_session

    parser = build_parser()
    for command in ("run", "check", "train", "scale"):
        args = parser.parse_args([command, "--call-timeout", "7"])
        assert args.call_timeout == 7.0, command
    assert "--call-timeout sets the limit" in Path(tier_process.__file__).read_text()

    class Recorded(Exception):
        pass

    def remote(*args, call_timeout, **kwargs):
        raise Recorded(call_timeout)

    monkeypatch.setattr(train_session, "RemoteTier", remote)
    session = train_session.TrainSession.__new__(train_session.TrainSession)
    session.options = TrainOptions(call_timeout=7.0)
    session.tier_name, session.slim, session._shared = "cython-rand", SlimOptions(), None
    session.out = tmp_path
    try:
        with pytest.raises(Recorded) as raised:
            session._make_tier(prepare_urm(URM), 1e-3)
    finally:
        session._drop_shared()
    assert raised.value.args == (7.0,)
