"""Shared fixtures for the interop tests: the `chorus` binary built by `make test`."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def chorus() -> Path:
    path = Path(os.environ.get("CHORUS", ROOT / ".build" / "debug" / "chorus"))
    assert path.exists(), f"{path} is missing: run `make test`, which builds it"
    return path


def run(*args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)
