"""The output folder of a run: claimed by one run at a time, never overwritten by surprise.

A run holds ``.slimbench.lock`` (its pid) for its whole life. A second run aimed at the
same folder is refused while the owner lives; a lock left by a dead process (SIGKILL, a
power cut) is stale and taken over. A folder that already holds a ``results.json`` is
only written into with ``force``, so a finished run's figures are never lost by a typo.

The lock also keeps room on the disk for the run's last word: ``.slimbench.reserve``, a
file of :data:`RESERVE_BYTES` allocated when the folder is claimed. Results are written
through a temporary file and a rename, which needs free space; a disk that fills during the
run would otherwise leave results.json "running" for ever. Before the final status is
written the reserve is deleted (:meth:`OutputLock.release_reserve`), which frees the room.
A disk too full for the reserve refuses the run before it starts.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path

from ..impls import InvalidInputError

LOCK_NAME = ".slimbench.lock"
#: the empty file that proves a folder writable before any work starts
PROBE_NAME = ".write-probe"
RESERVE_NAME = ".slimbench.reserve"
#: room kept for the final results.json and results.csv (a run of 17 tiers x 50 rounds
#: writes about 0.5 MB of them: eight times that)
RESERVE_BYTES = 4 << 20


def _windows_pid_alive(pid: int) -> bool:
    """Windows' answer: ``os.kill(pid, 0)`` there would terminate the process, not probe it."""
    import ctypes  # imported where used: only Windows takes this path

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return kernel32.GetLastError() == 5  # ERROR_ACCESS_DENIED: it exists, not ours
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # cannot tell: keep the lock rather than take a live run's folder
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def pid_alive(pid: int) -> bool:
    """True where a process ``pid`` exists (it may belong to another user)."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def lock_owner(folder: Path) -> int | None:
    """The pid of the live run holding ``folder``, or None (no lock, or a stale one)."""
    try:
        text = (folder / LOCK_NAME).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    pid = int(text) if text.isdigit() else 0
    return pid if pid != os.getpid() and pid_alive(pid) else None


class OutputLock:
    """The claim of one run on its output folder; :meth:`release` gives it back."""

    def __init__(
        self,
        folder: Path,
        *,
        force: bool = False,
        results_name: str = "results.json",
        reserve_bytes: int = RESERVE_BYTES,
    ) -> None:
        self.folder = folder
        self.results_name = results_name
        self.path = folder / LOCK_NAME
        self.reserve = folder / RESERVE_NAME
        self.stale_pid: int | None = None
        self._acquire(force)
        if reserve_bytes:
            self._reserve(reserve_bytes)

    def _reserve(self, size: int) -> None:
        """Allocate the room for the final status, or refuse to start (lock given back)."""
        try:
            fd = os.open(self.reserve, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                if hasattr(os, "posix_fallocate"):
                    os.posix_fallocate(fd, 0, size)  # real blocks, not a sparse file
                else:
                    os.write(fd, bytes(size))
            finally:
                os.close(fd)
        except OSError as exc:
            self.release()
            raise InvalidInputError(
                f"the output folder {str(self.folder)!r} has no room for the {size:,} bytes "
                f"kept for the final results ({exc.strerror or exc}); free some space or "
                "choose another --out."
            ) from None

    def release_reserve(self) -> None:
        """Free the room kept for the final status: call it just before writing that."""
        try:
            self.reserve.unlink(missing_ok=True)
        except OSError:
            pass

    def _acquire(self, force: bool) -> None:
        where = str(self.folder)
        for _ in range(2):  # a second try after removing a stale lock
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                owner = lock_owner(self.folder)
                if owner is not None:
                    raise InvalidInputError(
                        f"the output folder {where!r} is in use by another slimbench run "
                        f"(pid {owner}); wait for it or choose another --out."
                    ) from None
                self.stale_pid = self._stale_pid()
                self.path.unlink(missing_ok=True)
                continue
            except OSError as exc:
                raise InvalidInputError(
                    f"cannot lock the output folder {where!r} ({exc.strerror or exc}); "
                    "choose another with --out."
                ) from None
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"{os.getpid()}\n")
            break
        else:
            raise InvalidInputError(f"could not lock the output folder {where!r}; try again.")
        if (self.folder / self.results_name).exists() and not force:
            self.release()
            raise InvalidInputError(
                f"the output folder {where!r} already holds a run's {self.results_name}; "
                "pass --force to overwrite it, or choose another --out."
            )

    def _stale_pid(self) -> int | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(text) if text.isdigit() else None

    def release(self) -> None:
        """Remove the lock (and the reserve) if it is still this process's."""
        self.release_reserve()
        try:
            if self.path.read_text(encoding="utf-8").strip() == str(os.getpid()):
                self.path.unlink()
        except OSError:
            pass  # the lock or its folder is gone: nothing to give back


def run_abandoned(folder: Path) -> bool:
    """True where no live run holds ``folder`` (its results cannot be 'running' any more)."""
    return lock_owner(folder) is None


def default_out_dir(root: Path = Path("reports")) -> Path:
    """A new folder under ``reports/`` named by the local date and time."""
    return root / datetime.now().strftime("%Y%m%d-%H%M%S")


def prepare_out_dir(path: Path) -> Path:
    """Create ``path`` and prove it writable, before any measuring starts."""
    probe = path / PROBE_NAME
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        with contextlib.suppress(OSError):  # a full disk creates the file, then fails to fill it
            probe.unlink()
        raise InvalidInputError(
            f"cannot write to the output directory {str(path)!r} ({exc.strerror or exc}); "
            "choose another with --out."
        ) from None
    return path
