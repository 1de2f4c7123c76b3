"""Shared helpers for the interop tests: the `chorus` binary built by `make test`, child
processes stopped when each test ends, and the state digest of the undisturbed ES run."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from child_process import Child
from mujoco_install import installed_mujoco
from swift_es_runs import undisturbed_digest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def chorus() -> Path:
    path = Path(os.environ.get("CHORUS", ROOT / ".build" / "debug" / "chorus")).resolve()
    assert path.exists(), f"{path} is missing: run `make test`, which builds it"
    return path


def run(*args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def processes():
    """Processes a test starts; each is stopped (by PID) when the test ends."""
    started: list[Child] = []

    def start(*args: object, cwd=None) -> Child:
        process = Child(args, cwd=cwd)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def python() -> str:
    return sys.executable


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for servers that cannot pick their own)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def undisturbed(chorus) -> str:
    """The digest two undisturbed Swift workers end the standard ES run with (swift_es_runs),
    the state every disturbed run of it must end in."""
    return undisturbed_digest(chorus, free_port())



@pytest.fixture(scope="session")
def mujoco_paths() -> dict[str, str]:
    """CHORUS_MUJOCO_LIBRARY and CHORUS_MUJOCO_MODELS for the MuJoCo and Gymnasium in this venv."""
    return installed_mujoco()
