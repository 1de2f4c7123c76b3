"""Chorus's CartPole against the real Gymnasium CartPole-v1: the same start states and actions
over 1,000 steps (several episodes, one reaching the 500-step limit) give the same states and
the same termination and truncation flags."""

import random
import subprocess
import gymnasium


def gymnasium_episodes(total_steps=1000):
    env = gymnasium.make("CartPole-v1")
    episodes, steps, seed = [], 0, 0
    while steps < total_steps:
        env.reset(seed=seed)
        start = [float(v) for v in env.unwrapped.state]
        chooser = random.Random(seed)
        # Mostly a balancing rule, so episodes run long; the first episode never deviates and
        # reaches the time limit.
        flip = 0.0 if seed == 0 else 0.4
        records = []
        while steps < total_steps:
            x, x_dot, theta, theta_dot = env.unwrapped.state
            action = int(theta + 0.5 * theta_dot > 0)
            if chooser.random() < flip:
                action = 1 - action
            _, reward, terminated, truncated, _ = env.step(action)
            records.append((action, [float(v) for v in env.unwrapped.state], terminated, truncated))
            steps += 1
            if terminated or truncated:
                break
        episodes.append((start, records))
        seed += 1
    return episodes


def test_cartpole_matches_gymnasium(chorus):
    episodes = gymnasium_episodes()
    lines = []
    for start, records in episodes:
        lines.append("reset " + " ".join(repr(v) for v in start))
        lines.extend(f"step {action}" for action, _, _, _ in records)
    run = subprocess.run([str(chorus), "env", "cartpole"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    outputs = run.stdout.splitlines()
    expected = [record for _, records in episodes for record in records]
    assert len(outputs) == len(expected) == 1000
    assert any(truncated for _, _, _, truncated in expected), "no episode reached the time limit"
    assert sum(terminated for _, _, terminated, _ in expected) >= 2
    worst = 0.0
    for line, (_, state, terminated, truncated) in zip(outputs, expected):
        fields = line.split()
        ours = [float(v) for v in fields[:4]]
        worst = max(worst, max(abs(a - b) for a, b in zip(ours, state)))
        assert (fields[4] == "true", fields[5] == "true") == (terminated, truncated), line
    assert worst < 1e-9, f"largest state difference {worst}"
