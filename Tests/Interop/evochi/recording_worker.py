"""An evochi 0.1.4 worker for the interop tests: deterministic "training" whose every step
can be checked, and a JSON-lines log of what it saw.

The state is a hash chain: member i's reward is a function of (state, i), and optimize hashes
(state, epoch, rewards). A worker that ever sees a wrong or incomplete reward vector, or the
wrong state, ends in a different state, and its log shows where.

Usage: recording_worker.py PORT CORES LOG [--eval-delay S] [--optimize-delay S] [--start-when FILE]
                           [--no-heartbeats]
"""
import argparse
import asyncio
import hashlib
import json
import os
import struct
import time
from dataclasses import dataclass

import grpc.aio as grpc

import evochi.v1 as evochi


@dataclass
class State:
    digest: str


def initial_state() -> State:
    return State(digest=hashlib.sha256(b"chorus-interop").hexdigest())


def reward(state: State, member: int) -> float:
    value = hashlib.sha256(f"{state.digest}:{member}".encode()).digest()[0]
    return float(value) - 128.0


def next_state(state: State, epoch: int, rewards: list[float]) -> State:
    payload = f"{state.digest}:{epoch}:".encode() + struct.pack(f"<{len(rewards)}f", *rewards)
    return State(digest=hashlib.sha256(payload).hexdigest())


def expected_final(population: int, epochs: int) -> str:
    state = initial_state()
    for epoch in range(1, epochs + 1):
        state = next_state(state, epoch, [reward(state, i) for i in range(population)])
    return state.digest


class RecordingWorker(evochi.Worker[State]):
    def __init__(self, channel, cores, log_path, eval_delay, optimize_delay):
        super().__init__(channel, cores)
        self.log = open(log_path, "a", buffering=1)
        self.eval_delay = eval_delay
        self.optimize_delay = optimize_delay

    def record(self, **entry):
        entry["time"] = time.monotonic()
        self.log.write(json.dumps(entry) + "\n")

    def initialize(self) -> State:
        self.record(event="initialize")
        return initial_state()

    def evaluate(self, epoch, slices):
        self.record(event="evaluate", epoch=epoch, slices=[[s.start, s.stop] for s in slices])
        time.sleep(self.eval_delay)
        return [evochi.Eval(slice=s, rewards=[reward(self.state, i) for i in range(s.start, s.stop)]) for s in slices]

    def optimize(self, epoch, rewards):
        expected = [reward(self.state, i) for i in range(len(rewards))]
        self.record(event="optimize", epoch=epoch, count=len(rewards), correct=rewards == expected)
        time.sleep(self.optimize_delay)
        return next_state(self.state, epoch, rewards)

    def on_state_change(self, state):
        self.record(event="state", digest=state.digest)

    def on_stop(self, cancel):
        self.record(event="stop", cancel=cancel)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("cores", type=int)
    parser.add_argument("log")
    parser.add_argument("--eval-delay", type=float, default=0.0)
    parser.add_argument("--optimize-delay", type=float, default=0.0)
    parser.add_argument("--start-when", help="connect only once this file exists (imports done, so joining is quick)")
    parser.add_argument("--no-heartbeats", action="store_true", help="a worker whose heartbeats stopped")
    args = parser.parse_args()
    if args.no_heartbeats:
        async def silent(self):
            return
        RecordingWorker._keep_alive = silent
    if args.start_when:
        deadline = time.monotonic() + 120
        while not os.path.exists(args.start_when) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
    channel = grpc.insecure_channel(f"127.0.0.1:{args.port}")
    worker = RecordingWorker(channel, args.cores, args.log, args.eval_delay, args.optimize_delay)
    await worker.start()
    worker.record(event="exit")


if __name__ == "__main__":
    asyncio.run(main())
