"""The id-echo 0.2.1 side of the comparison: an unchanged id-echo Server whose learner loop takes
batches as fast as it can and prints, like `chorus serve`, one progress line per interval:
`<batches/s> batches/s ... total <batches> batches`.

    echo_learner.py SCHEMA_JSON BATCH_SIZE INTERVAL
"""
import json
import os
import sys
import threading
import time

from echo import Server, TcpTransport

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Interop"))
from load_pattern import example_from_schema  # noqa: E402

schema_file, batch_size, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
server = Server(example_from_schema(json.load(open(schema_file))), batch_size=batch_size,
                transport=TcpTransport(port=0))
server.start()
print(f"listening: echo on 127.0.0.1:{server.port}", flush=True)

taken = 0


def report():
    last, last_time = 0, time.monotonic()
    while True:
        time.sleep(interval)
        now, total = time.monotonic(), taken
        print(f"{(total - last) / (now - last_time):8.0f} batches/s  total {total} batches", flush=True)
        last, last_time = total, now


threading.Thread(target=report, daemon=True).start()
while server.sample() is not None:
    taken += 1
