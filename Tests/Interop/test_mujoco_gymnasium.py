"""Chorus's MuJoCo locomotion tasks against the real Gymnasium v5 environments (same MuJoCo
library): the same start states and actions over 1,000 steps give the same positions,
velocities, observations, rewards and termination and truncation flags. Tolerance: 1e-9
absolute (both drive the same libmujoco; the difference seen is 0)."""

import os
import subprocess

import gymnasium
import numpy as np
import pytest

TOLERANCE = 1e-9


def gymnasium_steps(name, total_steps=1000):
    """Episodes of `name` under random actions (some beyond the control range, which MuJoCo
    clamps while the cost counts them), as `chorus env mujoco` input lines and expectations."""
    env = gymnasium.make(name)
    data = env.unwrapped.data
    lines, expected, seed = [], [], 0
    chooser = np.random.default_rng(7)
    while len(expected) < total_steps:
        env.reset(seed=seed)
        seed += 1
        lines.append("reset " + " ".join(repr(float(v)) for v in np.concatenate([data.qpos, data.qvel])))
        while len(expected) < total_steps:
            action = chooser.uniform(-1.2, 1.2, size=env.action_space.shape)
            observation, reward, terminated, truncated, _ = env.step(action)
            lines.append("step " + " ".join(repr(float(v)) for v in action))
            expected.append((np.concatenate([data.qpos, data.qvel]), observation, reward, terminated, truncated))
            if terminated or truncated:
                break
    return lines, expected


def chorus_steps(chorus, mujoco_paths, name, lines):
    run = subprocess.run([str(chorus), "env", "mujoco", name], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, timeout=120, env={**os.environ, **mujoco_paths})
    assert run.returncode == 0, run.stderr
    steps = []
    for line in run.stdout.splitlines():
        state, observation, outcome = line.split(" | ")
        reward, terminated, truncated = outcome.split()
        steps.append((np.array(state.split(), float), np.array(observation.split(), float),
                      float(reward), terminated == "true", truncated == "true"))
    return steps


@pytest.mark.parametrize("name", ["HalfCheetah-v5", "Hopper-v5"])
def test_locomotion_matches_gymnasium(chorus, mujoco_paths, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo appends its warnings to MUJOCO_LOG.TXT here
    lines, expected = gymnasium_steps(name)
    ours = chorus_steps(chorus, mujoco_paths, name, lines)
    assert len(ours) == len(expected) == 1000
    worst = 0.0
    for index, (mine, theirs) in enumerate(zip(ours, expected)):
        for a, b in zip(mine[:3], theirs[:3]):
            worst = max(worst, float(np.max(np.abs(np.asarray(a) - np.asarray(b)))))
        assert mine[3:] == theirs[3:], f"step {index}: flags {mine[3:]} vs Gymnasium's {theirs[3:]}"
    assert worst <= TOLERANCE, f"largest difference {worst}"
    if name == "HalfCheetah-v5":
        assert expected[-1][4], "the episode did not reach the 1,000-step limit"
    else:
        assert sum(step[3] for step in expected) >= 5, "too few Hopper episodes ended by falling"


def test_a_bad_line_is_refused_with_the_reason(chorus, mujoco_paths):
    run = subprocess.run([str(chorus), "env", "mujoco", "Hopper-v5"], input="reset 1 2 3\n",
                         capture_output=True, text=True, timeout=60, env={**os.environ, **mujoco_paths})
    assert run.returncode != 0
    assert "line 1: expected `reset` with 12 numbers or `step` with 3" in run.stderr


def test_a_missing_library_is_named(chorus, mujoco_paths):
    paths = {**mujoco_paths, "CHORUS_MUJOCO_LIBRARY": "/nonexistent/libmujoco.so"}
    run = subprocess.run([str(chorus), "env", "mujoco", "Hopper-v5"], input="", capture_output=True,
                         text=True, timeout=60, env={**os.environ, **paths})
    assert run.returncode != 0
    assert "cannot open the MuJoCo library /nonexistent/libmujoco.so" in run.stderr
