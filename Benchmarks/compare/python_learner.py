"""A Python learner for the comparison: an unchanged id-echo Server, or a `chorus` Server through
the same id-echo API (`import chorus as echo`), whose learner loop takes batches as fast as it can,
touches one element of each, and prints, like `chorus serve`, one progress line per interval:
`<batches/s> batches/s ... total <batches> batches`.

    python_learner.py echo|chorus SCHEMA_JSON BATCH_SIZE INTERVAL

For `chorus`, the package is Python/src with $CHORUS_LIBRARY (compare.py sets both).
"""
import importlib
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Interop"))
from load_pattern import example_from_schema  # noqa: E402

package, schema_file, batch_size, interval = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
echo = importlib.import_module(package)
server = echo.Server(example_from_schema(json.load(open(schema_file))), batch_size=batch_size,
                     transport=echo.TcpTransport(port=0))
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
for sample in server.dataset_iter():
    leaf = sample.batch
    while isinstance(leaf, dict):
        leaf = leaf[next(iter(leaf))]
    leaf.flat[0]  # touch one element
    taken += 1
