"""Child processes of the test harnesses: Celery workers and beat, private database servers.

Each runs in its own process group (so stopping it reaches its children too: a worker's
pool, PostgreSQL's backends) and writes its output to a log file that a failing test can
show. `poll` is the one way the harnesses wait: on an effect, with a deadline, never a
bare sleep.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def poll(predicate: Callable[[], object], *, timeout: float, interval: float = 0.05):
    """Call `predicate` until it returns something truthy (returned) or `timeout` passes
    (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class LoggedProcess:
    """One command in its own process group, its output in `log_path`."""

    def __init__(self, *, log_path: Path) -> None:
        self.log_path = log_path
        self.popen: subprocess.Popen[bytes] | None = None

    def spawn(self, argv: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.popen is not None, "not started"
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def terminate(self, signum: int, *, timeout: float) -> None:
        """Ask it to stop with `signum`; SIGKILL the whole group if it has not within
        `timeout`."""
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.popen.send_signal(signum)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            self.popen.wait(timeout=timeout)

    def kill_group(self) -> None:
        """SIGKILL the process and every child in its group at once."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
