"""A short ES run on MuJoCo through the coordinator with 2 `chorus worker --env mujoco:…`
processes (the long run is `make train-mujoco`): both workers end in the same state, agree on
every centre-policy episode (the observation statistics change alike on both), simulate exactly
the steps the run needs, and report the final policy's evaluation."""
import math
import re

import pytest

from child_process import Child
from conftest import free_port

POPULATION, EPOCHS = 8, 3
FINAL = r"^worker: final policy: mean return (-?[\d.]+) over 2 evaluation episodes \((\d+) steps\)"


@pytest.mark.parametrize("task, training", [
    ("HalfCheetah-v5", ["--strategy", "openai", "--hidden", ""]),
    ("Hopper-v5", ["--strategy", "eggroll", "--hidden", "8"]),
])
def test_a_short_run_trains_alike_on_both_workers(chorus, mujoco_paths, task, training, tmp_path):
    port = free_port()
    coordinator = Child([chorus, "coordinator", "--population", POPULATION, "--max-epochs", EPOCHS, "--port", port])
    workers = []
    try:
        coordinator.wait_for(r"coordinator: listening on", timeout=30)
        workers = [Child([chorus, "worker", "--env", f"mujoco:{task}", "--port", port, "--cores", 2, *training,
                          "--sigma", 0.03, "--learning-rate", 0.02, "--evaluation-episodes", 2,
                          "--mujoco-library", mujoco_paths["CHORUS_MUJOCO_LIBRARY"],
                          "--mujoco-models", mujoco_paths["CHORUS_MUJOCO_MODELS"]], cwd=tmp_path) for _ in range(2)]
        assert coordinator.finish(timeout=300) == 0, coordinator.output()
        for worker in workers:
            assert worker.finish(timeout=120) == 0, worker.output()
        outputs = [worker.output() for worker in workers]
        assert not (tmp_path / "MUJOCO_LOG.TXT").exists(), "MuJoCo's warnings go to standard error"
        digests = {re.search(r"final state digest (\w+) \(3 updates\)", output).group(1) for output in outputs}
        assert len(digests) == 1, outputs
        centres = [re.findall(r"^worker: epoch (\d+): centre return (\S+), (\d+) steps", output, re.M) for output in outputs]
        assert len(centres[0]) == EPOCHS and centres[0] == centres[1]
        finals = [re.search(FINAL, output, re.M) for output in outputs]
        assert all(finals) and finals[0].groups() == finals[1].groups(), outputs
        assert math.isfinite(float(finals[0].group(1)))
        evaluated = sum(int(steps) for output in outputs
                        for _, steps in re.findall(r"^worker: epoch \d+: evaluated (\d+) members, (\d+) steps",
                                                         output, re.M))
        members = sum(int(n) for output in outputs for n in re.findall(r"evaluated (\d+) members", output))
        assert members >= POPULATION * EPOCHS  # a slice may run twice if it was re-issued
        if task == "HalfCheetah-v5":
            assert evaluated == members * 1000, "every HalfCheetah episode lasts 1,000 steps"
            assert int(finals[0].group(2)) == 2000
        else:
            assert 0 < evaluated < members * 1000
    finally:
        for child in [coordinator, *workers]:
            child.stop()


def test_a_worker_without_mujoco_says_what_to_set(chorus, tmp_path):
    port = free_port()
    worker = Child([chorus, "worker", "--env", "mujoco:Hopper-v5", "--port", port],
                   env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert worker.finish(timeout=30) != 0
    assert "pass --mujoco-library or set CHORUS_MUJOCO_LIBRARY" in worker.output()


def test_an_unknown_task_is_refused_with_the_choices(chorus):
    worker = Child([chorus, "worker", "--env", "mujoco:Walker-v9"])
    assert worker.finish(timeout=30) != 0
    assert "mujoco:HalfCheetah-v5" in worker.output() and "mujoco:Hopper-v5" in worker.output()
