"""A child process for tests and benchmarks: its output lines are collected (with their arrival
times) by threads, so it can never block on a full pipe; it is stopped by its PID."""
import os
import re
import subprocess
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


class Child:
    def __init__(self, args, cwd=None, env=None):
        self.popen = subprocess.Popen([str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      cwd=cwd, env=env)
        self.lines: list[tuple[float, str]] = []
        self.errors: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(self.popen.stdout, True), daemon=True).start()
        threading.Thread(target=self._read, args=(self.popen.stderr, False), daemon=True).start()

    def _read(self, stream, is_stdout: bool):
        for line in stream:
            with self._changed:
                if is_stdout:
                    self.lines.append((time.monotonic(), line.rstrip("\n")))
                else:
                    self.errors.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 60, logs: bool = False) -> re.Match:
        """The first line matching `pattern` on standard output (on standard error, where log
        lines go, when `logs`), waiting at most `timeout` seconds."""
        regex = re.compile(pattern)

        def match():
            lines = self.errors if logs else [line for _, line in self.lines]
            return next((m for line in lines if (m := regex.search(line))), None)

        with self._changed:
            self._changed.wait_for(lambda: match() is not None or self.popen.poll() is not None, timeout)
            if found := match():
                return found
        raise AssertionError(f"{self.popen.args[:3]} printed no line matching {pattern!r} within {timeout}s; "
                             f"output: {[l for _, l in self.lines][-5:]}, errors: {self.errors[-5:]}")

    def output(self) -> str:
        """Everything printed so far: standard output, then standard error."""
        with self._changed:
            return "\n".join([line for _, line in self.lines] + self.errors)

    def stderr(self) -> str:
        with self._changed:
            return "\n".join(self.errors)

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def finish(self, timeout: float = 60) -> int:
        """Waits for the process to exit by itself (stopping it after `timeout`); its exit status."""
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
