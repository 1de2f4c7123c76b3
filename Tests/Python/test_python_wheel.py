"""The wheel `make wheel` builds installs into a fresh venv and runs the quick start with nothing
of the Swift toolchain on the loader path: its library resolves inside the wheel or to the
system's own libraries."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    folder = os.environ.get("CHORUS_WHEEL_DIR")
    if not folder:
        pytest.skip("CHORUS_WHEEL_DIR is not set: `make test` builds the wheel there and sets it")
    wheels = sorted(Path(folder).glob("chorus_rl-*.whl"))
    assert wheels, f"no wheel in {folder}: `make wheel` failed (its output is in wheel.log next to it)"
    wheel = wheels[-1]
    venv = tmp_path_factory.mktemp("wheel-venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", wheel], check=True,
                   timeout=300)
    return venv


def bare_environment() -> dict:
    """No LD_LIBRARY_PATH, no CHORUS_LIBRARY, no toolchain on PATH."""
    return {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}


def test_the_library_resolves_only_inside_the_wheel_or_the_system(installed):
    library = next(installed.glob("lib/python3*/site-packages/chorus/_lib/libChorusC.so"))
    ldd = subprocess.run(["ldd", library], capture_output=True, text=True, env=bare_environment(), check=True).stdout
    resolved = re.findall(r"=> (\S+)", ldd)
    assert "not found" not in ldd, ldd
    assert any("chorus_rl.libs" in path for path in resolved), ldd
    outside = [p for p in resolved if "chorus_rl.libs" not in p and not re.match(r"/(usr/)?lib(64)?/", p)]
    assert outside == [], f"libraries from outside the wheel and the system: {outside}"


def test_the_quick_start_runs_from_the_installed_wheel(installed, tmp_path):
    result = subprocess.run(
        [installed / "bin" / "python", ROOT / "Python" / "examples" / "quickstart.py"],
        capture_output=True, text=True, env=bare_environment(), cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "992 samples in 31 batches" in result.stdout
    location = subprocess.run(
        [installed / "bin" / "python", "-c", "import chorus, importlib.metadata as m; "
         "print(chorus.__file__, chorus.__version__ == m.version('chorus-rl'))"],
        capture_output=True, text=True, env=bare_environment(), cwd=tmp_path, check=True,
    ).stdout.split()
    assert Path(location[0]).is_relative_to(installed) and location[1] == "True"
