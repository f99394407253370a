"""What running a tier in a worker process costs: the same tier in-process and in a worker.

``python -m slimbench.measure.isolation_cost --tier cython-interleaved``: both copies of
the tier are set up on the same training split, warmed up and timed round-robin under the
run's own timing protocol (TierClock), so each pass holds one round of each and the paired
ratio (slimbench.figures.paired) cancels the machine's drift. A ratio near 1.00 means the
isolation costs nothing measurable; the worker's clock is read around the tier's own call,
so only what the process boundary changes (page sharing, scheduling) can show.
"""

from __future__ import annotations

import argparse
import json

from ..data.datasets import holdout_split, load_dataset
from ..figures.paired import paired_ratio
from ..figures.summary import summarize
from ..impls import create, get_tier, prepare_urm
from .tier_process import RemoteTier, SharedData, kill_all_workers
from .tier_selection import split_width, tier_options
from .timing import TierClock, TimingPlan


def measure_isolation_cost(
    tier: str, dataset: str, budget: float, rounds: int, seed: int = 0, lr: float = 1e-6
) -> dict:
    """Paired samples/s of ``tier`` in this process and in a worker; their ratio."""
    urm = load_dataset(dataset).urm
    train, _ = holdout_split(urm, train_share=0.8, seed=seed)
    data = prepare_urm(train)
    base = split_width(tier)[0]
    options = {"seed": seed, "learning_rate": lr, **tier_options(tier, None)}
    plan = TimingPlan(budget, rounds)
    with SharedData(data) as shared:
        try:
            clocks = {
                "in-process": TierClock(create(base, data, **options), plan),
                "worker": TierClock(
                    RemoteTier(tier, get_tier(base), shared, options=options), plan
                ),
            }
            while not all(c.done for c in clocks.values()):
                for clock in clocks.values():
                    clock.next_round()
        finally:
            for clock in clocks.values():
                clock.tier.close()
            kill_all_workers()
    speeds = {k: [r.samples_per_second for r in c.rounds] for k, c in clocks.items()}
    return {
        "tier": tier,
        "dataset": dataset,
        "median_samples_per_second": {k: summarize(v).median for k, v in speeds.items()},
        "worker_vs_in_process": paired_ratio(speeds["worker"], speeds["in-process"]),
        "rounds": speeds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="cython-interleaved")
    parser.add_argument("--dataset", default="synthetic-ml10m")
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    print(
        json.dumps(
            measure_isolation_cost(args.tier, args.dataset, args.budget, args.rounds), indent=1
        )
    )


if __name__ == "__main__":
    main()
