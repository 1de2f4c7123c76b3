"""Chorus replay tables side by side with dm-reverb 0.14.0, on this machine, in one run.

Both engines are driven from Python through their own packages, the way their users call them:
dm-reverb's `reverb.Server` + `reverb.Client` (its trajectory writer for inserts, `client.sample`
for batches: the client finds the table in its own process and reads it without gRPC), and
`chorus.Server(tables=...)` + `chorus.TcpClient(table=...)` (inserts over TCP, wire v2, with a
priority per item; `server.sample(table, 256)` in process). Writers are separate processes that
call the per-item API for a fixed time; the learner is the server's process.

Workloads (item sizes 20 B and 28 KB):
  insert        items/s with 1 and 2 writer processes (per-item calls; counted once flushed/acked)
  sample        batches of 256 from a full table (uniform and prioritized(0.6); 10^6 items of 20 B,
                10^5 of 28 KB): items/s and the per-batch p50 latency
  update        priority updates of 256 sampled keys per call: updates/s
  ratio         SampleToInsertRatio(4, 1000, 1000): one writer, one learner sampling batches of
                256 for the same time: both rates
  memory        resident memory per item of a full 10^6 × 20 B table, minus the item bytes

    python replay_compare.py --reverb-python .build/venv-reverb/bin/python \\
        --chorus-python .build/venv/bin/python [--quick] [--only insert,sample,...]

Each engine runs in its own interpreter (`... replay_compare.py engine NAME`), which prints its
results as JSON; this script prints the table side by side.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]
TABLE = "t"
# The suffix of a chorus measure whose call dm-reverb lacks, compared with its dict form.
ARRAYS = ", keys and priorities as arrays"
# Chorus writers gather per-item sends into this many bytes per system call (`send_buffer`), as
# Reverb's trajectory writer streams its items; the suffix of the measure without it.
SEND_BUFFER = 65_536
UNBUFFERED = ", no send buffer"
SIZES = {"20 B": 20, "28 KB": 28_224}
WORKLOADS = ["insert", "sample", "update", "ratio", "memory"]


def example(size):
    import numpy as np

    if size == 20:
        return {"obs": np.arange(4, dtype=np.float32), "reward": np.ones((), dtype=np.float32)}
    return {"obs": np.full((84, 84, 4), 7, dtype=np.uint8)}


def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


# ---- engines -------------------------------------------------------------------------------------


class ReverbEngine:
    name = "dm-reverb"

    def __init__(self, size, max_size, sampler, limiter=None):
        import reverb

        self.reverb = reverb
        sampler = reverb.selectors.Uniform() if sampler == "uniform" else reverb.selectors.Prioritized(0.6)
        limiter = limiter or reverb.rate_limiters.MinSize(1)
        self.server = reverb.Server(tables=[reverb.Table(
            name=TABLE, sampler=sampler, remover=reverb.selectors.Fifo(), max_size=max_size, rate_limiter=limiter)])
        self.address = f"localhost:{self.server.port}"
        self.client = reverb.Client(self.address)
        self.size = size

    @staticmethod
    def ratio_limiter():
        import reverb

        return reverb.rate_limiters.SampleToInsertRatio(samples_per_insert=4, min_size_to_sample=1000, error_buffer=1000)

    def table_size(self):
        return self.client.server_info()[TABLE].current_size

    def sample(self, batch):
        return [s[0].data for s in self.client.sample(TABLE, num_samples=batch)], None

    def sample_keys(self, batch):
        return [s[0].info.key for s in self.client.sample(TABLE, num_samples=batch)]

    def dataset_latencies(self, batch, seconds):
        """Per-batch latencies through Reverb's fast path for learners: its tf.data dataset."""
        import tensorflow as tf

        item = example(self.size)
        dataset = self.reverb.TrajectoryDataset(
            self.address, TABLE, dtypes={k: tf.as_dtype(v.dtype) for k, v in item.items()},
            shapes={k: tf.TensorShape((1, *v.shape)) for k, v in item.items()},
            max_in_flight_samples_per_worker=2 * batch).batch(batch)
        iterator = iter(dataset)
        next(iterator)
        latencies = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            start = time.perf_counter()
            next(iterator)
            latencies.append(time.perf_counter() - start)
        return latencies

    def update(self, updates):
        self.client.mutate_priorities(TABLE, updates=updates)

    def close(self):
        self.server.stop()

    @staticmethod
    def write(address, size, seconds, count=None):
        """A writer process's loop: per-item appends for `seconds` (or `count` items)."""
        import reverb

        item = example(size)
        client = reverb.Client(address)
        written = 0
        start = time.perf_counter()
        with client.trajectory_writer(num_keep_alive_refs=1) as writer:
            while (count is None and time.perf_counter() - start < seconds) or (count is not None and written < count):
                writer.append(item)
                writer.create_item(TABLE, priority=1.0, trajectory={k: writer.history[k][-1:] for k in item})
                written += 1
                if written % 128 == 0:
                    writer.flush(block_until_num_items=64)
            writer.flush()
        return written, time.perf_counter() - start


