"""The rollout the Ray tests' fleets run (a module of its own, so Ray's workers import it)."""
import time

import numpy as np

EXAMPLE = {"worker": np.zeros((), np.int64), "step": np.zeros((), np.int64), "obs": np.zeros((8,), np.float32)}
STEPS = 2_000


def numbered_steps(worker_index: int, start: int):
    """Worker `worker_index`'s steps from `start` on, the same ones whenever asked; paced (5 ms
    per 10 steps) like an environment, so a fleet is still sending a second after it starts."""
    for step in range(start, STEPS):
        if step % 10 == 0:
            time.sleep(0.005)
        yield {"worker": np.array(worker_index, np.int64), "step": np.array(step, np.int64),
               "obs": np.full((8,), worker_index * STEPS + step, np.float32)}
