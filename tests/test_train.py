"""`slimbench train`: epochs, train.json, prediction, evaluation, split files, model, and
bad input refused with one line before any training. Real data: MovieLens latest-small
(tests/data/ml-latest-small), restricted to its 600 lowest movie ids to keep S small."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from slimbench.cli import main
from slimbench.measure.timing import TierClock, TimingPlan
from slimbench.training.learning_rate import overshoot_share, profile_square_sums, step_bound
from slimbench.training.training import epoch_calls

RATINGS = Path(__file__).parent / "data" / "ml-latest-small" / "ratings.csv"
TINY = ["--dataset", "synthetic-tiny", "--predict-budget", "0.5", "--save-top-k", "5"]


@pytest.fixture(scope="module")
def small_movielens(tmp_path_factory) -> Path:
    """ratings.csv of ml-latest-small restricted to its 600 lowest movie ids."""
    frame = pd.read_csv(RATINGS)
    keep = np.sort(frame.movieId.unique())[:600]
    path = tmp_path_factory.mktemp("ml") / "ratings.csv"
    frame[frame.movieId.isin(keep)].to_csv(path, index=False)
    return path


def _doc(folder: Path) -> dict:
    return json.loads((folder / "train.json").read_text())


def test_train_writes_epochs_prediction_quality_and_model(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["train", *TINY, "--epochs", "3", "--eval-every", "1", "--out", str(out),
                 "--max-call-steps", "2000", "--save-dense"])
    assert code == 0
    printed = capsys.readouterr().out
    # each baseline's cost is said before any is fitted, then what each took
    announced = printed.index("baselines (--baselines chooses): ")
    assert "top-popular: counts, instant" in printed[announced:].splitlines()[0]
    assert "ease: about" in printed and "inverting a dense" in printed
    assert announced < printed.index("top-popular: fitted in") < printed.index("ease: fitted in")
    html = (out / "train.html").read_text()
    assert "<pre>" not in html  # options, machine and split as key-value lists, not JSON
    assert "SyntheticParams(" not in html and "<dt>interactions</dt><dd>9,000</dd>" in html
    doc = _doc(out)
    assert (doc["schema"], doc["schema_version"], doc["status"]) == ("slimbench.train", 1,
                                                                      "complete")
    losses = [e["loss_per_step"] for e in doc["epochs"]]
    assert len(losses) == 3 and losses[0] > losses[1] > losses[2] > 0
    assert all(e["steps"] == doc["dataset"]["train_nnz"] for e in doc["epochs"])
    assert all(e["metrics"] for e in doc["epochs"])
    p = doc["prediction"]
    assert p["call_steps"] == doc["options"]["call_steps"] <= 2000
    assert all(r["steps"] == p["call_steps"] for r in p["rounds"])
    measured = sum(e["seconds"] for e in doc["epochs"])
    assert p["measured_seconds"] == pytest.approx(measured)
    assert p["error_percent"] == pytest.approx((p["predicted_seconds"] / measured - 1) * 100)
    assert [q["model"] for q in doc["quality"]][1:] == ["random", "top-popular", "item-knn",
                                                       "ease"]
    # the SGD model's setup is its own figure, not hidden in its training seconds
    sgd = doc["quality"][0]
    assert sgd["training_seconds"] == pytest.approx(measured)
    assert sgd["setup_seconds"] == pytest.approx(doc["setup_seconds"])
    assert all(q["setup_seconds"] is None for q in doc["quality"][1:])
    assert "setup s" in printed and "training s: its epochs' run calls" in " ".join(
        printed.split()
    )
    assert "<th>setup s</th><th>training s</th>" in html
    assert "conversions, allocation and first touch of S, before its first epoch" in html
    assert doc["learning_rate"]["rule"].startswith("auto")
    assert doc["learning_rate"]["overshoot_share"] == 0.0
    S = sp.load_npz(out / doc["model"]["top_k"])
    assert S.shape[0] == S.shape[1] and (S.getnnz(axis=0) <= 5).all()
    dense = np.load(out / doc["model"]["dense"])
    assert np.array_equal(dense[S.nonzero()], np.asarray(S[S.nonzero()]).ravel())
    assert np.sort(dense, axis=0)[-1].tolist() == S.max(axis=0).toarray().ravel().tolist()
    meta = json.loads((out / "model.json").read_text())
    assert (meta["tier"], meta["epochs"], meta["seed"]) == (doc["options"]["tier"], 3, 0)
    for name in ("train.html", "loss.png", "metrics.png", "model.json"):
        assert (out / name).is_file()


@pytest.fixture(scope="module")
def given_split_run(tmp_path_factory, small_movielens) -> tuple[Path, Path, Path]:
    """Run (a) on the seeded split writing it out, and (b) on the written files."""
    tmp = tmp_path_factory.mktemp("given")
    common = ["--epochs", "1", "--baselines", "top-popular", "--predict-budget", "0.3",
              "--save-top-k", "0", "--tier", "cython-bucketed", "--cutoff", "7"]
    split = tmp / "split"
    assert main(["train", "--dataset", f"movielens:{small_movielens}", *common,
                 "--write-split", str(split), "--out", str(tmp / "a")]) == 0
    assert main(["train", "--dataset", f"csv:{split / 'train.csv'}", "--test-dataset",
                 f"csv:{split / 'test.csv'}", *common, "--out", str(tmp / "b")]) == 0
    return tmp / "a", tmp / "b", split


def test_given_test_file_keeps_the_split_and_counts_what_it_drops(given_split_run):
    a, b, split = given_split_run
    a, b = _doc(a), _doc(b)
    train, test = pd.read_csv(split / "train.csv"), pd.read_csv(split / "test.csv")
    assert a["dataset"]["train_nnz"] == b["dataset"]["train_nnz"] == len(train)
    assert a["dataset"]["test_nnz"] == len(test)
    unknown = ~test.user.isin(train.user) | ~test.item.isin(train.item)
    info = b["dataset"]["split"]
    assert info["dropped_interactions"] == int(unknown.sum()) > 0
    assert info["dropped_items"] == test.item[~test.item.isin(train.item)].nunique()
    assert b["dataset"]["test_nnz"] == len(test) - int(unknown.sum())
    assert info["seen_in_training"] == 0


def test_top_popular_metrics_match_an_independent_pandas_computation(given_split_run):
    """The README's definitions, computed from the two CSV files with pandas alone."""
    _, b, split = given_split_run
    got = _doc(b)["quality"][1]["metrics"]
    train, test = pd.read_csv(split / "train.csv"), pd.read_csv(split / "test.csv")
    test = test[test.user.isin(train.user) & test.item.isin(train.item)]  # ids unseen: dropped
    n = 7
    counts = train.groupby("item").size()
    ranking = sorted(counts.index, key=lambda i: (-counts[i], i))  # ties: lower item id
    seen = train.groupby("user").item.apply(set)
    precision = recall = ap = ndcg = 0.0
    recommended = set()
    relevant_by_user = test.groupby("user").item.apply(set)
    for user, relevant in relevant_by_user.items():
        top = [i for i in ranking if i not in seen[user]][:n]
        recommended.update(top)
        hits = [k + 1 for k, i in enumerate(top) if i in relevant]
        precision += len(hits) / n
        recall += len(hits) / len(relevant)
        ap += sum((h + 1) / rank for h, rank in enumerate(hits)) / min(n, len(relevant))
        ideal = sum(1 / math.log2(k + 2) for k in range(min(n, len(relevant))))
        ndcg += sum(1 / math.log2(rank + 1) for rank in hits) / ideal
    users = len(relevant_by_user)
    assert got["users"] == users
    assert got["precision"] == pytest.approx(precision / users, rel=1e-12)
    assert got["recall"] == pytest.approx(recall / users, rel=1e-12)
    assert got["map"] == pytest.approx(ap / users, rel=1e-12)
    assert got["ndcg"] == pytest.approx(ndcg / users, rel=1e-12)
    assert got["coverage"] == pytest.approx(len(recommended) / len(counts), rel=1e-12)


