"""``slimbench train``: whole epochs with one tier (the seed's In [41]), predicted time
against measured, and the model's quality on held-out data beside the baselines."""

from __future__ import annotations

import argparse
import sys

from ..arg_types import (
    budget_value,
    call_steps_value,
    cutoff_value,
    ease_lambda_value,
    epoch_count,
    eval_every_value,
    knn_k_value,
    knn_shrink_value,
    l2_value,
    learning_rate_value,
    save_top_k_value,
    seed_value,
    share,
    thread_count,
)
from .arguments import add_call_timeout_argument


def learning_rate(text: str) -> float | str:
    """``auto`` or a positive finite number."""
    if text.strip().lower() == "auto":
        return "auto"
    return learning_rate_value(text)


def baseline_list(text: str) -> list[str]:
    """``top-popular,ease`` -> the list; ``none`` -> no baseline."""
    if text.strip().lower() == "none":
        return []
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of baselines or none")
    return names


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..quality.baselines import BASELINES, EASE_LAMBDA, KNN_K, KNN_SHRINK

    p = sub.add_parser(
        "train",
        help="train whole epochs; predicted vs measured time; quality",
        description="Train SLIM MSE by SGD for whole epochs (the seed's In [41]) with one tier, "
        "after predicting the time with the run protocol; evaluate the model on held-out "
        "interactions beside top-popular, item-KNN and EASE; write train.json, plots, "
        "train.html and the model.",
    )
    p.add_argument("--dataset", default="synthetic-ml10m", help="dataset spec (default "
                   "synthetic-ml10m); see `slimbench datasets`")
    p.add_argument("--tier", default=None, help="tier to train with (default: the fastest "
                   "bitwise tier available)")
    p.add_argument("--epochs", type=epoch_count, default=10, help="epochs (default 10)")
    p.add_argument("--learning-rate", type=learning_rate, default="auto", help="a rate or "
                   "auto (default): 1 / max_u sum of u's squared ratings, no step overshoots")
    p.add_argument("--seed", type=seed_value, default=0,
                   help="seed of the sample stream and the holdout split (default 0)")
    p.add_argument("--threads", type=thread_count, default=None,
                   help="threads of the parallel tiers (default: all usable cores)")
    p.add_argument("--train-share", type=share, default=0.8,
                   help="share of interactions in the training split (default 0.8)")
    diagonal = p.add_mutually_exclusive_group()
    diagonal.add_argument("--no-diagonal", dest="no_diagonal", action="store_const",
                          const=True, default=None,
                          help="hold S[i, i] at 0, SLIM's constraint (the default on every tier "
                          "that implements SLIM's options; an error on the seed tiers)")
    diagonal.add_argument("--diagonal", dest="no_diagonal", action="store_const", const=False,
                          help="leave S[i, i] free: the seed's loop as written (what the seed "
                          "tiers always train, with a note when neither flag is given)")
    p.add_argument("--l2", type=l2_value, default=0.0, metavar="LAMBDA",
                   help="L2 decay: S[j,i] += lr * (err * r_j - LAMBDA * S[j,i]) (default 0)")
    p.add_argument("--cutoff", type=cutoff_value, default=10, help="N of the top-N metrics "
                   "(default 10)")
    p.add_argument("--eval-every", type=eval_every_value, default=0, metavar="K",
                   help="also evaluate every K epochs (default: after the last only)")
    p.add_argument("--baselines", type=baseline_list, default=list(BASELINES),
                   help=f"comma-separated, or none (default {','.join(BASELINES)})")
    p.add_argument("--knn-k", type=knn_k_value, default=KNN_K,
                   help=f"item-KNN neighbours per item (default {KNN_K})")
    p.add_argument("--knn-shrink", type=knn_shrink_value, default=KNN_SHRINK,
                   help=f"item-KNN cosine shrink (default {KNN_SHRINK:g})")
    p.add_argument("--ease-lambda", type=ease_lambda_value, default=EASE_LAMBDA,
                   help=f"EASE L2 lambda (default {EASE_LAMBDA:g})")
    p.add_argument("--test-dataset", default=None, metavar="SPEC",
                   help="evaluate on this file of held-out interactions (ids as in --dataset) "
                   "instead of the seeded split; all of --dataset is then training")
    p.add_argument("--write-split", default=None, metavar="DIR",
                   help="write the split used as DIR/train.csv and DIR/test.csv (original ids)")
    p.add_argument("--save-top-k", type=save_top_k_value, default=100, metavar="K",
                   help="save the K largest entries of each column of S (default 100; 0: no)")
    p.add_argument("--save-dense", action="store_true", help="also save S as a dense .npy")
    p.add_argument("--predict-budget", type=budget_value, default=10.0, metavar="S",
                   help="seconds of the measurement that predicts the time (default 10)")
    p.add_argument("--max-call-steps", type=call_steps_value, default=None, metavar="N",
                   help="most steps per run call inside an epoch (default 2^21)")
    add_call_timeout_argument(p)
    p.add_argument("--out", default=None, help="output folder (default reports/<date>-<time>)")
    p.add_argument("--force", action="store_true", help="replace a finished train.json in "
                   "--out and the files of --write-split")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Train, evaluate and write the outputs; 1 if training diverged."""
    from pathlib import Path

    from ..interrupts import terminations_as_interrupt
    from ..sessions.train import TrainOptions, TrainSession

    options = TrainOptions(
        dataset=args.dataset,
        tier=args.tier,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        seed=args.seed,
        threads=args.threads,
        train_share=args.train_share,
        no_diagonal=args.no_diagonal,
        l2=args.l2,
        cutoff=args.cutoff,
        eval_every=args.eval_every,
        baselines=args.baselines,
        knn_k=args.knn_k,
        knn_shrink=args.knn_shrink,
        ease_lambda=args.ease_lambda,
        test_dataset=args.test_dataset,
        write_split=Path(args.write_split) if args.write_split else None,
        save_top_k=args.save_top_k,
        save_dense=args.save_dense,
        predict_budget=args.predict_budget,
        max_call_steps=args.max_call_steps,
        call_timeout=args.call_timeout,
        out_dir=Path(args.out) if args.out else None,
        force=args.force,
        command=["slimbench", *sys.argv[1:]],
    )
    with terminations_as_interrupt():  # kill or a closed terminal: the path of Ctrl-C
        return TrainSession(options).execute()
