"""Chorus and the real id-echo 0.2.1 (from PyPI) feed each other over wire v1."""
import json
from pathlib import Path

import numpy as np
import pytest
from echo import TcpClient

from conftest import HERE, python, run

SCHEMA = {"obs": "float32[4]", "step": "int64[]"}


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(SCHEMA))
    return path


def test_id_echo_client_feeds_chorus_serve(chorus, processes, schema_file, tmp_path):
    """The unchanged id-echo TcpClient sends 10,000 distinct samples: each arrives once, intact."""
    record = tmp_path / "batches.bin"
    serve = processes(chorus, "serve", "--schema", schema_file, "--batch-size", 100, "--echo-port", 0,
                      "--batches", 100, "--record", record, "--quiet")
    port = int(serve.wait_for(r"listening: echo on 127\.0\.0\.1:(\d+)").group(1))

    client = TcpClient("127.0.0.1", port, {"obs": np.zeros(4, np.float32), "step": np.zeros((), np.int64)})
    for i in range(10_000):
        client.send({"obs": np.arange(4, dtype=np.float32) * i, "step": np.array(i, np.int64)})
    client.wait()
    client.close()
    assert serve.finish() == 0, serve.stderr()

    batches = np.fromfile(record, dtype=np.uint8).reshape(100, -1)
    obs = batches[:, :1600].copy().view(np.float32).reshape(-1, 4)
    step = batches[:, 1600:].copy().view(np.int64).reshape(-1)
    assert sorted(step.tolist()) == list(range(10_000)), "every sample exactly once"
    assert np.array_equal(obs, np.arange(4, dtype=np.float32)[None, :] * step[:, None]), "bytes intact"


def test_chorus_load_feeds_an_id_echo_server(chorus, processes, schema_file):
    """`chorus load --protocol echo` drives the unchanged id-echo Server; its learner gets every sample intact."""
    learner = processes(python(), HERE / "echo_learner.py", schema_file, 100, 10_000)
    port = learner.wait_for(r"port (\d+)").group(1)
    load = run(chorus, "load", "--port", port, "--schema", schema_file, "--protocol", "echo",
               "--connections", 2, "--count", 5_000)
    assert load.returncode == 0, load.stderr
    report = json.loads(learner.wait_for(r"^\{.*\}$", timeout=60).group(0))
    assert report["problems"] == []
    assert sorted(report["ids"]) == sorted([c << 40 | s for c in range(2) for s in range(5_000)])


def test_a_mismatched_schema_is_refused_on_v2_with_the_leaf_named(chorus, processes, schema_file, tmp_path):
    serve = processes(chorus, "serve", "--schema", schema_file, "--batch-size", 10, "--port", 0, "--quiet")
    port = serve.wait_for(r"listening: chorus on 127\.0\.0\.1:(\d+)").group(1)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"obs": "float64[4]", "step": "int64[]"}))
    load = run(chorus, "load", "--port", port, "--schema", other, "--protocol", "chorus", "--count", 10)
    assert load.returncode != 0
    assert 'leaf "obs": client float64[4], server float32[4]' in load.stderr
    assert "status 1" in load.stderr


def test_id_echo_client_and_chorus_load_feed_replay_tables_that_survive_a_restart(chorus, processes, schema_file,
                                                                                 tmp_path):
    """`chorus serve --table`: the unchanged id-echo client writes the default table (a queue the
    learner loop drains), `chorus load --table` a prioritized one; the tables are written to the
    checkpoint directory at exit and restored by the next serve."""
    checkpoints = tmp_path / "tables"
    checkpoints.mkdir()
    tables = ["--table", "episodes:queue:1000", "--table", "replay:prioritized=0.6:50000:minsize=100",
              "--default-table", "episodes", "--checkpoint-directory", checkpoints]
    serve = processes(chorus, "serve", "--schema", schema_file, "--batch-size", 50, "--echo-port", 0, "--port", 0,
                      *tables, "--progress-interval", 0.2)
    echo_port = int(serve.wait_for(r"listening: echo on 127\.0\.0\.1:(\d+)").group(1))
    port = int(serve.wait_for(r"listening: chorus on 127\.0\.0\.1:(\d+)").group(1))

    client = TcpClient("127.0.0.1", echo_port, {"obs": np.zeros(4, np.float32), "step": np.zeros((), np.int64)})
    for i in range(5_000):
        client.send({"obs": np.arange(4, dtype=np.float32) * i, "step": np.array(i, np.int64)})
    client.wait()
    client.close()
    load = run(chorus, "load", "--port", port, "--schema", schema_file, "--table", "replay", "--priority", 2,
               "--count", 3000)
    assert load.returncode == 0, load.stderr
    serve.wait_for(r"table episodes: 0 items \(5000 inserted, 5000 sampled\)")  # the learner loop drained it
    serve.wait_for(r"table replay: 3000 items \(3000 inserted")
    serve.popen.send_signal(2)
    assert serve.finish(timeout=20) == 0, serve.stderr()
    serve.wait_for(r"checkpoint: table replay, 3000 items", timeout=1)
    assert (checkpoints / "replay.table").exists() and (checkpoints / "episodes.table").exists()

    again = processes(chorus, "serve", "--schema", schema_file, "--batch-size", 50, "--port", 0, *tables,
                      "--seconds", 1, "--quiet")
    again.wait_for(r"restored: table replay, 3000 items")
    assert again.finish() == 0, again.stderr()

    (checkpoints / "replay.table").rename(checkpoints / "renamed.table")
    renamed = run(chorus, "serve", "--schema", schema_file, "--batch-size", 50, "--port", 0, "--seconds", 1,
                  "--table", "renamed:uniform:100", "--checkpoint-directory", checkpoints)
    assert renamed.returncode != 0 and 'holds table "replay", not "renamed"' in renamed.stderr, renamed.stderr

    bad = run(chorus, "serve", "--schema", schema_file, "--batch-size", 50, "--port", 0,
              "--table", "replay:prioritized:10")
    assert bad.returncode != 0 and "unknown sampler" in bad.stderr
