"""Helpers of the hostile-input suite (tests/test_hostile_*.py).

Every hostile case must end with a non-zero exit, exactly one line saying what went wrong,
and no traceback. In-process cases call the CLI's ``main``; cases that could crash the
interpreter (a segfault in a kernel, libgomp aborting) run in a subprocess, so that a crash
fails that case instead of killing pytest.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass

from slimbench.cli import main


@dataclass
class Outcome:
    """What one command did: exit code and its two streams."""

    code: int
    out: str
    err: str


def cli(argv: list[str], capsys) -> Outcome:
    """Run ``slimbench ARGV`` in this process (argparse's exits are caught)."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Outcome(int(code), captured.out, captured.err)


def python(code: str, *args: str, timeout: float = 120) -> Outcome:
    """Run ``code`` in a fresh interpreter; a signal shows as a negative exit code."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def assert_refused(outcome: Outcome, pattern: str, code: int = 2) -> None:
    """Exit ``code``; one error line, matching ``pattern``; no traceback anywhere."""
    text = outcome.out + outcome.err
    assert "Traceback" not in text, text
    assert outcome.code == code, (outcome.code, text)
    errors = [line for line in outcome.err.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, outcome.err
    assert re.search(pattern, errors[0]), errors[0]


#: the last statement of a subprocess case: SlimBenchError as one line and exit 2, as the CLI
API_DRIVER = """
import sys
from slimbench.impls import SlimBenchError
try:
{body}
except SlimBenchError as exc:
    print(f"error: {{exc}}", file=sys.stderr)
    sys.exit(2)
"""


def api_case(body: str) -> str:
    """``body`` (statements) wrapped so a SlimBenchError prints one line and exits 2."""
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return API_DRIVER.format(body=indented)
