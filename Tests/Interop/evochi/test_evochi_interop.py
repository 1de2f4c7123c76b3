"""The unchanged PyPI evochi 0.1.4 worker against `chorus coordinator`."""
import importlib.metadata
import json
import re
import signal
import socket
import sys
from pathlib import Path

import pytest

from conftest import free_port
from recording_worker import expected_final

HERE = Path(__file__).resolve().parent


def coordinator(processes, chorus, port, *args):
    process = processes(chorus, "coordinator", "--port", port, *args)
    process.wait_for(r"coordinator: listening on", timeout=30)
    return process


def worker(processes, port, cores, log, *args):
    return processes(sys.executable, HERE / "recording_worker.py", port, cores, log, *args)


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def readme_example() -> str:
    """The minimal example of the installed evochi package's README, as published."""
    readme = importlib.metadata.distribution("evochi").read_text("METADATA")
    return re.search(r"### Minimal Example.*?```py\n(.*?)```", readme, re.S).group(1)


def test_readme_example_worker_runs_three_epochs_and_stops(processes, chorus, tmp_path):
    # The example connects to localhost:8080, unchanged.
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8080)) == 0:
            pytest.fail("port 8080 is in use; the README example needs it")
    (tmp_path / "readme_example.py").write_text(readme_example())
    server = coordinator(processes, chorus, 8080, "--population", 12, "--max-epochs", 3)
    example = processes(sys.executable, "-c", "import asyncio, readme_example; asyncio.run(readme_example.main())",
                        cwd=tmp_path)
    assert example.finish(timeout=60) == 0, example.output()
    assert server.finish(timeout=30) == 0, server.output()
    out = server.output()
    assert [int(n) for n in re.findall(r"^epoch (\d+):", out, re.M)] == [1, 2, 3]
    assert "done: phase stopped, state of epoch 4" in out


def test_three_workers_with_a_joiner_and_a_casualty_all_end_in_the_same_state(processes, chorus, tmp_path):
    population, epochs = 20, 6
    port = free_port()
    server = coordinator(processes, chorus, port, "--population", population, "--max-epochs", epochs,
                         "--share-interval", 2, "--reissue-after", 1)
    logs = {name: tmp_path / f"{name}.jsonl" for name in ("steady", "victim", "joiner")}
    trigger = tmp_path / "join-now"
    steady = worker(processes, port, 3, logs["steady"], "--eval-delay", 0.05, "--optimize-delay", 1.0)
    victim = worker(processes, port, 5, logs["victim"], "--eval-delay", 0.4, "--optimize-delay", 1.0)
    joiner = worker(processes, port, 2, logs["joiner"], "--eval-delay", 0.05, "--start-when", trigger)
    # The victim dies in the middle of an evaluation of epoch 2.
    server.wait_for(r"^epoch 1:", timeout=60)
    wait_until(lambda: any(e["event"] == "evaluate" and e["epoch"] == 2 for e in read_log(logs["victim"])))
    victim.popen.send_signal(signal.SIGKILL)
    # The joiner arrives while epoch 3's update is being applied (it takes the others a second).
    server.wait_for(r"^epoch 3:", timeout=60)
    trigger.touch()
    assert server.finish(timeout=120) == 0, server.output()
    for survivor in (steady, joiner):
        assert survivor.finish(timeout=30) == 0, survivor.output()

    expected = expected_final(population, epochs)
    for name in ("steady", "joiner"):
        entries = read_log(logs[name])
        optimizes = [e for e in entries if e["event"] == "optimize"]
        assert optimizes and all(e["correct"] and e["count"] == population for e in optimizes), name
        assert [e for e in entries if e["event"] == "state"][-1]["digest"] == expected, name
        assert any(e["event"] == "stop" and e["cancel"] for e in entries), name
    steady_epochs = [e["epoch"] for e in read_log(logs["steady"]) if e["event"] == "optimize"]
    assert steady_epochs == list(range(1, epochs + 1))
    assert re.search(r"left \(phase evaluating\(2\)\)", server.output())
    assert re.search(r"joined with 2 cores \(phase optimizing\(3\)", server.output())


def test_a_worker_whose_heartbeats_stopped_is_evicted_and_the_run_ends_exact(processes, chorus, tmp_path):
    population, epochs = 16, 3
    port = free_port()
    server = coordinator(processes, chorus, port, "--population", population, "--max-epochs", epochs,
                         "--heartbeat-timeout", 1.5, "--reissue-after", 30)
    healthy = worker(processes, port, 8, tmp_path / "healthy.jsonl", "--eval-delay", 2.0)
    server.wait_for(r"joined with 8 cores", timeout=30, logs=True)
    silent = worker(processes, port, 1, tmp_path / "silent.jsonl", "--no-heartbeats")
    assert server.finish(timeout=120) == 0, server.output()
    assert healthy.finish(timeout=30) == 0, healthy.output()
    assert silent.finish(timeout=30) != 0, "an evicted 0.1.4 worker fails loudly (ABORTED), not a quiet stop"
    assert re.search(r"evicted worker \d+: no heartbeat", server.output())
    entries = read_log(tmp_path / "healthy.jsonl")
    assert all(e["correct"] for e in entries if e["event"] == "optimize")
    assert [e for e in entries if e["event"] == "state"][-1]["digest"] == expected_final(population, epochs)


def test_a_restarted_coordinator_resumes_from_its_checkpoint(processes, chorus, tmp_path):
    population, epochs = 10, 6
    checkpoint = tmp_path / "run.checkpoint"
    port = free_port()
    first = coordinator(processes, chorus, port, "--population", population, "--max-epochs", epochs,
                        "--share-interval", 2, "--checkpoint", checkpoint)
    early = worker(processes, port, 4, tmp_path / "early.jsonl", "--eval-delay", 0.1)
    first.wait_for(r"^epoch 3:", timeout=60)
    first.popen.send_signal(signal.SIGKILL)
    first.finish(timeout=10)
    early.finish(timeout=30)  # the 0.1.4 client does not reconnect: it fails with UNAVAILABLE

    port = free_port()
    second = coordinator(processes, chorus, port, "--population", population, "--max-epochs", epochs,
                         "--share-interval", 2, "--checkpoint", checkpoint)
    late = worker(processes, port, 4, tmp_path / "late.jsonl")
    assert second.finish(timeout=60) == 0, second.output()
    assert late.finish(timeout=30) == 0, late.output()

    resumed_at = int(re.search(r"^epoch (\d+):", second.output(), re.M).group(1))
    assert resumed_at >= 3
    entries = read_log(tmp_path / "late.jsonl")
    assert not any(e["event"] == "initialize" for e in entries)
    assert [e for e in entries if e["event"] == "evaluate"][0]["epoch"] == resumed_at
    assert [e for e in entries if e["event"] == "state"][-1]["digest"] == expected_final(population, epochs)


def wait_until(condition, timeout=60.0):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached")
