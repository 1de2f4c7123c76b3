"""ES on a MuJoCo task through the coordinator: `chorus coordinator` and `--workers` `chorus
worker --env mujoco:TASK` processes on this machine, until `--max-steps` environment steps.

Prints one line per epoch and writes the learning curve as CSV (`--curve`): epoch, environment
steps so far (every simulated step, the centre episodes included, summed over the workers'
logs), wall seconds since the coordinator started, the centre policy's return (the episode every
worker runs after each update; see LocomotionWorker), the population's mean and best return.
At the end the workers report the final policy's mean return over 10 evaluation episodes.

    python train.py --chorus .build/release/chorus --task HalfCheetah-v5 [--strategy openai]
        [--hidden ""] [--population 48] [--sigma 0.03] [--learning-rate 0.02] [--max-steps 10000000]
"""
import argparse
import csv
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "Tests" / "Interop"))
from child_process import Child  # noqa: E402
from conftest import free_port  # noqa: E402
from mujoco_install import installed_mujoco  # noqa: E402

EPOCH = re.compile(r"^epoch (\d+): mean (-?[\d.]+), best (-?[\d.]+)", re.M)
STEPS = re.compile(r"^worker: epoch (\d+): (?:evaluated \d+ members|centre return (-?[\d.e+]+)), (\d+) steps", re.M)
FINAL = re.compile(r"^worker: final policy: mean return (-?[\d.]+) over (\d+) evaluation episodes", re.M)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chorus", required=True)
    parser.add_argument("--task", default="HalfCheetah-v5")
    parser.add_argument("--strategy", default="openai", choices=["openai", "eggroll"])
    parser.add_argument("--hidden", default="")
    parser.add_argument("--population", type=int, default=48)
    parser.add_argument("--sigma", type=float, default=0.03)
    parser.add_argument("--learning-rate", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=10_000_000)
    parser.add_argument("--threshold", type=float, default=3000, help="report when the centre return first reaches it")
    parser.add_argument("--curve", help="CSV file for the learning curve")
    args = parser.parse_args()

    # Every episode lasts at most 1,000 steps: this many epochs never exceed the budget.
    epochs = max(1, args.max_steps // ((args.population + args.workers) * 1000))
    paths = installed_mujoco()
    port = free_port()
    training = ["--strategy", args.strategy, "--hidden", args.hidden, "--seed", args.seed, "--sigma", args.sigma,
                "--learning-rate", args.learning_rate]
    coordinator = Child([args.chorus, "coordinator", "--population", args.population, "--max-epochs", epochs,
                         "--port", port, "--quiet"])
    workers = []
    seen = 0
    start = time.monotonic()
    try:
        coordinator.wait_for(r"coordinator: listening on", timeout=30)
        workers = [Child([args.chorus, "worker", "--env", f"mujoco:{args.task}", "--port", port, "--cores", 1,
                          *training, "--mujoco-library", paths["CHORUS_MUJOCO_LIBRARY"],
                          "--mujoco-models", paths["CHORUS_MUJOCO_MODELS"]]) for _ in range(args.workers)]
        print(f"{args.task}: {args.strategy}, hidden [{args.hidden}], population {args.population}, "
              f"σ {args.sigma}, learning rate {args.learning_rate}, {epochs} epochs, {args.workers} workers",
              flush=True)
        while coordinator.popen.poll() is None:
            time.sleep(1)
            lines = EPOCH.findall(coordinator.output())
            if len(lines) > seen:
                seen = len(lines)
                epoch, mean, best = lines[-1]
                print(f"epoch {epoch}: population mean {mean}, best {best}, {time.monotonic() - start:.0f} s", flush=True)
        assert coordinator.popen.returncode == 0, coordinator.output()
        finals = []
        for worker in workers:
            assert worker.finish(timeout=300) == 0, worker.output()
            finals.append(FINAL.search(worker.output()))
        final = next(match for match in finals if match)
        rows = curve(coordinator, workers, start)
        reached = next((row for row in rows if row[3] is not None and row[3] >= args.threshold), None)
        print(f"final policy: mean return {final.group(1)} over {final.group(2)} evaluation episodes, "
              f"{rows[-1][1]:,} training steps, {rows[-1][2]:.0f} s; centre return first ≥ {args.threshold:g} "
              + (f"after {reached[1]:,} steps, {reached[2]:.0f} s" if reached else "never"))
    finally:
        for child in [coordinator, *workers]:
            child.stop()
    if args.curve:
        with open(args.curve, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["epoch", "steps", "seconds", "centre_return", "population_mean", "population_best"])
            writer.writerows(rows)


def curve(coordinator, workers, start):
    """Per epoch: environment steps all workers logged through it, the wall seconds at which the
    coordinator finished it, the centre return after its update (logged by every worker alike),
    the population's mean and best."""
    steps, centre = {}, {}
    for worker in workers:
        for match in STEPS.finditer(worker.output()):
            epoch = int(match.group(1))
            steps[epoch] = steps.get(epoch, 0) + int(match.group(3))
            if match.group(2) is not None:
                centre[epoch] = float(match.group(2))
    rows, total = [], 0
    for arrival, line in list(coordinator.lines):
        if match := EPOCH.match(line):
            epoch = int(match.group(1))
            total += steps.get(epoch, 0)
            rows.append((epoch, total, round(arrival - start, 2), centre.get(epoch),
                         float(match.group(2)), float(match.group(3))))
    return rows


if __name__ == "__main__":
    main()
