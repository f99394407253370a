"""The Tier contract (impls/base.py) declares every hook the harness uses.

The harness reads a tier's hooks as plain attributes and asks its worker for them by name;
a name the contract does not declare is an error, never a silent None.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

from slimbench.impls import ReplayTier, Tier, create
from slimbench.impls.base import (
    CALLED_HOOKS,
    FLOOR_HOOKS,
    REPORTED_ATTRIBUTES,
    SETTABLE_ATTRIBUTES,
    ContractError,
)
from slimbench.measure.tier_worker import Worker, describe

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


def declared(name: str, classes: tuple[type, ...] = (Tier, ReplayTier)) -> bool:
    """True where one of ``classes`` has ``name`` or annotates it (set by the constructor)."""
    return any(hasattr(c, name) or name in inspect.get_annotations(c) for c in classes)


def test_every_name_the_worker_speaks_is_declared_on_tier():
    for name in (*REPORTED_ATTRIBUTES, *SETTABLE_ATTRIBUTES, *CALLED_HOOKS, *FLOOR_HOOKS):
        assert declared(name, (Tier,)), name
    for name in CALLED_HOOKS:
        assert callable(getattr(Tier, name)), name


def test_every_class_attribute_a_worker_describes_is_declared():
    from slimbench.impls import get_tier

    for name in ("python-naive", "cython-rand", "floor"):
        for key in describe(get_tier(name)):
            if key not in ("unavailable_reason", "parameters"):
                assert declared(key), key


def _bench_files() -> list[Path]:
    return sorted(BENCH.rglob("*.py"))


def _string_hooks() -> list[tuple[str, str, str]]:
    """(method, hook name, where) for each ``tier.report/configure/call_hook("name", ...)``
    in bench/."""
    found = []
    for path in _bench_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("report", "configure", "call_hook")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("tier", "live")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            found.append((node.func.attr, node.args[0].value, f"{path.name}:{node.lineno}"))
    return found


def test_every_hook_the_harness_asks_a_worker_for_is_declared():
    hooks = _string_hooks()
    assert {m for m, _, _ in hooks} == {"report", "configure", "call_hook"}  # the scan sees them
    allowed = {
        "report": REPORTED_ATTRIBUTES,
        "configure": SETTABLE_ATTRIBUTES,
        "call_hook": CALLED_HOOKS,
    }
    wrong = [f"{where}: {m}({name!r})" for m, name, where in hooks if name not in allowed[m]]
    assert not wrong, wrong


#: the contract's class attributes as the harness reads them from a tier class: ``cls.x``,
#: ``tier.cls.x``, ``get_tier(...).x``
#: what a stand-in reads of itself (outside_tiers.OutsideTier.described), not of the tier
OWN = {"described"}
_CLASS_READ = re.compile(r"\b(?:cls|\.cls|get_tier\([^()]*\))\.([a-z_][a-z0-9_]*)\b")


def test_every_class_hook_the_harness_reads_is_declared_on_tier():
    undeclared = []
    for path in _bench_files():
        text = path.read_text()
        if "get_tier" not in text and "Tier" not in text:
            continue  # no tier class in this module
        for lineno, line in enumerate(text.splitlines(), 1):
            for name in _CLASS_READ.findall(line):
                if not declared(name) and name not in OWN:
                    undeclared.append(f"{path.relative_to(ROOT)}:{lineno}: .{name}")
    assert not undeclared, undeclared


def test_no_tier_hook_is_probed_in_the_harness():
    probing = re.compile(r"(getattr|hasattr)\(.*tier")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _bench_files()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if probing.search(line)
    ]
    assert not found, found


# -- the worker refuses an undeclared name ---------------------------------------------------


def test_an_unknown_message_is_the_protocols_error_not_the_tiers(worker):
    from slimbench.measure.tier_worker import serve

    class Pipe:  # the parent's end: one unknown message, then gone
        def __init__(self):
            self.inbox, self.sent = [("frobnicate", ()), ("report", ("steps_done",))], []

        def recv(self):
            if not self.inbox:
                raise EOFError
            return self.inbox.pop(0)

        def send(self, message):
            self.sent.append(message)

    pipe = Pipe()
    serve(pipe, worker)
    (kind, payload), answer = pipe.sent
    assert kind == "error" and payload["project_error"]
    assert "no operation 'frobnicate'" in payload["message"], payload
    assert answer[0] == "ok"  # the worker goes on answering


@pytest.fixture
def worker(check_urm) -> Worker:
    w = Worker()
    w.tier = create("python-naive", check_urm, seed=0, learning_rate=1e-3)
    w.cls = type(w.tier)
    return w


@pytest.fixture
def check_urm():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    dense = (rng.random((12, 9)) < 0.4) * rng.integers(1, 6, (12, 9))
    dense[:, 0] = 1  # every item rated
    return sp.csr_matrix(dense.astype(np.float64))


@pytest.mark.parametrize(
    "op, name, kind",
    [
        ("report", "stpes_done", "reported"),
        ("report", "similarity", "reported"),
        ("configure", "watch_sample", "settable"),
        ("configure", "learning_rate", "settable"),
        ("call_hook", "modified_input", "called"),
        ("call_hook", "close", "called"),
    ],
)
def test_the_worker_refuses_an_undeclared_name_in_one_clear_line(worker, op, name, kind):
    args = (name, True) if op == "configure" else (name,)
    with pytest.raises(ContractError) as info:
        getattr(worker, f"op_{op}")(*args)
    message = str(info.value)
    assert f"{name!r} is not a {kind} hook of the Tier contract" in message
    assert "impls/base.py" in message and "\n" not in message


def test_the_worker_hands_out_declared_hooks_with_their_defaults(worker):
    worker.tier.run(5)
    assert worker.op_report("steps_done") == 5
    assert worker.op_report("last_returned_loss") is None  # declared: no user loop here
    assert worker.op_report("entries_read") is None  # no floor
    assert worker.op_call_hook("modified_inputs") == []
    assert worker.op_call_hook("worker_memory") is None
    worker.op_configure("watch_samples", True)
    assert worker.tier.watch_samples is True


def test_the_parent_refuses_an_undeclared_name_before_asking_the_worker():
    from slimbench.measure.tier_process import RemoteTier

    remote = RemoteTier.__new__(RemoteTier)  # no worker: the name is refused first
    with pytest.raises(ContractError, match="'entries_red' is not a reported hook"):
        remote.report("entries_red")
    with pytest.raises(ContractError, match="'worker_memroy' is not a called hook"):
        remote.call_hook("worker_memroy")
    with pytest.raises(ContractError, match="'watch' is not a settable hook"):
        remote.configure("watch", True)


# -- one class check, at registration --------------------------------------------------------


@pytest.mark.parametrize("name", ["cython-rand", "floor", "python-naive"])
def test_a_stand_in_passes_the_registrys_class_check_for_every_exactness(name):
    from slimbench.impls import get_tier, registered
    from slimbench.measure.outside_tiers import stand_in

    described = {**describe(get_tier(name)), "name": f"outside-{name}"}
    with registered(stand_in(described)) as cls:
        assert cls.exactness == get_tier(name).exactness
        assert cls.dtype is get_tier(name).dtype


def test_register_refuses_what_the_plugins_refuse():
    from slimbench.impls import register
    from slimbench.impls.errors import TierClassError
    from slimbench.impls.python_indptr import PythonIndptr

    unusable = type("Unusable", (PythonIndptr,), {"name": "un-usable", "exactness": "replay"})
    with pytest.raises(TierClassError, match="needs a subclass of slimbench.impls.ReplayTier"):
        register(unusable)


# -- the audit subject, built in one place ---------------------------------------------------


@pytest.mark.parametrize("name", ["python-naive", "floor", "cython-rand"])
def test_subject_for_takes_what_the_audit_needs_of_a_live_tier(name, check_urm):
    from slimbench.impls import get_tier
    from slimbench.measure.timed_audit import subject_for

    cls = get_tier(name)
    tier = create(name, check_urm, seed=0, learning_rate=1e-3)
    tier.run(7)
    items = np.array([0, 2])
    subject = subject_for(name, cls, tier, [3, 4], items)
    assert (subject.exactness, subject.steps) == (cls.exactness, 7)
    if cls.exactness == "floor":
        assert subject.columns is None and subject.checksums[2] == tier.entries_read
    else:
        assert np.array_equal(subject.columns, tier.similarity()[:, items])
        assert subject.stream == ("libc-rand" if name == "cython-rand" else "pcg64")
