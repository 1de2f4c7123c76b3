"""Feeds a server from Python as fast as it goes, the same prebuilt sample over and over, for
SECONDS, through one of:

  echo       id-echo's own TcpClient (unchanged): `send`, one sample per call
  send       chorus.TcpClient (wire v1): `send`, one sample per call
  send_many  chorus.TcpClient (wire v1): `send_many`, samples stacked up to 4 MiB per call

All with WINDOW unacked samples (id-echo's `max_inflight_msgs`).

    python_feeder.py echo|send|send_many SCHEMA_JSON PORT SECONDS WINDOW
"""
import json
import os
import sys
import time

import numpy as np
import optree

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Interop"))
from load_pattern import example_from_schema  # noqa: E402

mode, schema_file, port, seconds, window = (sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
                                            int(sys.argv[5]))
if mode == "echo":
    from echo import TcpClient
else:
    from chorus import TcpClient
sample = example_from_schema(json.load(open(schema_file)))
client = TcpClient("127.0.0.1", port, sample, max_inflight_msgs=window)
size = sum(leaf.nbytes for leaf in optree.tree_leaves(sample))
per_call = max(1, min(1024, (4 << 20) // size)) if mode == "send_many" else 64
stacked = optree.tree_map(lambda leaf: np.repeat(leaf[None], per_call, axis=0), sample)
end = time.monotonic() + seconds
sent = 0
while time.monotonic() < end:
    if mode == "send_many":
        client.send_many(stacked)
    else:
        for _ in range(per_call):
            client.send(sample)
    sent += per_call
client.close()
print(f"sent {sent}", flush=True)
