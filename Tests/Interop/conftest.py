"""Shared helpers for the interop tests: the `chorus` binary built by `make test`, and a
`chorus serve` process with its listening ports."""
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def chorus() -> Path:
    path = Path(os.environ.get("CHORUS", ROOT / ".build" / "debug" / "chorus"))
    assert path.exists(), f"{path} is missing: run `make test`, which builds it"
    return path


def run(*args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)


class Process:
    """A child process whose stdout lines are collected by a thread; stopped by its PID."""

    def __init__(self, *args: object):
        self.popen = subprocess.Popen([str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._new_line = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.popen.stdout:
            with self._new_line:
                self.lines.append(line.rstrip("\n"))
                self._new_line.notify_all()

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match:
        """The first output line matching `pattern`, waiting at most `timeout` seconds."""
        regex = re.compile(pattern)
        with self._new_line:
            found = self._new_line.wait_for(
                lambda: any(regex.search(l) for l in self.lines) or self.popen.poll() is not None, timeout)
            for line in self.lines:
                if match := regex.search(line):
                    return match
        raise AssertionError(f"no line matching {pattern!r} within {timeout}s; output so far: {self.lines}, "
                             f"stderr: {self.stderr() if self.popen.poll() is not None else '(running)'}")

    def stderr(self) -> str:
        return self.popen.stderr.read() if self.popen.stderr else ""

    def finish(self, timeout: float = 60) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        finally:
            self.stop()

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


@pytest.fixture
def processes():
    """Processes a test starts; each is stopped (by PID) when the test ends."""
    started: list[Process] = []

    def start(*args: object) -> Process:
        process = Process(*args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def python() -> str:
    return sys.executable
