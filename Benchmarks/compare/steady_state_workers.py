"""The no-barrier GA across processes: do fast workers keep their pace beside a slow one?

A `chorus coordinator --mode steady-state` and 3 `chorus worker --mode steady-state` processes
whose every evaluation takes 2 ms (a sleep standing in for an environment, plus a 1-episode
CartPole run of a 4-unit policy), then the same with a fourth worker 10× slower (20 ms). The
rate is the 3 fast workers' results per second over the run (the coordinator's count of each
worker's results, over its run time); configurations alternate, each `--repeats` times.

    python steady_state_workers.py --chorus .build/release/chorus [--evaluations 3000] [--repeats 3]
"""
import argparse
import re
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "Tests" / "Interop"))
from child_process import Child  # noqa: E402
from conftest import free_port  # noqa: E402


def run(args, slow_worker: bool) -> float:
    port = free_port()
    coordinator = Child([args.chorus, "coordinator", "--mode", "steady-state", "--port", port, "--evaluations",
                         args.evaluations, "--pool-size", 32, "--quiet"])
    workers = []
    try:
        coordinator.wait_for(r"coordinator: listening on", timeout=30)
        common = ["worker", "--mode", "steady-state", "--port", port, "--cores", 1, "--episodes", 1, "--hidden", 4,
                  "--quiet"]
        workers = [Child([args.chorus, *common, "--evaluate-delay", 0.002]) for _ in range(3)]
        if slow_worker:
            workers.append(Child([args.chorus, *common, "--evaluate-delay", 0.020]))
        assert coordinator.finish(timeout=600) == 0, coordinator.output()
        done = coordinator.wait_for(r"^done: \d+ evaluated, \d+ re-evaluations in ([\d.]+) s", timeout=1)
        results = [int(n) for _, n in sorted(re.findall(r"worker (\d+): (\d+)", coordinator.output()),
                                             key=lambda pair: int(pair[0]))]
        # Workers join in any order: the slow one is the one with the fewest results.
        fast = sorted(results, reverse=True)[:3]
        return sum(fast) / float(done.group(1))
    finally:
        for child in [coordinator, *workers]:
            child.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chorus", required=True)
    parser.add_argument("--evaluations", type=int, default=3_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rates = {False: [], True: []}
    for _ in range(args.repeats):
        for slow in (False, True):
            rates[slow].append(run(args, slow))
    without, beside = statistics.median(rates[False]), statistics.median(rates[True])
    print("| workers | 3 fast workers' results/s: median (range) |")
    print("|---|---|")
    print(f"| 3 × 2 ms | {without:,.0f} ({min(rates[False]):,.0f}–{max(rates[False]):,.0f}) |")
    print(f"| 3 × 2 ms + 1 × 20 ms | {beside:,.0f} ({min(rates[True]):,.0f}–{max(rates[True]):,.0f}) |")
    print(f"with the slow worker the fast ones keep {beside / without:.1%} of their rate")


if __name__ == "__main__":
    main()
