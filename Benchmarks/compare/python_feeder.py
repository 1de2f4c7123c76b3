"""Feeds a server through id-echo's own Python TcpClient (unchanged), as fast as it goes:
the same prebuilt sample over and over, for SECONDS.

    python_feeder.py SCHEMA_JSON PORT SECONDS
"""
import json
import os
import sys
import time

from echo import TcpClient

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Interop"))
from load_pattern import example_from_schema  # noqa: E402

schema_file, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
sample = example_from_schema(json.load(open(schema_file)))
client = TcpClient("127.0.0.1", port, sample)
end = time.monotonic() + seconds
sent = 0
while time.monotonic() < end:
    for _ in range(64):
        client.send(sample)
    sent += 64
client.close()
print(f"sent {sent}", flush=True)
