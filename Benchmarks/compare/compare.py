"""Chorus side by side with id-echo 0.2.1, in one run, on this machine.

For each sample size, batch size and connection count, the configurations run in alternation
(A B C …, A B C …, ...), each `--repeats` times:

  A  id-echo's Python server         fed by `chorus load --protocol echo`
  B  `chorus serve` (Swift learner)   fed by `chorus load --protocol echo`   (same load generator as A)
  C  `chorus serve`                   fed by `chorus load --protocol chorus`
  D  id-echo's Python server         fed by id-echo's own Python TcpClient (one process per connection)
  E  `chorus serve`                   fed by id-echo's own Python TcpClient
  F  chorus's Python server           fed by `chorus load --protocol echo`   (the Python learner of A)
  G  `chorus serve`                   fed by chorus's Python TcpClient.send (wire v1)
  H  `chorus serve`                   fed by chorus's Python TcpClient.send_many (wire v1)
  S  `chorus serve --shm`             fed by `chorus load --shm` (same-host producers writing the ring)

The Python learners (A, D, F) run the same loop: `for s in server.dataset_iter()`, touching one
element per batch. Python clients (D, E, G, H) have `--window` unacked samples. Each learner
prints progress lines; the rate is what its learner loop took over a fixed window after a warm-up.
Server CPU is read from /proc over the same window. The machine's loopback TCP limit (one stream,
1 MiB writes) and, for S, a plain memcpy of the same bytes in this process (the producer's
blocks copied into a ring-sized buffer) are measured in the same run, and results are shown
against them.

    python compare.py [--quick] [--sizes 20,28224,1048576] [--batch-sizes 32,256]
                      [--connections 1,2,4] [--configs ABCDE] [--repeats 3] [--num-buffers 3]
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))
from child_process import Child  # noqa: E402
SCHEMAS = {
    20: {"obs": "float32[4]", "reward": "float32[]"},
    28_224: {"obs": "uint8[84,84,4]"},
    1_048_576: {"x": "uint8[1048576]"},
}
CONFIGS = {
    "A": ("id-echo py", "load v1"),
    "B": ("chorus", "load v1"),
    "C": ("chorus", "load v2"),
    "D": ("id-echo py", "id-echo client"),
    "E": ("chorus", "id-echo client"),
    "F": ("chorus py", "load v1"),
    "G": ("chorus", "chorus send"),
    "H": ("chorus", "chorus send_many"),
    "S": ("chorus", "load shm"),
}
PYTHON_FEEDERS = {"id-echo client": "echo", "chorus send": "send", "chorus send_many": "send_many"}
# Ratios printed when both configurations ran: numerator / denominator.
RATIOS = ["B/A", "F/A", "F/B", "E/D", "G/E", "H/E", "H/C", "S/C"]


def run_cell(args, schema_file: Path, size: int, batch: int, connections: int, config: str) -> dict:
    server_kind, feeder_kind = CONFIGS[config]
    interval = 0.25
    socket = schema_file.with_suffix(".sock")
    if server_kind == "chorus":
        server = Child([args.chorus, "serve", "--schema", schema_file, "--batch-size", batch, "--echo-port", 0,
                        "--port", 0, "--progress-interval", interval, "--shm", socket, "--num-buffers", args.num_buffers])
    else:
        package = "echo" if server_kind == "id-echo py" else "chorus"
        server = Child([sys.executable, HERE / "python_learner.py", package, schema_file, batch, interval])
    feeders = []
    try:
        wire = "chorus" if feeder_kind == "load v2" else "echo"
        port = server.wait_for(rf"listening: {wire} on [\d.]+:(\d+)").group(1)
        run_for = args.warmup + args.window + 2
        start = time.monotonic()
        if feeder_kind == "load shm":
            feeders.append(Child([args.chorus, "load", "--shm", socket, "--schema", schema_file,
                                  "--connections", connections, "--seconds", run_for]))
        elif feeder_kind.startswith("load"):
            feeders.append(Child([args.chorus, "load", "--port", port, "--schema", schema_file, "--protocol", wire,
                                  "--connections", connections, "--seconds", run_for]))
        else:
            feeders += [Child([sys.executable, HERE / "python_feeder.py", PYTHON_FEEDERS[feeder_kind], schema_file,
                               port, run_for, args.window_samples]) for _ in range(connections)]
        time.sleep(max(0, start + args.warmup - time.monotonic()))
        cpu_start = server.cpu_seconds()
        time.sleep(max(0, start + args.warmup + args.window - time.monotonic()))
        cpu_end = server.cpu_seconds()
        window = [(t, int(m.group(1))) for t, line in list(server.lines)
                  if start + args.warmup - interval <= t <= start + args.warmup + args.window
                  and (m := re.search(r"total (\d+) batches", line))]
    finally:
        for feeder in feeders:
            feeder.stop()
        server.stop()
    if len(window) < 2:
        return {"samples": 0.0, "cpu_per_gb": None, "stalled": True}
    (t0, b0), (t1, b1) = window[0], window[-1]
    samples = (b1 - b0) * batch / (t1 - t0)
    gigabytes = samples * size * args.window / 1e9
    last_rate_zero = len(window) >= 3 and window[-1][1] == window[-3][1]
    return {"samples": samples, "cpu_per_gb": (cpu_end - cpu_start) / gigabytes if gigabytes > 0 else None,
            "stalled": last_rate_zero}


def loopback_limit(seconds=2.0) -> float:
    return float(subprocess.run([sys.executable, HERE / "loopback.py", str(seconds)], capture_output=True,
                                text=True, check=True).stdout)


def memcpy_bandwidth(size: int, batch: int, buffers: int, seconds=1.0) -> float:
    """Bytes per second one thread copies the bytes a shared-memory producer writes, with a plain
    memcpy: blocks as `chorus load --shm` sends them (up to 4,096 samples, at most 16 MiB) into a
    buffer the size of the learner's ring (`buffers` batches), one after the other, round and round."""
    import numpy as np
    block = max(1, min(4096, (16 << 20) // size)) * size
    source = np.ones(block, dtype=np.uint8)
    target = np.ones(max(buffers * batch * size, block), dtype=np.uint8)  # every page touched before timing
    offset, copied, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        count = min(block, target.size - offset)
        target[offset:offset + count] = source[:count]
        offset = (offset + count) % target.size
        copied += count
    return copied / (time.perf_counter() - start)


def human(samples: float) -> str:
    return f"{samples / 1e6:.2f} M" if samples >= 1e6 else f"{samples / 1e3:.1f} k" if samples >= 1e3 else f"{samples:.0f}"


def cell_text(results: list[dict], size: int) -> str:
    rates = [r["samples"] for r in results]
    median = statistics.median(rates)
    text = f"{human(median)}/s · {median * size / 1e6:,.0f} MB/s ({human(min(rates))}–{human(max(rates))})"
    stalls = sum(r["stalled"] for r in results)
    return text + (f" ⚠ stalled {stalls}/{len(results)}" if stalls else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chorus", default=str(ROOT / ".build" / "release" / "chorus"))
    parser.add_argument("--sizes", default="20,28224,1048576")
    parser.add_argument("--batch-sizes", default="32,256")
    parser.add_argument("--connections", default="1,2,4")
    parser.add_argument("--configs", default="ABCDE")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--num-buffers", type=int, default=3,
                        help="buffers in `chorus serve`'s ring (id-echo's learners keep their default)")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--window-samples", type=int, default=1024, help="unacked samples of the Python clients")
    parser.add_argument("--chorus-library", default=str(ROOT / ".build" / "release" / "libChorusC.so"),
                        help="libChorusC.so for chorus's Python package (F, G, H)")
    parser.add_argument("--quick", action="store_true", help="one repeat, 20 B and 28 KB, batch 256, 1 and 4 connections")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.batch_sizes, args.connections, args.repeats = "20,28224", "256", "1,4", 1
    sizes = [int(s) for s in args.sizes.split(",")]
    batches = [int(b) for b in args.batch_sizes.split(",")]
    connection_counts = [int(c) for c in args.connections.split(",")]
    configs = list(args.configs)
    # The chorus Python package, from the source tree, for the learner and feeder processes.
    os.environ["CHORUS_LIBRARY"] = args.chorus_library
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "Python" / "src"), os.environ.get("PYTHONPATH")]))

    limit = loopback_limit()
    memcpy = {(size, batch): memcpy_bandwidth(size, batch, args.num_buffers) for size in sizes for batch in batches} if "S" in configs else {}
    started = datetime.datetime.now(datetime.timezone.utc)
    print(f"# Chorus vs id-echo 0.2.1 — {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {platform.platform()}")
    print(f"loopback TCP limit (one stream, 1 MiB writes): {limit / 1e6:,.0f} MB/s\n", flush=True)
    results: dict[tuple, list[dict]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            schema_file = Path(scratch) / f"schema-{size}.json"
            schema_file.write_text(json.dumps(SCHEMAS[size]))
            for batch in batches:
                for connections in connection_counts:
                    for repeat in range(args.repeats):
                        for config in configs:
                            result = run_cell(args, schema_file, size, batch, connections, config)
                            results.setdefault((size, batch, connections, config), []).append(result)
                            print(f"  {size} B, batch {batch}, {connections} conn, {config} #{repeat + 1}: "
                                  f"{human(result['samples'])} samples/s", file=sys.stderr, flush=True)

    for size in sizes:
        print(f"\n## {size:,} B samples `{json.dumps(SCHEMAS[size])}`\n")
        headers = ["batch", "conns"] + [f"{c}: {CONFIGS[c][0]} ← {CONFIGS[c][1]}" for c in configs]
        ratios = [r for r in RATIOS if set(r.split("/")) <= set(configs)]
        headers += ratios
        cpu_configs = [c for c in "ABCFS" if c in configs]
        headers += [f"CPU s/GB {c}" for c in cpu_configs]
        if "B" in configs:
            headers += ["B / loopback"]
        if "S" in configs:
            headers += ["memcpy", "S / memcpy"]
        print("| " + " | ".join(headers) + " |")
        print("|" + "---|" * len(headers))
        for batch in batches:
            for connections in connection_counts:
                cells = [str(batch), str(connections)]
                medians = {}
                for config in configs:
                    runs = results[(size, batch, connections, config)]
                    medians[config] = statistics.median(r["samples"] for r in runs)
                    cells.append(cell_text(runs, size))
                for ratio in ratios:
                    top, bottom = ratio.split("/")
                    cells.append(f"{medians[top] / medians[bottom]:.2f}×" if medians[bottom] else f"∞ ({bottom} stalled)")
                for config in cpu_configs:
                    cpu = [r["cpu_per_gb"] for r in results[(size, batch, connections, config)] if r["cpu_per_gb"]]
                    cells.append(f"{statistics.median(cpu):.2f}" if cpu else "–")
                if "B" in configs:
                    cells.append(f"{medians['B'] * size / limit:.0%}")
                if "S" in configs:
                    bandwidth = memcpy[(size, batch)]
                    cells += [f"{bandwidth / 1e6:,.0f} MB/s", f"{medians['S'] * size / bandwidth:.0%}"]
                print("| " + " | ".join(cells) + " |")
    print(f"\nMedian of {args.repeats} runs (min–max), {args.warmup:g} s warm-up then a {args.window:g} s window; "
          f"CPU is the server process's user+system time per GB taken by its learner loop.")


if __name__ == "__main__":
    main()
