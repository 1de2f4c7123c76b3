"""chorus.ray on a real two-node Ray cluster on 127.0.0.1 (`ray start --head` and a second
`ray start --address …` with its own resources, started and stopped here by PID): a rollout fleet
across both nodes feeding a Python learner, an actor killed mid-send, and `chorus worker`
processes hosted by Ray actors, one killed mid-epoch, ending in the undisturbed run's state."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import pytest

from child_process import Child
from conftest import HERE, ROOT, free_port
from swift_es_runs import DIGEST, coordinator

ray = pytest.importorskip("ray", reason="Ray is not installed (make venv installs it)")
os.environ.setdefault("CHORUS_LIBRARY", str(ROOT / ".build" / "debug" / "libChorusC.so"))
sys.path.insert(0, str(ROOT / "Python" / "src"))
import chorus as pychorus  # noqa: E402  (`chorus` is the fixture with the Swift binary)
from chorus.ray import RolloutFleet, WorkerProcesses  # noqa: E402
from ray_rollouts import EXAMPLE, STEPS, numbered_steps  # noqa: E402

WORKERS = 8


@pytest.fixture(scope="module")
def cluster():
    """A head node and a second node (4 CPUs each, the second with resource "second"), their
    workers able to import chorus and this folder's helpers; this process is the driver."""
    # Token authentication off: the cluster listens on 127.0.0.1 only.
    os.environ["RAY_AUTH_MODE"] = "disabled"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "Python" / "src"), str(HERE)]),
           "RAY_USAGE_STATS_ENABLED": "0"}
    port = free_port()
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", 4, "--object-store-memory", 100_000_000,
              "--disable-usage-stats", "--block"]
    ray_cli = os.path.join(os.path.dirname(sys.executable), "ray")
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    nodes = [Child([ray_cli, "start", "--head", "--port", port, "--temp-dir", temp, "--include-dashboard", "false",
                    "--dashboard-agent-listen-port", free_port(),
                    "--runtime-env-agent-port", free_port(), "--metrics-export-port", free_port(), *common], env=env)]
    try:
        nodes[0].wait_for(r"block forever", timeout=90)
        nodes.append(Child([ray_cli, "start", "--address", f"127.0.0.1:{port}", "--resources", '{"second": 4}',
                            "--dashboard-agent-listen-port", free_port(), "--runtime-env-agent-port", free_port(),
                            "--metrics-export-port", free_port(), *common], env=env))
        nodes[1].wait_for(r"block forever", timeout=90)
        ray.init(address=f"127.0.0.1:{port}", logging_level="warning")
        deadline = time.monotonic() + 60
        while len([n for n in ray.nodes() if n["Alive"]]) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2, "the second node did not join"
        yield
    finally:
        # Bounded: a driver whose cluster misbehaves must not hang the suite.
        closing = threading.Thread(target=ray.shutdown, daemon=True)
        closing.start()
        closing.join(timeout=30)
        for node in reversed(nodes):
            node.stop()
        shutil.rmtree(temp, ignore_errors=True)


def drain(server, total: int, timeout: float = 120) -> np.ndarray:
    """(worker, step) of every sample the learner receives, until `total` arrived."""
    seen = []
    deadline = time.monotonic() + timeout
    while sum(len(batch) for batch in seen) < total and time.monotonic() < deadline:
        sample = server.sample(timeout=1)
        if sample is not None:
            seen.append(np.stack([sample.batch["worker"], sample.batch["step"]], axis=1).copy())
    return np.concatenate(seen) if seen else np.zeros((0, 2), np.int64)


def assert_each_once(received: np.ndarray):
    expected = {(w, s) for w in range(WORKERS) for s in range(STEPS)}
    pairs = [tuple(row) for row in received.tolist()]
    assert len(pairs) == len(set(pairs)), "a sample arrived twice"
    assert set(pairs) == expected, f"{len(expected - set(pairs))} samples missing"


def learner():
    server = pychorus.Server(EXAMPLE, batch_size=50, transport=pychorus.ChorusTransport(port=0, secret=b"fleet"))
    server.start()
    return server


def test_a_fleet_across_both_nodes_delivers_every_sample_once(cluster):
    with learner() as server, RolloutFleet(numbered_steps, "127.0.0.1", server.port, EXAMPLE, WORKERS,
                                                      secret=b"fleet", actor_options={"num_cpus": 1}) as fleet:
        received = drain(server, WORKERS * STEPS)
        results = fleet.wait(timeout=60)
    assert_each_once(received)
    assert [r.delivered for r in results] == [STEPS] * WORKERS
    assert len({r.node_id for r in results}) == 2, "8 actors of 1 CPU need both 4-CPU nodes"