class ChorusEngine:
    name = "chorus"

    def __init__(self, size, max_size, sampler, limiter=None):
        import chorus

        self.chorus = chorus
        sampler = chorus.selectors.Uniform() if sampler == "uniform" else chorus.selectors.Prioritized(0.6)
        limiter = limiter or chorus.rate_limiters.MinSize(1)
        table = chorus.Table(TABLE, sampler=sampler, remover=chorus.selectors.Fifo(), max_size=max_size,
                             rate_limiter=limiter)
        self.server = chorus.Server(example(size), 256, transport=chorus.ChorusTransport(), tables=[table])
        self.server.start()
        self.address = f"127.0.0.1:{self.server.port}"
        self.size = size

    @staticmethod
    def ratio_limiter():
        import chorus

        return chorus.rate_limiters.SampleToInsertRatio(samples_per_insert=4, min_size_to_sample=1000, error_buffer=1000)

    def table_size(self):
        return self.server.table_info(TABLE)["size"]

    def sample(self, batch):
        return self.server.sample(TABLE, batch)

    def sample_keys(self, batch):
        return self.server.sample(TABLE, batch).keys.tolist()

    def update(self, updates):
        self.server.update_priorities(TABLE, updates)

    def update_arrays(self, keys, priorities):
        self.server.update_priorities(TABLE, keys, priorities)

    def close(self):
        self.server.close()

    @staticmethod
    def write(address, size, seconds, count=None, batch=1, send_buffer=0):
        """Per-item `send`s (gathered into `send_buffer` bytes per system call, as Reverb's
        writer streams its items), or with `batch` > 1 `send_many`s of that many items."""
        import chorus
        import numpy as np

        host, port = address.rsplit(":", 1)
        item = example(size)
        items = {k: np.stack([v] * batch) for k, v in item.items()}
        written = 0
        start = time.perf_counter()
        with chorus.TcpClient(host, int(port), item, 256, protocol="chorus", table=TABLE,
                              send_buffer=send_buffer) as client:
            while (count is None and time.perf_counter() - start < seconds) or (count is not None and written < count):
                if batch == 1:
                    client.send(item, priority=1.0)
                else:
                    client.send_many(items, priorities=1.0)
                written += batch
            client.wait()
        return written, time.perf_counter() - start


ENGINES = {"reverb": ReverbEngine, "chorus": ChorusEngine}


# ---- workloads (run inside the engine's interpreter) ---------------------------------------------


