"""Batch leaves as DLPack producers, and the C ABI used from C with chorus.h alone."""
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import chorus
from conftest import ROOT

HERE = Path(__file__).resolve().parent


def test_np_from_dlpack_takes_a_leaf_without_copying():
    server = chorus.Server({"obs": np.zeros((4,), np.float32)}, batch_size=8)
    for i in range(8):
        server.submit({"obs": np.full(4, i, np.float32)})
    obs = server.sample().batch["obs"]
    assert obs.__dlpack_device__() == (1, 0)  # kDLCPU
    imported = np.from_dlpack(obs)
    assert imported.__array_interface__["data"][0] == obs.__array_interface__["data"][0]
    np.testing.assert_array_equal(imported[:, 0], np.arange(8))


def test_a_c_program_on_chorus_h_serves_and_sends():
    compiler = shutil.which("clang") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler on the PATH")
    library = Path(os.environ["CHORUS_LIBRARY"])
    binary = Path(os.environ.get("TMPDIR", "/tmp")) / f"chorus-abi-roundtrip-{os.getpid()}"
    subprocess.run(
        [compiler, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", ROOT / "Sources/CChorus/include",
         HERE / "c/abi_roundtrip.c", "-L", library.parent, "-lChorusC", f"-Wl,-rpath,{library.parent}", "-o", binary],
        check=True,
    )
    try:
        result = subprocess.run([binary], capture_output=True, text=True, timeout=60)
    finally:
        binary.unlink()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