def test_explicit_rate_that_overshoots_is_warned_with_its_share(tmp_path, capsys):
    assert main(["train", *TINY, "--epochs", "1", "--learning-rate", "1e-2", "--baselines",
                 "none", "--out", str(tmp_path)]) in (0, 1)
    doc = _doc(tmp_path)
    share = doc["learning_rate"]["overshoot_share"]
    assert share > 0
    assert f"{share:.2%} of the training steps overshoot" in capsys.readouterr().out


def test_overshoot_share_and_bound_by_hand():
    # user 0: ratings 1, 2 (q = 5, 2 steps); user 1: rating 3 (q = 9, 1 step)
    urm = sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]]))
    assert profile_square_sums(urm).tolist() == [5.0, 9.0]
    bound = step_bound(urm)
    assert (bound.max_square_sum, bound.auto_rate) == (9.0, 1 / 9)
    assert overshoot_share(urm, 0.3) == pytest.approx(1 / 3)  # 0.3 * 9 > 2 only
    assert overshoot_share(urm, 0.5) == 1.0
    assert overshoot_share(urm, bound.auto_rate) == 0.0


def test_epoch_calls_split_evenly():
    assert epoch_calls(10, 4) == [4, 3, 3]
    assert sum(epoch_calls(8_001_696)) == 8_001_696


