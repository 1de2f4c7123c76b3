"""What the chorus Python package costs per call, in process (no sockets), with the release
libChorusC: the learner's `sample()` on a ring whose batches are already full (the wait is
zero, so this is Python + ctypes + the Swift call), and `submit` / `submit_many` per sample.

    CHORUS_LIBRARY=.build/release/libChorusC.so PYTHONPATH=Python/src \\
        python Benchmarks/compare/python_overhead.py [--batches 20000]
"""
import argparse
import time

import numpy as np

import chorus

parser = argparse.ArgumentParser()
parser.add_argument("--batches", type=int, default=20_000)
parser.add_argument("--batch-size", type=int, default=256)
args = parser.parse_args()

example = {"obs": np.zeros((4,), np.float32), "reward": np.zeros((), np.float32)}
batch_size = args.batch_size
server = chorus.Server(example, batch_size=batch_size, num_buffers=4)
stacked = {"obs": np.zeros((batch_size, 4), np.float32), "reward": np.zeros(batch_size, np.float32)}


def per_call(seconds: float, calls: int) -> str:
    return f"{seconds / calls * 1e6:6.2f} µs"


sample_time = submit_many_time = 0.0
for _ in range(args.batches):
    start = time.perf_counter()
    server.submit_many(stacked)
    filled = time.perf_counter()
    batch = server.sample().batch
    batch["obs"].flat[0]
    taken = time.perf_counter()
    submit_many_time += filled - start
    sample_time += taken - filled

single = {"obs": np.zeros((4,), np.float32), "reward": np.float32(0)}
submits = args.batches // 10 * batch_size  # whole batches
start = time.perf_counter()
for index in range(submits):
    server.submit(single)
    if index % batch_size == batch_size - 1:
        server.sample()
submit_time = time.perf_counter() - start

print(f"sample() of a full batch ({batch_size} × 20 B, 2 leaves) + touching one element: "
      f"{per_call(sample_time, args.batches)} per batch")
print(f"submit_many({batch_size} samples): {per_call(submit_many_time, args.batches)} per call, "
      f"{per_call(submit_many_time, args.batches * batch_size)} per sample")
print(f"submit(one sample): {per_call(submit_time, submits)} per sample")