def test_an_actor_killed_mid_send_loses_and_repeats_nothing(cluster):
    with learner() as server, RolloutFleet(numbered_steps, "127.0.0.1", server.port, EXAMPLE, WORKERS,
                                                      secret=b"fleet", actor_options={"num_cpus": 1}) as fleet:
        # About an eighth of the stream, and on until actor 3 is mid-send: some of its samples are
        # in (so its session has a place to go on from), not all (it cannot finish before the
        # learner has taken them: it waits for their acks). Ray may start it after the others.
        seen = drain(server, STEPS)
        while not (seen[:, 0] == 3).any() and len(seen) < WORKERS * STEPS:
            seen = np.concatenate([seen, drain(server, 100)])
        assert 0 < (seen[:, 0] == 3).sum() < STEPS
        ray.kill(fleet.actors[3], no_restart=False)  # Ray restarts it, and its task runs again
        received = np.concatenate([seen, drain(server, WORKERS * STEPS - len(seen))])
        results = fleet.wait(timeout=60)
    assert_each_once(received)
    assert results[3].start > 0, "the restarted actor continued its session"
    assert [r.delivered for r in results] == [STEPS] * WORKERS


def test_es_workers_hosted_by_ray_one_killed_mid_epoch_end_in_the_undisturbed_state(cluster, chorus, processes,
                                                                                      undisturbed):
    port = free_port()
    server = coordinator(processes, chorus, port, "--heartbeat-timeout", 1.5, "--task-timeout", 4, "--reissue-after", 3)
    # Every evaluating phase of each worker takes 0.5 s, so the kill lands mid-epoch.
    with WorkerProcesses([chorus, "worker", "--port", port, "--cores", 4, "--evaluate-delay", 0.5], 3,
                                    actor_options={"num_cpus": 1}) as workers:
        server.wait_for(r"joined with 4 cores \(.*, 3 workers\)", timeout=60, logs=True)
        server.wait_for(r"^epoch 2:", timeout=60)
        time.sleep(0.2)
        ray.kill(workers.actors[1], no_restart=False)
        server.wait_for(r"left \(phase evaluating", timeout=10, logs=True)
        runs = workers.wait(timeout=120)
    assert server.finish(timeout=60) == 0, server.output()
    assert [run.returncode for run in runs] == [0, 0, 0], [run.output[-500:] for run in runs]
    digests = {re.search(DIGEST, run.output).group(1) for run in runs}
    assert digests == {undisturbed}


def test_evochi_workers_hosted_by_ray_one_killed_mid_epoch_end_in_the_expected_state(cluster, chorus, processes,
                                                                                     tmp_path):
    """The unchanged PyPI evochi worker (Tests/Interop/evochi/recording_worker.py, under the
    evochi venv's Python 3.12) in Ray actors; the one killed comes back as a new worker."""
    default = ROOT / ".build" / "venv-evochi" / "bin" / "python"
    evochi_python = os.path.abspath(os.environ.get("CHORUS_EVOCHI_PYTHON", default))  # the script runs elsewhere
    if not os.path.exists(evochi_python):
        pytest.skip(f"no evochi venv at {evochi_python} (make evochi-venv makes it)")
    population, epochs = 20, 5
    script = f"import recording_worker as r; print(r.expected_final({population}, {epochs}))"
    expected = subprocess.run([evochi_python, "-c", script], cwd=HERE / "evochi", capture_output=True, text=True,
                              check=True).stdout.strip()
    port = free_port()
    server = processes(chorus, "coordinator", "--port", port, "--population", population, "--max-epochs", epochs,
                       "--share-interval", 2, "--reissue-after", 1)
    server.wait_for(r"coordinator: listening on", timeout=30)
    logs = [tmp_path / f"worker{index}.jsonl" for index in range(3)]
    command = lambda index: [evochi_python, HERE / "evochi" / "recording_worker.py", port, 4, logs[index],  # noqa: E731
                             "--eval-delay", 0.3]
    with WorkerProcesses(command, 3, actor_options={"num_cpus": 1}) as workers:
        server.wait_for(r"joined with 4 cores \(.*, 3 workers\)", timeout=60, logs=True)
        server.wait_for(r"^epoch 2:", timeout=60)
        time.sleep(0.15)  # into epoch 3's evaluation (0.3 s)
        ray.kill(workers.actors[1], no_restart=False)
        server.wait_for(r"left \(phase evaluating", timeout=10, logs=True)
        runs = workers.wait(timeout=120)
    assert server.finish(timeout=60) == 0, server.output()
    assert [run.returncode for run in runs] == [0, 0, 0], [run.output[-500:] for run in runs]
    for log in logs:
        states = [json.loads(line) for line in log.read_text().splitlines() if '"state"' in line]
        assert states[-1]["digest"] == expected, log.name
    assert len(re.findall(r"joined with 4 cores", server.stderr())) == 4, "the restarted actor's worker joined"
