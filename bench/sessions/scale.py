"""``slimbench scale``: how the cost of a step grows with the data.

Chosen tiers run on a series of synthetic datasets, after the cross-check, each under the
same timing protocol as ``slimbench run`` (with a small budget). Two sweeps by default:

* size: the ``synthetic-ml10m`` preset at growing scale (users and interactions grow,
  items and profile lengths stay): the cost of a step should not change much;
* profile length: 20,000 users whose mean profile grows: the cost of a step should grow
  with the expected profile length sum(len^2)/sum(len), in proportion for the tiers whose
  step is bound by reading the profile.

The figure of merit besides samples/s is nanoseconds per profile entry:
1e9 / (samples/s x expected profile length), flat where a tier's cost is the work it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from ..data.datasets import load_dataset, synthetic_params
from ..data.stats import dataset_stats
from ..data.synthetic import profile_lengths
from ..figures.summary import summarize
from ..formatting import human_rate
from ..impls import InvalidInputError, SlimBenchError, TrainingDiverged, get_tier, prepare_urm
from ..measure.check import check_tiers, name_width
from ..measure.tier_process import DEFAULT_CALL_TIMEOUT, RemoteTier, SharedData, WorkerFailure
from ..measure.timing import TierClock, TimingPlan
from ..output.scale_output import ScalePoint, plot_scale, print_scale_table, write_scale_json

SIZE_SCALES = (0.05, 0.1, 0.25, 0.5, 1.0)
PROFILE_MEANS = (20, 50, 100, 200, 400)


def size_sweep(scales: Sequence[float] = SIZE_SCALES) -> list[str]:
    """Dataset specs of the size sweep."""
    return [f"synthetic-ml10m:scale={s:g}" for s in scales]


def profile_sweep(means: Sequence[int] = PROFILE_MEANS) -> list[str]:
    """Dataset specs of the profile-length sweep (20,000 users, 10,681 items)."""
    return [
        f"synthetic:n_users=20000,mean={m},median_len={2 * m // 3},min_len=5,loc=2" for m in means
    ]


def check_sweeps(sweeps: dict[str, list[str]]) -> None:
    """Refuse, before anything runs, a synthetic point whose lengths cannot be made.

    A scaled preset keeps the full preset's expected profile length (580 for
    synthetic-ml10m); a few hundred users cannot reach it (their longest profile is
    too short), which the generator would only find after the others were measured.
    """
    for sweep, specs in sweeps.items():
        for spec in specs:
            params = synthetic_params(spec)
            if params is None:
                continue
            try:
                profile_lengths(params)
            except InvalidInputError as exc:
                raise InvalidInputError(
                    f"the {sweep} sweep's dataset {spec!r} ({params.n_users:,} users) cannot "
                    f"be generated: {exc} The sweep keeps the preset's lengths and cannot set "
                    "epl: use larger --scales (the defaults start at 0.05)."
                ) from None


def run_scale(
    tiers: Sequence[str],
    sweeps: dict[str, list[str]],
    out_dir: Path,
    *,
    budget_seconds: float = 4.0,
    rounds: int = 5,
    seed: int = 0,
    learning_rate: float = 1e-6,
    threads: int | None = None,
    call_timeout: float = DEFAULT_CALL_TIMEOUT,
    console: Console | None = None,
) -> list[ScalePoint]:
    """Measure ``tiers`` on every dataset of ``sweeps``; write JSON and plots to ``out_dir``.

    ``call_timeout``: the least time one call of a tier may take before its worker is
    killed (``--call-timeout``), in the cross-check and in the timing.
    """
    from ..measure.tier_selection import split_width, tier_options

    console = console or Console()
    check_sweeps(sweeps)
    verdicts = {
        r.tier: r
        for r in check_tiers(
            tiers,
            seed=seed,
            options={split_width(t)[0]: tier_options(split_width(t)[0], threads) for t in tiers},
            call_timeout=call_timeout,
        )
    }
    width = name_width(verdicts.values())
    for r in verdicts.values():
        console.print("  " + r.line(width), highlight=False, markup=False)
    usable = [t for t in tiers if verdicts[t].passed]
    if not usable:
        raise InvalidInputError("no selected tier passed the cross-check: nothing to measure.")
    plan = TimingPlan(budget_seconds, rounds)
    options = {
        t: {"seed": seed, "learning_rate": learning_rate, **tier_options(t, threads)}
        for t in usable
    }
    points: list[ScalePoint] = []
    write_scale_json(points, out_dir)  # "running": a folder that holds a sweep under way
    try:
        for sweep, specs in sweeps.items():
            for spec in specs:
                urm = load_dataset(spec).urm
                epl = float(dataset_stats(urm)["expected_profile_length"])
                with SharedData(prepare_urm(urm)) as shared:
                    for tier in usable:
                        point = ScalePoint(
                            sweep, spec, tier, int(urm.nnz), urm.shape[1], epl,
                            None, None, None, "measured",
                        )  # fmt: skip
                        _measure_point(point, shared, options[tier], plan, call_timeout)
                        points.append(point)
                        console.print(_point_line(point), highlight=False, markup=False)
                        write_scale_json(points, out_dir)
        plot_scale(points, out_dir)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP: keep the points, say so
        write_scale_json(points, out_dir, "interrupted")
        raise
    except BaseException as exc:  # a full disk while plotting included
        write_scale_json(points, out_dir, "failed", f"{type(exc).__name__}: {exc}")
        raise
    write_scale_json(points, out_dir, "complete")
    print_scale_table(points, console)
    return points


def _measure_point(
    point: ScalePoint, shared: SharedData, options: dict, plan: TimingPlan,
    call_timeout: float = DEFAULT_CALL_TIMEOUT,
) -> None:
    """Time ``point.tier`` on the shared data in a worker of its own; fill in ``point``."""
    from ..measure.tier_selection import split_width

    live = None
    try:
        live = RemoteTier(
            point.tier, get_tier(split_width(point.tier)[0]), shared, options=options,
            call_timeout=call_timeout,
        )
        clock = TierClock(live, plan)
        while clock.next_round() is not None:
            pass
        usage = live.memory_usage()  # the tier's worker: its own peak
        point.memory_bytes = [usage["peak_bytes"] - usage["start_bytes"]]
        workers = live.call_hook("worker_memory")  # a Dask block's cost at its peak
        if workers is not None:
            point.memory_bytes = [w["peak_bytes"] - w["start_bytes"] for w in workers]
        s = summarize([r.samples_per_second for r in clock.rounds])
        point.samples_per_second, point.ci = s.median, (s.ci_low, s.ci_high)
        point.ns_per_entry = 1e9 / (s.median * point.expected_profile_length)
    except TrainingDiverged:
        point.status = "diverged"
    except WorkerFailure as exc:
        point.status = f"{exc.status}: {exc}"
    except (SlimBenchError, MemoryError) as exc:
        point.status = f"error: {exc}"
    finally:
        if live is not None:
            live.close()  # frees the worker's S before the next tier allocates its own


def _point_line(point: ScalePoint) -> str:
    result = (
        f"{human_rate(point.samples_per_second):>7}/s {point.ns_per_entry:6.2f} ns/entry"
        if point.samples_per_second
        else point.status
    )
    return f"  {point.sweep:<8} {point.dataset:<62} {point.tier:<20} " + result


