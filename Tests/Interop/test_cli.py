"""The command-line tool behaves as a service should."""
import re
import signal
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, run


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_gracefully_on_a_signal(chorus, processes, stop):
    serve = processes(chorus, "serve", "--schema", ROOT / "Schemas" / "cartpole-step.json", "--batch-size", 32,
                      "--echo-port", 0, "--port", 0, "--quiet")
    serve.wait_for(r"listening: chorus on")
    started = time.monotonic()
    serve.popen.send_signal(stop)
    assert serve.finish(timeout=10) == 0
    assert time.monotonic() - started < 5
    serve.wait_for(r"^done: 0 batches", timeout=1)


def test_rollout_runs_until_stopped_and_authenticates_with_a_secret_file(chorus, processes, tmp_path):
    """The container recipe (deploy/): `chorus rollout --seconds 0 --secret-file` feeds a learner
    that needs a secret until SIGTERM, then ends cleanly with what it sent."""
    secret = tmp_path / "secret"
    secret.write_text("fleet-secret\n")
    serve = processes(chorus, "serve", "--schema", ROOT / "Schemas" / "cartpole-trajectory.json", "--batch-size", 8,
                      "--port", 0, "--secret-file", secret, "--progress-interval", 0.2)
    port = serve.wait_for(r"listening: chorus on .*:(\d+)").group(1)
    refused = run(chorus, "rollout", "--port", port, "--seconds", 1)
    assert refused.returncode != 0 and "requires a secret" in refused.stderr
    rollout = processes(chorus, "rollout", "--port", port, "--seconds", 0, "--secret-file", secret)
    serve.wait_for(r"[1-9]\d* batches", timeout=30)
    rollout.popen.send_signal(signal.SIGTERM)
    assert rollout.finish(timeout=10) == 0, rollout.output()
    assert int(rollout.wait_for(r"^rollout: (\d+) trajectories", timeout=1).group(1)) > 0


def test_es_demo_solves_cartpole(chorus):
    result = run(chorus, "demo", "es", timeout=300)
    assert result.returncode == 0, result.stderr
    assert sum(line.startswith("epoch ") for line in result.stdout.splitlines()) == 60
    assert "mean return 500.0 over 20 fresh episodes" in result.stdout


def test_es_demo_resumed_from_a_checkpoint_ends_where_a_straight_run_does(chorus, tmp_path):
    checkpoint = tmp_path / "run.checkpoint"
    straight = run(chorus, "demo", "es", "--epochs", "16", timeout=300)
    first = run(chorus, "demo", "es", "--epochs", "8", "--checkpoint", checkpoint, timeout=300)
    resumed = run(chorus, "demo", "es", "--epochs", "16", "--checkpoint", checkpoint, timeout=300)
    for result in (straight, first, resumed):
        assert result.returncode == 0, result.stderr
    assert "epoch   9:" in resumed.stdout and "epoch   8:" not in resumed.stdout
    assert resumed.stdout.splitlines()[-1] == straight.stdout.splitlines()[-1]


def test_demo_trains_to_500_streams_trajectories_and_draws_the_curve(chorus, tmp_path):
    result = run(chorus, "demo", "--rollout-seconds", "1", "--output", tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the policy scores 500" in result.stdout
    trajectories = int(re.search(r"data plane: (\d+) trajectories", result.stdout).group(1))
    assert trajectories > 0
    curve = ET.parse(tmp_path / "training-curve.svg").getroot()
    assert len(curve.findall("{http://www.w3.org/2000/svg}polyline")) == 3


def test_ga_demo_runs_both_modes(chorus):
    result = run(chorus, "demo", "ga", "--generations", 10, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sum(line.startswith("  generation ") for line in result.stdout.splitlines()) == 10
    assert re.search(r"elite: mean return [\d.]+ over 20 fresh episodes", result.stdout)
    assert re.search(r"individuals/s per worker: \d+, \d+, \d+", result.stdout)
