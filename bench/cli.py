"""The ``slimbench`` command: assembles one subcommand per module of :mod:`.commands`."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

from . import __version__
from .commands import COMMANDS
from .impls import SlimBenchError
from .os_errors import WatchedStdout, describe, flush_failed, silence_stdout, watched_stdout
from .safe_text import printable


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="slimbench",
        description="Benchmark implementations of one SLIM MSE SGD epoch: check, then time.",
    )
    parser.add_argument("--version", action="version", version=f"slimbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``slimbench`` console script; returns the exit code."""
    with watched_stdout() as stdout:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit:  # --help, --version, a usage error: printed, maybe to /dev/full
            if flush_failed(stdout):
                _say("slimbench: error: cannot write to standard output; redirect it elsewhere.")
                return 2
            raise
        code = _dispatch(args, stdout)
        if flush_failed(stdout):  # `> /dev/full`: what the command printed never arrived
            if code != 2:  # else the command's own error line has said it
                _error(args.command, "cannot write to standard output; redirect it elsewhere.")
            return 2
        return code


def _dispatch(args: argparse.Namespace, stdout: WatchedStdout) -> int:
    """Run the command; every error a user can cause becomes one line and exit code 2."""
    try:
        return int(args.func(args))
    except SlimBenchError as exc:
        _error(args.command, str(exc))
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (slimbench.interrupts)
        _say(f"slimbench {args.command}: interrupted")
        return 128 + getattr(exc, "signum", signal.SIGINT)
    except BrokenPipeError:  # `slimbench tiers | head`: the reader left, nothing is wrong
        silence_stdout()
        return 0
    except OSError as exc:  # every command's disk, path and stdout errors enter here
        if exc is stdout.error:
            why = exc.strerror or type(exc).__name__
            _error(args.command, f"cannot write to standard output ({why}); redirect it elsewhere.")
        else:
            _error(args.command, describe(exc, getattr(args, "out", None)))
        return 2


def _error(command: str, message: str) -> None:
    """The one error line of a failed command (control characters shown escaped)."""
    _say(f"slimbench {command}: error: {printable(message)}")


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):
        pass  # stderr itself is gone: the exit code still says it


if __name__ == "__main__":
    sys.exit(main())
