"""Aggregate ingest of one worker spreading its samples over 1, 2 and 4 learners.

Each learner is a `chorus serve` process (its learner loop consumes batches); the worker is this
process, a `chorus.ShardedClient` calling `send_many` with blocks of samples (round-robin over the
shards: each sample goes to the next shard). The rate is what the worker got acknowledged: samples
sent over SECONDS, then `wait()`, divided by the time it all took. Configurations alternate, each
`--repeats` times; the median is printed with the range.

    python sharded_ingest.py --chorus .build/release/chorus [--sizes 20,28224] [--servers 1,2,4]
                             [--seconds 4] [--repeats 3] [--batch-size 256]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "Tests" / "Interop"))
from child_process import Child  # noqa: E402

import chorus  # noqa: E402

SCHEMAS = {20: {"obs": "float32[4]", "reward": "float32[]"}, 28_224: {"obs": "uint8[84,84,4]"}}
EXAMPLES = {20: {"obs": np.zeros(4, np.float32), "reward": np.zeros((), np.float32)},
            28_224: {"obs": np.zeros((84, 84, 4), np.uint8)}}


def run(args, schema_file: Path, size: int, servers: int) -> float:
    learners = [Child([args.chorus, "serve", "--schema", schema_file, "--batch-size", args.batch_size,
                       "--port", 0, "--progress-interval", 1]) for _ in range(servers)]
    try:
        ports = [int(learner.wait_for(r"listening: chorus on [\d.]+:(\d+)").group(1)) for learner in learners]
        per_call = max(1, min(4096, (4 << 20) // size))
        block = {name: np.repeat(leaf[None], per_call, axis=0) for name, leaf in EXAMPLES[size].items()}
        client = chorus.ShardedClient([("127.0.0.1", port) for port in ports], EXAMPLES[size], 1024)
        sent, start = 0, time.monotonic()
        while time.monotonic() - start < args.seconds:
            client.send_many(block)
            sent += per_call
        client.wait()
        elapsed = time.monotonic() - start
        assert all(client.shards_up), "a learner went down"
        client.close()
        return sent / elapsed
    finally:
        for learner in learners:
            learner.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chorus", required=True)
    parser.add_argument("--sizes", default="20,28224")
    parser.add_argument("--servers", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    counts = [int(s) for s in args.servers.split(",")]
    print(f"| sample | learners | samples/s (median, range) | MB/s | vs 1 learner |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            schema_file = Path(folder) / f"schema-{size}.json"
            schema_file.write_text(json.dumps(SCHEMAS[size]))
            rates = {count: [] for count in counts}
            for _ in range(args.repeats):
                for count in counts:
                    rates[count].append(run(args, schema_file, size, count))
                    print(f"  {size} B, {count} learner(s): {rates[count][-1]:,.0f}/s", file=sys.stderr, flush=True)
            base = statistics.median(rates[counts[0]])
            for count in counts:
                median = statistics.median(rates[count])
                print(f"| {size:,} B | {count} | {median:,.0f} ({min(rates[count]):,.0f}–{max(rates[count]):,.0f}) "
                      f"| {median * size / 1e6:,.0f} | {median / base:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