def test_timing_plan_with_a_call_size_runs_calls_of_that_size(small_urm):
    from slimbench.impls import create

    clock = TierClock(create("cython-transposed", small_urm), TimingPlan(0.2, 3, 0.0, 77))
    clock.warm_up()
    while clock.next_round() is not None:
        pass
    assert {r.steps for r in clock.warmup + clock.rounds} == {77}
    assert "77 steps" in clock.call_size_note()


QUICK = [*TINY, "--epochs", "1", "--baselines", "none", "--predict-budget", "0.3",
         "--save-top-k", "0", "--save-dense"]


@pytest.mark.parametrize(
    "args,no_diagonal",
    [([], True), (["--no-diagonal"], True), (["--diagonal"], False)],
    ids=["default", "no-diagonal", "diagonal"],
)
def test_the_default_holds_the_diagonal_at_zero_and_diagonal_frees_it(
    tmp_path, capsys, args, no_diagonal
):
    assert main(["train", *QUICK, "--tier", "cython-bucketed", *args, "--out",
                 str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    doc = _doc(tmp_path)
    assert doc["options"]["no_diagonal"] is no_diagonal
    assert doc["quality"][0]["options"]["no_diagonal"] is no_diagonal
    assert ("(no diagonal)" if no_diagonal else "(plain MSE)") in printed
    assert "S[i, i] is free" not in printed and not doc["notes"]
    diagonal = np.diag(np.load(tmp_path / doc["model"]["dense"]))
    if no_diagonal:
        assert not diagonal.any()  # exactly 0: SLIM's constraint
    else:
        assert (diagonal > 0).sum() > 0.9 * diagonal.size  # the seed's step fits r_i with S[i, i]


def test_a_seed_tier_without_a_flag_trains_the_free_diagonal_and_says_why(tmp_path, capsys):
    assert main(["train", *QUICK, "--tier", "cython-typed", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    doc = _doc(tmp_path)
    assert doc["options"]["no_diagonal"] is False
    notes = [line for line in printed.splitlines() if "S[i, i] is free" in line]
    assert len(notes) == 1  # one line, whatever the terminal's width
    assert "cython-typed does not implement SLIM's options" in notes[0]
    assert doc["notes"] == [notes[0]]
    assert np.diag(np.load(tmp_path / doc["model"]["dense"])).any()
    # --diagonal says the same on purpose: no note
    assert main(["train", *QUICK, "--tier", "cython-typed", "--diagonal", "--force", "--out",
                 str(tmp_path)]) == 0
    assert "S[i, i] is free" not in capsys.readouterr().out and not _doc(tmp_path)["notes"]


def test_diagonal_and_no_diagonal_together_are_refused_by_argparse(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", *QUICK, "--diagonal", "--no-diagonal", "--out", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "argument --no-diagonal: not allowed with argument --diagonal" in err
    assert not (tmp_path / "train.json").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--cutoff", "0"], "cutoff must be an integer >= 1, got 0"),
        (["--epochs", "0"], "epochs must be an integer in [1, 1,000,000], got 0"),
        (["--tier", "cython-rand", "--no-diagonal"], "does not support the SLIM options"),
        (["--tier", "floor"], "trains nothing"),
        (["--baselines", "most-popular"], "unknown baseline"),
        (["--train-share", "1"], "training share must be a number in (0, 1)"),
        (["--train-share", "0.999999999"], "is empty"),
    ],
)
def test_bad_input_is_one_line_before_training(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) if "must be" in message else _returns(2):
        main(["train", *TINY, "--out", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err.strip()
    assert message in err.splitlines()[-1]  # argparse prints its usage above the error line
    if "must be" not in message:
        assert len(err.splitlines()) == 1
    assert not (tmp_path / "o" / "train.json").exists()


def test_test_file_without_common_users_is_refused(tmp_path, capsys):
    test = tmp_path / "test.csv"
    test.write_text("user,item,rating\n100000,5,4.0\n100001,7,3.0\n")
    assert main(["train", *TINY, "--test-dataset", f"csv:{test}", "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no (user, item) whose ids both occur" in err and len(err.strip().splitlines()) == 1


def test_a_dataset_whose_S_does_not_fit_is_refused(tmp_path, capsys, monkeypatch):
    import slimbench.sessions.train as train_run

    monkeypatch.setattr(train_run, "available_memory", lambda: 100_000)
    assert main(["train", *TINY, "--out", str(tmp_path / "o")]) == 2
    assert "needs a dense S" in capsys.readouterr().err


class _returns:
    """Context manager standing in for pytest.raises where main returns an exit code."""

    def __init__(self, code):
        self.code = code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_diverging_rate_is_kept_and_reported(tmp_path, capsys):
    assert main(["train", *TINY, "--learning-rate", "10", "--baselines", "none", "--out",
                 str(tmp_path)]) == 1
    doc = _doc(tmp_path)
    assert doc["status"] == "diverged" and "diverged at step" in doc["error"]
    assert (tmp_path / "train.html").is_file()


def test_ctrl_c_keeps_the_finished_epochs(tmp_path, monkeypatch):
    import slimbench.sessions.train as train_run

    real = train_run.run_epoch

    def interrupted_at_third(tier, epoch, calls, on_call=None, **kwargs):
        if epoch == 3:
            tier.run(calls[0])  # part of the epoch ran: it is not an epoch record
            raise KeyboardInterrupt
        return real(tier, epoch, calls, on_call, **kwargs)

    monkeypatch.setattr(train_run, "run_epoch", interrupted_at_third)
    assert main(["train", *TINY, "--epochs", "5", "--out", str(tmp_path)]) == 130
    doc = _doc(tmp_path)
    assert doc["status"] == "interrupted"
    assert [e["epoch"] for e in doc["epochs"]] == [1, 2]
    assert (tmp_path / "train.html").is_file()
    # the model saved says the steps its S really had, the interrupted call's included
    model = json.loads((tmp_path / "model.json").read_text())
    assert model["steps"] > sum(e["steps"] for e in doc["epochs"])


def test_test_interactions_also_in_training_are_counted(tmp_path, capsys):
    from slimbench.data.datasets import load_dataset

    urm = load_dataset("synthetic-tiny").urm
    item_seen, item_other = urm[0].indices[0], np.setdiff1d(np.arange(urm.shape[1]),
                                                            urm[0].indices)[0]
    test = tmp_path / "test.csv"
    test.write_text(f"user,item,rating\n0,{item_seen},4.0\n0,{item_other},3.0\n999999,1,2.0\n")
    assert main(["train", *TINY, "--epochs", "1", "--baselines", "top-popular",
                 "--test-dataset", f"csv:{test}", "--out", str(tmp_path / "o")]) == 0
    split = _doc(tmp_path / "o")["dataset"]["split"]
    assert (split["seen_in_training"], split["dropped_users"], split["dropped_interactions"]) \
        == (1, 1, 1)
    assert "1 test interactions are also in the training data" in capsys.readouterr().out


def test_stats_prints_the_bound_and_the_shares_at_the_seed_rates(capsys):
    assert main(["stats", "synthetic-tiny"]) == 0
    out = capsys.readouterr().out
    from slimbench.data.datasets import load_dataset

    q = step_bound(load_dataset("synthetic-tiny").urm)
    assert f"{q.max_square_sum:,.1f}" in out and f"{q.overshoot_above:.3g}" in out
    assert "Steps that overshoot at lr 1e-06:" in out
    assert "Steps that overshoot at lr 0.0001:" in out


def test_write_split_into_an_unwritable_place_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["train", *TINY, "--write-split", str(blocker / "split"), "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot write the split" in err and len(err.splitlines()) == 1


def test_measured_and_predicted_never_round_to_a_contradiction():
    from slimbench.formatting import seconds_pair

    assert seconds_pair(0.64, 0.56) == ("0.64 s", "0.56 s")  # not "0.6 s; 0.6 s: -12.5 %"
    assert seconds_pair(0.6449, 0.5643) == ("0.64 s", "0.56 s")
    assert seconds_pair(12.31, 49.9) == ("12.3 s", "49.9 s")
    assert seconds_pair(2.0, 2.0) == ("2.0 s", "2.0 s")
    # the shown figures imply +25 % where the error is +32 %: one more decimal
    assert seconds_pair(0.524, 0.397) == ("0.52 s", "0.40 s")
    assert seconds_pair(0.0004, 0.0003) == ("0.0004 s", "0.0003 s")
    assert seconds_pair(2.006, 2.0) == ("2.0 s", "2.0 s")  # 0.3 %: within rounding


def test_a_one_epoch_loss_plot_has_a_linear_axis_and_a_whole_title(tmp_path):
    from slimbench.training.train_plots import plot_loss

    doc = {
        "epochs": [{"epoch": 1, "loss_per_step": 2.0}],
        "options": {"tier": "cython-interleaved-f32"},
        "dataset": {"name": "movielens:data/ml-latest-small/ratings.csv (latest-small)"},
        "learning_rate": {"value": 4.1e-05},
    }
    import matplotlib.pyplot as plt

    captured = {}
    real_save = plt.Figure.savefig

    def keep(fig, *args, **kwargs):
        captured["fig"] = fig
        return real_save(fig, *args, **kwargs)

    plt.Figure.savefig = keep
    try:
        plot_loss(doc, tmp_path / "loss.png")
    finally:
        plt.Figure.savefig = real_save
    ax = captured["fig"].axes[0]
    assert ax.get_yscale() == "linear"
    assert ax.get_title().splitlines()[-1] == "learning rate 4.1e-05"
    assert [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]] == [
        0.0, 1.0, 2.0
    ]