def spawn_writers(engine_key, address, size, seconds, writers, count=None, batch=1, send_buffer=0):
    command = [sys.executable, str(HERE), "write", engine_key, address, str(size), str(seconds), str(count or 0),
               str(batch), str(send_buffer)]
    children = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(writers)]
    results = []
    for child in children:
        out, _ = child.communicate(timeout=max(600, seconds * 20))
        if child.returncode != 0:
            raise RuntimeError(f"writer failed ({child.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def prefill(engine_key, engine, size, count):
    """Fills the table with `count` items from 2 writer processes; returns the seconds it took."""
    start = time.perf_counter()
    spawn_writers(engine_key, engine.address, size, 0, 2, count=(count + 1) // 2)
    deadline = time.time() + 600
    while engine.table_size() < count and time.time() < deadline:
        time.sleep(0.05)
    return time.perf_counter() - start


def timed_batches(call, seconds):
    latencies = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - start)
    return latencies


def run_engine(engine_key, only, quick):
    Engine = ENGINES[engine_key]
    seconds = 1.5 if quick else 4.0
    results = {}

    def log(text):
        print(f"[{Engine.name}] {text}", file=sys.stderr, flush=True)

    for label, size in SIZES.items():
        if "insert" in only:
            for writers in (1, 2):
                engine = Engine(size, 200_000 if size == 20 else 20_000, "uniform")
                measure = f"insert items/s, {label}, {writers} writer{'s' if writers > 1 else ''}"
                done = spawn_writers(engine_key, engine.address, size, seconds, writers,
                                     send_buffer=SEND_BUFFER if engine_key == "chorus" else 0)
                rate = sum(count for count, _ in done) / max(elapsed for _, elapsed in done)
                results[measure] = rate
                log(f"insert {label} x{writers}: {rate:,.0f} items/s")
                if engine_key == "chorus":
                    # Each send written at once: one system call per item.
                    done = spawn_writers(engine_key, engine.address, size, seconds, writers)
                    rate = sum(count for count, _ in done) / max(elapsed for _, elapsed in done)
                    results[measure + UNBUFFERED] = rate
                    log(f"insert {label} x{writers}, no send buffer: {rate:,.0f} items/s")
                if engine_key == "chorus" and writers == 1:
                    # The same over send_many (64 items a call): what the data plane takes when a
                    # worker hands over a rollout at once (dm-reverb has no such call).
                    (count, elapsed), = spawn_writers(engine_key, engine.address, size, seconds, 1, batch=64)
                    results[f"insert items/s, {label}, 1 writer, send_many of 64"] = count / elapsed
                    log(f"insert {label} send_many: {count / elapsed:,.0f} items/s")
                engine.close()
        if "sample" in only or "update" in only:
            count = (10_000 if quick else 1_000_000) if size == 20 else (2_000 if quick else 100_000)
            for sampler in ("uniform", "prioritized"):
                engine = Engine(size, count, sampler)
                took = prefill(engine_key, engine, size, count)
                log(f"prefilled {count:,} × {label} in {took:.1f} s")
                if "sample" in only:
                    key = f"{sampler}, {count:,} × {label}"
                    paths = [("", timed_batches(lambda: engine.sample(256), seconds))]
                    if hasattr(engine, "dataset_latencies"):
                        paths.append((" [tf.data]", engine.dataset_latencies(256, seconds)))
                    for path, latencies in paths:
                        p50 = statistics.median(latencies)
                        results[f"sample items/s, {key}{path}"] = 256 * len(latencies) / sum(latencies)
                        results[f"sample p50 µs per batch of 256, {key}{path}"] = p50 * 1e6
                        log(f"sample {key}{path}: p50 {p50 * 1e6:,.0f} µs")
                if "update" in only and sampler == "prioritized" and size == 20:
                    keys = engine.sample_keys(256)
                    rounds = iter(range(1, 10**9))
                    latencies = timed_batches(lambda: engine.update({k: float(next(rounds)) for k in keys}), seconds)
                    results[f"priority updates/s, {count:,} × {label}"] = 256 * len(latencies) / sum(latencies)
                    log(f"updates: {256 * len(latencies) / sum(latencies):,.0f}/s")
                    if hasattr(engine, "update_arrays"):  # a learner's own form: the sample's keys, new priorities
                        import numpy as np

                        keys = np.asarray(keys, np.uint64)
                        latencies = timed_batches(lambda: engine.update_arrays(keys, np.full(256, float(next(rounds)))), seconds)
                        results[f"priority updates/s, {count:,} × {label}{ARRAYS}"] = 256 * len(latencies) / sum(latencies)
                engine.close()
    if "ratio" in only:
        # The learner samples on a daemon thread: once the writer stops, the limiter blocks it
        # (dm-reverb's client.sample has no timeout), and the rates are read when the writer ends.
        engine = Engine(20, 100_000, "uniform", Engine.ratio_limiter())
        sampled = [0]

        def learn():
            while True:
                engine.sample(256)
                sampled[0] += 256

        threading.Thread(target=learn, daemon=True).start()
        start = time.perf_counter()
        (written, _), = spawn_writers(engine_key, engine.address, 20, seconds * 2, 1)
        elapsed = time.perf_counter() - start
        results["ratio 4: inserts/s"] = written / elapsed
        results["ratio 4: samples/s"] = sampled[0] / elapsed
        log(f"ratio: {written / elapsed:,.0f} inserts/s, {sampled[0] / elapsed:,.0f} samples/s")
    if "memory" in only:
        count = 10_000 if quick else 1_000_000
        before = rss_bytes()
        engine = Engine(20, count, "uniform")
        prefill(engine_key, engine, 20, count)
        per_item = (rss_bytes() - before) / count - 20
        results["memory per item beyond its bytes (B)"] = per_item
        log(f"memory: {per_item:.1f} B per item beyond its 20 B")
        engine.close()
    return results


# ---- the side-by-side table ----------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reverb-python", default=str(ROOT / ".build" / "venv-reverb" / "bin" / "python"))
    parser.add_argument("--chorus-python", default=str(ROOT / ".build" / "venv" / "bin" / "python"))
    parser.add_argument("--chorus-library", default=str(ROOT / ".build" / "release" / "libChorusC.so"))
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    environment = dict(os.environ, CHORUS_LIBRARY=args.chorus_library,
                       PYTHONPATH=str(ROOT / "Python" / "src"), TF_CPP_MIN_LOG_LEVEL="3")
    columns = {"reverb": {}, "chorus": {}}
    only = args.only.split(",")
    # Memory is measured in a process of its own: one that ran other workloads keeps their freed
    # memory resident and would hide the table's.
    runs = [",".join(w for w in only if w != "memory")] + (["memory"] if "memory" in only else [])
    for workloads in filter(None, runs):
        for key, python in (("reverb", args.reverb_python), ("chorus", args.chorus_python)):
            command = [python, str(HERE), "engine", key, workloads] + (["--quick"] if args.quick else [])
            out = subprocess.run(command, env=environment, stdout=subprocess.PIPE, text=True, check=True).stdout
            columns[key].update(json.loads(out.strip().splitlines()[-1]))
    print("| measure | dm-reverb 0.14.0 | dm-reverb, tf.data | chorus | chorus vs the faster reverb |")
    print("|---|---:|---:|---:|---:|")
    for measure, ours in columns["chorus"].items():
        reverb = columns["reverb"].get(measure.replace(", send_many of 64", "").replace(ARRAYS, "").replace(UNBUFFERED, ""))
        dataset = columns["reverb"].get(measure + " [tf.data]")
        lower_is_better = "µs" in measure or "memory" in measure
        best = [v for v in (reverb, dataset) if v is not None]
        best = (min(best) if lower_is_better else max(best)) if best else None
        ratio = f"{(best / ours if lower_is_better else ours / best):,.1f}×" if best else "n/a"
        cells = [f"{v:,.1f}" if v is not None else "–" for v in (reverb, dataset, ours)]
        print(f"| {measure} | {' | '.join(cells)} | {ratio}{' (lower is better)' if lower_is_better else ''} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "write":
        engine_key, address, size, seconds, count, batch, send_buffer = sys.argv[2:9]
        options = {"batch": int(batch)} if int(batch) > 1 else {}
        if int(send_buffer):
            options["send_buffer"] = int(send_buffer)
        print(json.dumps(ENGINES[engine_key].write(address, int(size), float(seconds), int(count) or None, **options)))
    elif len(sys.argv) > 1 and sys.argv[1] == "engine":
        print(json.dumps(run_engine(sys.argv[2], sys.argv[3].split(","), "--quick" in sys.argv)), flush=True)
        os._exit(0)  # without waiting for a learner thread the rate limiter still blocks
    else:
        main()
