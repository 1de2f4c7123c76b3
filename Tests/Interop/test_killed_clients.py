"""Clients SIGKILLed mid-send, over both wires: the real id-echo TcpClient (v1) and `chorus load`
(v2) processes are killed at random moments while `chorus serve` records every batch. Nothing
acked is lost, nothing arrives twice or torn, each client's samples arrive as an unbroken prefix
of what it sent, and the server goes on serving."""
import json
import os
import random
import signal
import time
from pathlib import Path

import numpy as np

from conftest import HERE, python, run
from load_pattern import example_from_schema, sequences_by_connection

SCHEMA = {"id": "uint64[]", "obs": "float32[2]"}   # bytes 0-7 of a packed sample are its id
ROUNDS = int(os.environ.get("KILL_ROUNDS", 10))   # `make soak` runs more


def test_clients_killed_mid_send_lose_nothing_acked(chorus, processes, tmp_path: Path):
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(SCHEMA))
    record = tmp_path / "batches.bin"
    # Batches of one: the record is then a plain list of samples.
    serve = processes(chorus, "serve", "--schema", schema_file, "--batch-size", 1, "--echo-port", 0, "--port", 0,
                      "--record", record, "--quiet")
    echo_port = serve.wait_for(r"listening: echo on 127\.0\.0\.1:(\d+)").group(1)
    chorus_port = serve.wait_for(r"listening: chorus on 127\.0\.0\.1:(\d+)").group(1)

    rng = random.Random(7)
    acked: dict[int, int] = {}
    for round in range(ROUNDS):
        echo_client, load_client = 2 * round, 2 * round + 1
        echo = processes(python(), HERE / "echo_streamer.py", echo_port, schema_file, echo_client)
        load = processes(chorus, "load", "--port", chorus_port, "--schema", schema_file, "--protocol", "chorus",
                         "--first-connection", load_client, "--seconds", 60)
        echo.wait_for(r"^acked \d+", timeout=30)
        time.sleep(rng.uniform(0.0, 0.3))
        for client in (echo, load):
            client.popen.send_signal(signal.SIGKILL)
            client.popen.wait(timeout=10)
        acked[echo_client] = max(int(line.split()[1]) for _, line in echo.lines if line.startswith("acked "))

    # The server still serves: a fresh client's samples all arrive.
    good = run(chorus, "load", "--port", chorus_port, "--schema", schema_file, "--protocol", "chorus",
               "--first-connection", 1000, "--count", 1000)
    assert good.returncode == 0, good.stderr
    serve.popen.send_signal(signal.SIGTERM)
    assert serve.finish(timeout=30) == 0, serve.stderr()

    rows = np.fromfile(record, dtype=np.uint8).reshape(-1, 16)
    by_client = sequences_by_connection(rows, example_from_schema(SCHEMA))
    assert set(by_client) <= set(range(2 * ROUNDS)) | {1000}
    for client, sequences in by_client.items():
        assert sorted(sequences) == list(range(len(sequences))), f"client {client}: a gap in what arrived"
    for client, count in acked.items():
        assert len(by_client.get(client, [])) >= count, f"client {client}: acked samples are missing"
    assert len(by_client[1000]) == 1000
    print(f"killed {2 * ROUNDS} clients; {sum(map(len, by_client.values()))} samples delivered; echo clients had {sum(acked.values())} acked, "
          f"v2 clients delivered {sum(len(by_client.get(c, [])) for c in range(1, 2 * ROUNDS, 2))}")
