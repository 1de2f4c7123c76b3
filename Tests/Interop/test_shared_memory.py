"""Same-host producer processes writing straight into `chorus serve --shm`'s ring: many
`chorus load --shm` processes deliver every sample once and intact; producers SIGKILLed at
random moments (mostly inside the zero-copy reserve closure, where they spend their time) never
wedge the learner, lose nothing they committed, and tear nothing; a producer stopped while it
holds ring slots is killed by the server's grant lease, and the learner goes on."""
import json
import os
import random
import signal
import stat
import time
from pathlib import Path

import numpy as np

from conftest import run
from load_pattern import example_from_schema, sequences_by_connection

SCHEMA = {"id": "uint64[]", "obs": "float32[2]"}   # bytes 0-7 of a packed sample are its id
ROUNDS = int(os.environ.get("SHM_KILL_ROUNDS", 1000))


def serve(chorus, processes, tmp_path: Path, batch_size: int, *options: object):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    socket, record = tmp_path / "learner.sock", tmp_path / "batches.bin"
    server = processes(chorus, "serve", "--schema", schema, "--batch-size", batch_size, "--shm", socket,
                       "--record", record, "--quiet", *options)
    server.wait_for(r"listening: shared memory at ")
    assert stat.S_IMODE(socket.stat().st_mode) == 0o600
    return server, schema, socket, record


def by_connection(record: Path, batch_size: int) -> dict[int, list[int]]:
    """Each connection's sequence numbers, in arrival order, from a recording whose batches are
    written leaf by leaf (ids, then obs: 8 bytes each per sample)."""
    rows = np.fromfile(record, dtype=np.uint8).reshape(-1, 2, batch_size, 8).transpose(0, 2, 1, 3).reshape(-1, 16)
    return sequences_by_connection(rows, example_from_schema(SCHEMA))


def test_many_producer_processes_deliver_every_sample_once(chorus, processes, tmp_path):
    server, schema, socket, record = serve(chorus, processes, tmp_path, batch_size=256)
    count = 50_176   # per connection; 8 connections fill whole batches
    loads = [processes(chorus, "load", "--shm", socket, "--schema", schema, "--connections", 2,
                       "--first-connection", 2 * index, "--count", count) for index in range(4)]
    for load in loads:
        assert load.finish(timeout=120) == 0, load.stderr()
    server.popen.send_signal(signal.SIGTERM)
    assert server.finish(timeout=30) == 0, server.stderr()
    connections = by_connection(record, batch_size=256)
    assert sorted(connections) == list(range(8))
    for connection, sequences in connections.items():
        assert sequences == list(range(count)), f"connection {connection}: out of order or incomplete"


def test_producers_killed_at_random_moments_never_wedge_the_learner(chorus, processes, tmp_path):
    # Batches of one: every sample a killed producer committed is a whole batch at shutdown,
    # and one it had been granted but not committed is a batch marked invalid (left out).
    server, schema, socket, record = serve(chorus, processes, tmp_path, batch_size=1)
    rng = random.Random(11)
    start = time.monotonic()
    for round in range(ROUNDS):
        load = processes(chorus, "load", "--shm", socket, "--schema", schema, "--first-connection", round,
                         "--seconds", 60)
        time.sleep(rng.uniform(0.0, 0.1))
        load.popen.send_signal(signal.SIGKILL)
        load.popen.wait(timeout=10)
    killing = time.monotonic() - start
    # The learner goes on: a fresh producer's samples all arrive.
    good = run(chorus, "load", "--shm", socket, "--schema", schema, "--first-connection", ROUNDS, "--count", 1000)
    assert good.returncode == 0, good.stderr
    server.popen.send_signal(signal.SIGTERM)
    assert server.finish(timeout=60) == 0, server.stderr()
    connections = by_connection(record, batch_size=1)
    assert set(connections) <= set(range(ROUNDS + 1))
    for connection, sequences in connections.items():
        assert sequences == list(range(len(sequences))), f"producer {connection}: a gap in what arrived"
    assert len(connections[ROUNDS]) == 1000
    voided = int(server.wait_for(r"voided (\d+)").group(1))
    delivered = sum(len(s) for c, s in connections.items() if c != ROUNDS)
    print(f"killed {ROUNDS} producers in {killing:.0f} s; they delivered {delivered} samples, {voided} slots voided")


def test_a_producer_stopped_holding_slots_is_killed_by_the_lease_and_the_learner_goes_on(chorus, processes, tmp_path):
    # Batches of one, so a single slot held by a stopped producer holds up the learner.
    server, schema, socket, record = serve(chorus, processes, tmp_path, 1, "--shm-lease", 1)
    killed_by_server, stopped_idle = 0, 0
    for round in range(10):
        stuck = processes(chorus, "load", "--shm", socket, "--schema", schema, "--first-connection", round,
                          "--seconds", 60)
        time.sleep(0.3)   # connected and sending
        stuck.popen.send_signal(signal.SIGSTOP)
        # Another producer: all its samples arrive, whether or not the stopped one held slots.
        steady = run(chorus, "load", "--shm", socket, "--schema", schema, "--first-connection", 100 + round,
                     "--count", 2000, timeout=30)
        assert steady.returncode == 0, steady.stderr
        try:
            status = stuck.popen.wait(timeout=3)
        except Exception:
            status = None
        if status == -signal.SIGKILL:
            killed_by_server += 1
        else:
            stopped_idle += 1   # it held no slot when stopped: the lease leaves it alone
            assert status is None
            stuck.popen.kill()
            stuck.popen.wait(timeout=10)
        if killed_by_server >= 3:
            break
    assert killed_by_server >= 1, f"no stopped producer held slots in 10 rounds ({stopped_idle} idle)"
    server.popen.send_signal(signal.SIGTERM)
    assert server.finish(timeout=60) == 0, server.stderr()
    assert int(server.wait_for(r"killed by the lease (\d+)").group(1)) == killed_by_server
    connections = by_connection(record, batch_size=1)
    for connection, sequences in connections.items():
        assert sequences == list(range(len(sequences))), f"producer {connection}: a gap in what arrived"
        if connection >= 100:
            assert len(sequences) == 2000
    print(f"{killed_by_server} stopped producers killed by the lease, {stopped_idle} stopped holding nothing")
