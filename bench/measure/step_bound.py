"""What bounds the SIMD tiers' step: each pass timed alone, on the tiers' own block.

``python -m slimbench.measure.step_bound``: the float64 and float32 SIMD tiers are set up
on one thread (synthetic-ml10m, 80 % split, as ``slimbench run``); each sorts the first
``--steps`` draws of its stream exactly as it does when timed (its own ``_steps``), and
that item-sorted block, compact profile and row W[i] are handed to every contender:

- the tiers' own steps: cython-interleaved(-f32)'s ``train_block`` (scalar) and the SIMD
  tier's (AVX2), 1 thread;
- the probe's variants (impls/_step_bound.h, which says what each does): the step, each
  pass alone, each pass's loads (and stores) alone with no arithmetic and no chain, the
  float64 add chain without W, the skeleton (both passes' loads and stores, nothing else)
  and the dealing alone;
- for scale: floor-compact's read of the same profiles (its ``floor_block``, 1 thread), and
  a streaming read of as many bytes as the step loads from W (one element a pass an
  entry) from a buffer the size of one row (so it stays where the row does) and from a
  16 KiB one (the L1).

Rounds alternate the contenders, forward then backward, so that none always follows the
same one; every figure is per profile entry of the block (ns, wall clock and the thread's
CPU time), with the median and range over the rounds, and each contender's time over the
scalar tier's in the same round (the paired ratio, median and range). The contenders
change W as they run (those that update it), which changes none of their addresses.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from ..data.datasets import holdout_split, load_dataset
from ..formatting import plural
from ..impls import create, prepare_urm
from ..impls._compiled import load_compiled

PROBE_MODULE = "_step_bound"
TIERS = {"float64": "cython-interleaved-simd", "float32": "cython-interleaved-simd-f32"}
#: the contender every ratio is taken against: cython-interleaved(-f32)'s own step
BASELINE = "tier step, scalar"
#: the probe's variants as they are listed, with what each is (impls/_step_bound.h)
LABELS = {
    "step_scalar": "probe step, scalar",
    "step_avx2": "probe step, AVX2",
    "pred_scalar": "prediction alone, scalar",
    "pred_avx2": "prediction alone, AVX2",
    "pred_loads_scalar": "prediction's loads alone, scalar",
    "pred_loads_avx2": "prediction's loads alone, AVX2 builds",
    "pred_chain": "prediction's add chain alone (no W)",
    "update_scalar": "update alone, scalar",
    "update_avx2": "update alone, AVX2",
    "update_loads_stores": "update's loads+stores alone",
    "skeleton_scalar": "both passes' loads+stores alone, scalar",
    "skeleton_avx2": "both passes' loads+stores alone, AVX2 builds",
    "dealing": "dealing alone (no pass)",
    "step_avx2_vadd": "probe step, AVX2, the update before (vector add, 4 extracting stores)",
    "update_avx2_vadd": "update alone, the update before (vector add, 4 extracting stores)",
    "skeleton_l1": "both passes' loads+stores alone, ids folded into 16 KiB (L1)",
}
#: float64 only: in float32 they are the tier's own update (impls/_step_bound.h)
FLOAT64_ONLY = ("step_avx2_vadd", "update_avx2_vadd")
L1_BYTES = 16 << 10


def sorted_block(tier: object, n_steps: int) -> tuple:
    """The tier's first block of ``n_steps`` draws, sorted by its own ``_steps``:
    (order, step_user, step_rating, item_ptr, item_sequence). Nothing is trained."""
    captured: list[tuple] = []

    def capture(*arrays: np.ndarray) -> tuple[float, int]:
        captured.append(arrays)
        return 0.0, arrays[0].shape[0]

    tier._sorted_block = capture  # the instance's, for this one call
    try:
        tier._steps(tier.rng.integers(0, tier.data.nnz, size=n_steps))
    finally:
        del tier._sorted_block
    return captured[0]


def contenders(tier: object, block: tuple, probe: object) -> dict[str, object]:
    """name -> a call that runs that contender once over ``block`` on the tier's W."""
    indptr, ids, codes, scale = tier._layout
    order, step_user, step_rating, item_ptr, item_sequence = block
    lr = tier.learning_rate
    squared = np.empty(order.shape[0], dtype=np.float64)
    args = (ids, codes, scale, indptr, tier.W, lr, order, step_user, step_rating, item_ptr,
            item_sequence, squared)
    entries = int(np.diff(indptr)[step_user].sum())
    itemsize = tier.W.itemsize
    row = np.ones(-(-tier.W.shape[1] * itemsize // 128) * 16)  # a row's bytes, in 128 B
    l1 = np.ones(L1_BYTES // 8)
    out: dict[str, object] = {
        BASELINE: lambda: tier._kernel.train_block(*args, 1, False, 0.0, True, 2),
        "tier step, AVX2": lambda: tier._simd.train_block(*args, 1, False, 0.0, True, 2),
    }
    for k, (name, _) in enumerate(probe.variants()):
        if name in FLOAT64_ONLY and itemsize != 8:
            continue
        out[LABELS.get(name, name)] = lambda k=k: probe.run_variant(k, *args)
    out["floor-compact read (profiles only)"] = lambda: tier._kernel.floor_block(
        ids, codes, scale, indptr, step_user, item_ptr, item_sequence, 1, True
    )
    loads = 2 * itemsize * entries
    out["stream read of the W loads' bytes, row-sized buffer"] = lambda: probe.stream_read(
        row, loads
    )
    out["stream read of the W loads' bytes, 16 KiB buffer"] = lambda: probe.stream_read(
        l1, loads
    )
    return out


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def spread(values: list[float]) -> dict:
    return {"median": float(np.median(values)), "min": min(values), "max": max(values)}


def paired(times: dict, dtype: str, name: str) -> dict:
    """The contender's time over the scalar tier step's, round by round (median, range)."""
    return spread([a / b for a, b in zip(times[dtype, name], times[dtype, BASELINE],
                                         strict=True)])


def first_touch_share(tier: object, block: tuple, sample: int = 400, seed: int = 0) -> float:
    """The share of the prediction's loads from W that are the block's first to their cache
    line of W: the misses no cache can avoid (the update then finds the line), estimated on
    ``sample``
    items drawn with probability proportional to their entries (so the mean of their
    shares estimates the entry-weighted share)."""
    indptr, ids = tier._layout[0], tier._layout[1].astype(np.int64)
    _, step_user, _, item_ptr, item_sequence = block
    lengths = np.diff(indptr)[step_user]
    per_item = np.add.reduceat(lengths, item_ptr[item_sequence]) if lengths.size else lengths
    if per_item.sum() == 0:
        return 0.0
    rng = np.random.default_rng(seed)
    picks = rng.choice(item_sequence.shape[0], size=sample, p=per_item / per_item.sum())
    per_line = 64 // tier.W.itemsize
    shares = []
    for k in picks:
        item = item_sequence[k]
        users = step_user[item_ptr[item]:item_ptr[item + 1]]
        entries = np.concatenate([ids[indptr[u]:indptr[u + 1]] for u in users])
        shares.append(np.unique(entries // per_line).shape[0] / entries.shape[0])
    return float(np.mean(shares))


def measure_step_bound(
    dataset: str = "synthetic-ml10m", steps: int = 1_000_000, rounds: int = 7,
    dtypes: tuple[str, ...] = ("float64", "float32"), seed: int = 0, lr: float = 1e-6,
    only: tuple[str, ...] = (),
) -> dict:
    """Every contender of each dtype (or those whose name holds one of ``only``, and the
    scalar tier step), ``rounds`` alternating rounds; figures per entry."""
    probe, reason = load_compiled(PROBE_MODULE)
    if reason is not None:
        raise SystemExit(reason)
    if not probe.avx2_supported():
        raise SystemExit("this CPU (or OS) does not run AVX2: the SIMD step cannot be probed")
    urm = load_dataset(dataset).urm
    train, _ = holdout_split(urm, train_share=0.8, seed=seed)
    data = prepare_urm(train)
    before = load_average()
    setups, calls = {}, []
    for dtype in dtypes:
        tier = create(TIERS[dtype], data, threads=1, seed=seed, learning_rate=lr)
        if tier.instruction_set != "avx2" or tier._layout[1].itemsize != 2:
            raise SystemExit(f"{tier.name} does not run its AVX2 step on {dataset} here")
        block = sorted_block(tier, steps)
        entries = int(np.diff(tier._layout[0])[block[1]].sum())
        setups[dtype] = {"tier": tier, "entries": entries, "steps": int(block[0].shape[0]),
                         "items": int(block[4].shape[0]),
                         "first_touch": first_touch_share(tier, block)}
        calls += [
            (dtype, name, call) for name, call in contenders(tier, block, probe).items()
            if not only or name == BASELINE or any(o in name for o in only)
        ]
    wall = {(d, n): [] for d, n, _ in calls}
    cpu = {(d, n): [] for d, n, _ in calls}
    for _, _, call in calls:  # warm-up: W's pages, the caches, the branch predictors
        call()
    for r in range(rounds):
        for dtype, name, call in calls if r % 2 == 0 else calls[::-1]:
            c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
            call()
            w1, c1 = time.perf_counter_ns(), time.thread_time_ns()
            entries = setups[dtype]["entries"]
            wall[dtype, name].append((w1 - w0) / entries)
            cpu[dtype, name].append((c1 - c0) / entries)
    out = {"dataset": dataset, "steps": steps, "rounds": rounds, "threads": 1,
           "load_average": {"before": before, "after": load_average()}, "dtypes": {}}
    for dtype in dtypes:
        rows = {}
        for d, name, _ in calls:
            if d != dtype:
                continue
            rows[name] = {"ns_per_entry": spread(wall[d, name]),
                          "cpu_ns_per_entry": spread(cpu[d, name]),
                          "vs_scalar_step": paired(wall, d, name),
                          "cpu_vs_scalar_step": paired(cpu, d, name),
                          "rounds_ns_per_entry": wall[d, name],
                          "rounds_cpu_ns_per_entry": cpu[d, name]}
        s = setups[dtype]
        out["dtypes"][dtype] = {"tier": TIERS[dtype], "steps": s["steps"],
                                "entries": s["entries"],
                                "entries_per_step": s["entries"] / s["steps"],
                                "items": s["items"],
                                "first_touch_share": s["first_touch"],
                                "row_bytes": s["tier"].W.shape[1] * s["tier"].W.itemsize,
                                "contenders": rows,
                                "bound": bound(rows, dtype) if not only else None}
    return out


def bound(rows: dict, dtype: str) -> dict:
    """What the figures say about issue 24's target for this dtype, by wall clock and by
    the thread's CPU time (medians of the paired ratios to the scalar step).

    The target: the SIMD tier at 1.25x (float64) or 1.5x (float32) cython-interleaved(-f32)
    is a step time of at most 0.8 or 0.667 of the scalar step. No kernel that makes the
    step's loads and stores from W[i] this way (one load an entry in the prediction, a load
    and a store in the update) runs faster than those loads and stores alone (the
    skeleton, the faster of its two builds), whatever its arithmetic. The passes' own
    figures do not add up to a floor: the two lanes overlap one lane's update with the
    other's prediction, so the step costs less than its passes' sum.
    """
    target = {"float64": 1.25, "float32": 1.5}[dtype]
    out: dict = {"target_speedup": target, "target_share_of_scalar_step": 1 / target}
    for clock, key in (("wall", "vs_scalar_step"), ("cpu", "cpu_vs_scalar_step")):

        def share(name: str, key: str = key) -> float:
            return rows[name][key]["median"]

        skeleton = min(share(LABELS["skeleton_scalar"]), share(LABELS["skeleton_avx2"]))
        simd = share("tier step, AVX2")
        out[clock] = {
            "simd_step_share": simd,
            "skeleton_share": skeleton,
            "best_speedup_over_scalar": 1 / skeleton,
            "best_speedup_over_simd": simd / skeleton,
            "prediction_avx2_over_its_loads": share(LABELS["pred_avx2"])
            / min(share(LABELS["pred_loads_scalar"]), share(LABELS["pred_loads_avx2"])),
            "update_avx2_over_its_loads_stores": share(LABELS["update_avx2"])
            / share(LABELS["update_loads_stores"]),
            "add_chain_share": share(LABELS["pred_chain"]),
            "target_out_of_reach": skeleton >= 1 / target,
        }
    return out


def table(result: dict) -> str:
    """The figures as a Markdown table per dtype, and the bound under it."""
    lines = [
        f"{result['dataset']}, {plural(result['steps'], 'step')}, "
        f"{plural(result['rounds'], 'round')}, 1 thread; "
        f"load average before {result['load_average']['before']}, after "
        f"{result['load_average']['after']}",
    ]
    for dtype, d in result["dtypes"].items():
        lines += [
            "",
            f"{dtype} ({d['tier']}): {plural(d['entries'], 'entry', 'entries')}, "
            f"{d['entries_per_step']:.0f} a "
            f"step, {d['steps'] / d['items']:.0f} steps an item; row W[i] "
            f"{d['row_bytes'] / 1000:.0f} KB; {100 * d['first_touch_share']:.1f} % of the "
            "prediction's loads are the block's first to their line of W",
            "",
            "| contender | ns/entry: median (range) | vs scalar step: median (range) | cpu "
            "ns/entry | cpu vs scalar step |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, row in d["contenders"].items():
            w, r = row["ns_per_entry"], row["vs_scalar_step"]
            c, rc = row["cpu_ns_per_entry"], row["cpu_vs_scalar_step"]
            lines.append(
                f"| {name} | {w['median']:.3f} ({w['min']:.3f}-{w['max']:.3f}) | "
                f"{r['median']:.3f} ({r['min']:.3f}-{r['max']:.3f}) | {c['median']:.3f} | "
                f"{rc['median']:.3f} |"
            )
        b = d["bound"]
        if b is None:
            continue
        lines += ["", f"target {b['target_speedup']}x: a step of at most "
                  f"{b['target_share_of_scalar_step']:.3f} of the scalar step"]
        for clock in ("wall", "cpu"):
            c = b[clock]
            lines.append(
                f"- {clock}: the SIMD tier's step {c['simd_step_share']:.3f} "
                f"({1 / c['simd_step_share']:.2f}x); both passes' loads+stores alone "
                f"{c['skeleton_share']:.3f}, so at best {c['best_speedup_over_scalar']:.2f}x "
                f"the scalar step and {c['best_speedup_over_simd']:.2f}x the SIMD step "
                f"({'out of reach' if c['target_out_of_reach'] else 'not excluded'} by the "
                f"loads+stores); prediction {c['prediction_avx2_over_its_loads']:.2f}x its "
                f"loads, update {c['update_avx2_over_its_loads_stores']:.2f}x its "
                f"loads+stores, the add chain alone {c['add_chain_share']:.3f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="synthetic-ml10m",
                        help="dataset spec (default synthetic-ml10m; e.g. "
                             "synthetic-ml10m:scale=0.1 for a quick run)")
    parser.add_argument("--steps", type=int, default=1_000_000,
                        help="steps in the block every contender runs (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds (default 7)")
    parser.add_argument("--dtype", choices=["both", "float64", "float32"], default="both")
    parser.add_argument("--only", nargs="+", default=(), metavar="TEXT",
                        help="time only the contenders whose name holds one of TEXT (and "
                             "the scalar tier step); no bound is derived")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    args = parser.parse_args()
    dtypes = ("float64", "float32") if args.dtype == "both" else (args.dtype,)
    result = measure_step_bound(args.dataset, args.steps, args.rounds, dtypes,
                                only=tuple(args.only))
    print(table(result))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
