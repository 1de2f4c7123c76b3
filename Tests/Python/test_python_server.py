"""chorus.Server: in-process submits, zero-copy batches, lifetimes and clear errors."""
import ctypes
import gc
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import chorus
from conftest import ROOT

EXAMPLE = {"obs": np.zeros((4,), np.float32), "reward": np.zeros((1,), np.float32)}


def step(i: int) -> dict:
    return {"obs": np.full((4,), i, np.float32), "reward": np.array([i], np.float32)}


def test_batches_hold_every_sample_in_order_with_the_batch_shape():
    server = chorus.Server(EXAMPLE, batch_size=8)
    for i in range(16):
        server.submit(step(i))
    for first in (0, 8):
        sample = server.sample()
        assert sample.batch["obs"].shape == (8, 4) and sample.batch["reward"].shape == (8, 1)
        assert sample.batch["obs"].dtype == np.float32
        np.testing.assert_array_equal(sample.batch["reward"][:, 0], np.arange(first, first + 8))
    assert sample.info.samples_inserted_total == 16
    assert sample.info.batches_delivered == 2
    server.close()
    assert server.sample() is None


def test_close_still_delivers_a_partly_filled_last_batch_with_its_empty_slots_masked():
    server = chorus.Server(EXAMPLE, batch_size=8)
    for i in range(11):
        server.submit(step(i))
    server.close()
    assert server.sample().info.batch_invalid == 0
    last = server.sample()
    assert last.info.batch_invalid == 5
    np.testing.assert_array_equal(server.valid_mask(), [True] * 3 + [False] * 5)
    np.testing.assert_array_equal(last.batch["reward"][:, 0], [8, 9, 10, 0, 0, 0, 0, 0])
    assert server.sample() is None


def test_leaves_are_views_of_the_ring_not_copies():
    server = chorus.Server(EXAMPLE, batch_size=4, num_buffers=2)
    seen = {}
    for round_ in range(4):
        for i in range(4):
            server.submit(step(i))
        obs = server.sample().batch["obs"]
        assert not obs.flags.owndata
        seen.setdefault(round_ % 2, set()).add(obs.__array_interface__["data"][0])
    # Batches at the same ring position are the same memory, two positions two addresses.
    assert all(len(addresses) == 1 for addresses in seen.values())
    assert seen[0] != seen[1]


def test_a_batch_is_read_only_after_the_next_sample_and_copies_are_owned():
    server = chorus.Server(EXAMPLE, batch_size=2)
    for i in range(6):
        server.submit(step(i))
    first = server.sample().batch
    first["obs"][0, 0] = 42.0  # the held batch is the learner's to write
    server.sample()
    with pytest.raises(ValueError, match="read-only"):
        first["obs"][0, 0] = 1.0
    server.close()
    copied = next(server.dataset_iter(copy=True)).batch
    assert copied["obs"].flags.owndata
    np.testing.assert_array_equal(copied["reward"][:, 0], [4, 5])


def test_views_keep_the_ring_alive_after_the_server_is_dropped():
    server = chorus.Server(EXAMPLE, batch_size=2)
    server.submit(step(7))
    server.submit(step(8))
    obs = server.sample().batch["obs"]
    del server
    gc.collect()
    np.testing.assert_array_equal(obs[:, 0], [7, 8])


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ({"obs": np.zeros((4,), np.float64), "reward": np.zeros((1,), np.float32)}, "leaf 'obs': dtype float64"),
        ({"obs": np.zeros((5,), np.float32), "reward": np.zeros((1,), np.float32)}, r"leaf 'obs': shape \(5,\)"),
        ({"obs": np.zeros((4,), np.float32)}, "leaf 'reward' is missing"),
        ({**EXAMPLE, "extra": np.zeros(1)}, "leaf 'extra' is not in the schema"),
        ({"obs": [0.0] * 4, "reward": np.zeros((1,), np.float32)}, "leaf 'obs' is a container"),
    ],
)
def test_a_wrong_sample_raises_naming_the_leaf_and_writes_nothing(sample, message):
    server = chorus.Server(EXAMPLE, batch_size=2)
    with pytest.raises(ValueError, match=message):
        server.submit(sample)
    assert server.info().samples_committed == 0


def test_numpy_scalars_and_strided_arrays_are_accepted():
    server = chorus.Server({"x": np.zeros((), np.int64), "y": np.zeros((3,), np.float32)}, batch_size=1)
    server.submit({"x": np.int64(5), "y": np.arange(6, dtype=np.float32)[::2]})
    batch = server.sample().batch
    assert batch["x"][0] == 5
    np.testing.assert_array_equal(batch["y"][0], [0, 2, 4])


def test_submit_many_takes_stacked_samples_and_checks_their_count():
    server = chorus.Server(EXAMPLE, batch_size=3)
    server.submit_many({"obs": np.arange(12, dtype=np.float32).reshape(3, 4), "reward": np.ones((3, 1), np.float32)})
    np.testing.assert_array_equal(server.sample().batch["obs"][2], [8, 9, 10, 11])
    with pytest.raises(ValueError, match="leaf 'reward'"):
        server.submit_many({"obs": np.zeros((3, 4), np.float32), "reward": np.zeros((2, 1), np.float32)})


def test_a_full_ring_times_out_and_a_closed_server_refuses():
    server = chorus.Server(EXAMPLE, batch_size=1, num_buffers=2)
    server.submit(step(0))
    server.submit(step(1))
    with pytest.raises(TimeoutError):
        server.submit(step(2), timeout=0.05)
    assert server.sample(timeout=0.05) is not None
    server.close()
    with pytest.raises(chorus.ServerClosedError):
        server.submit(step(3))
    with pytest.raises(chorus.ServerClosedError):
        server.start()


def test_sample_with_a_timeout_returns_none_when_nothing_comes():
    server = chorus.Server(EXAMPLE, batch_size=1)
    assert server.sample(timeout=0.05) is None


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="buffer"):
        chorus.Server(EXAMPLE, batch_size=4, num_buffers=1)
    with pytest.raises(ValueError, match="more than the memory this process may use"):
        chorus.Server({"frame": np.zeros((1024, 1024), np.uint8)}, batch_size=1 << 20)  # 3 TiB
    with pytest.raises(TypeError, match="numpy arrays"):
        chorus.Server({"obs": [1, 2]}, batch_size=4)
    with pytest.raises(RuntimeError, match="pin_host_memory"):
        chorus.Server(EXAMPLE, batch_size=4, pin_host_memory=True)
    with pytest.raises(ValueError, match="complex64"):
        chorus.Server({"z": np.zeros(2, np.complex64)}, batch_size=4)
    with pytest.raises(RuntimeError, match="start"):
        _ = chorus.Server(EXAMPLE, batch_size=4).port


def test_schema_files_load_and_serve_their_example():
    schema = chorus.Schema.load(ROOT / "Schemas" / "cartpole-trajectory.json")
    assert [leaf.path for leaf in schema.leaves] == [
        "episode.length", "episode.return", "step.action", "step.done", "step.obs", "step.reward"]
    server = chorus.Server(schema, batch_size=1)
    sample = schema.example()
    sample["step"]["obs"][:] = 3.0
    server.submit(sample)
    assert server.sample().batch["step"]["obs"].shape == (1, 16, 4)
    assert schema == chorus.Schema.from_example(schema.example())


def test_nested_lists_and_tuples_flatten_like_optree():
    example = {"frames": [np.zeros(2, np.uint8), np.zeros(3, np.uint8)], "pair": (np.zeros((), np.bool_), np.zeros(1))}
    schema = chorus.Schema.from_example(example)
    assert [leaf.path for leaf in schema.leaves] == ["frames.0", "frames.1", "pair.0", "pair.1"]


def test_the_library_reports_its_abi_and_version():
    from chorus import _native

    assert _native.lib.chorus_abi_version() == _native.ABI_VERSION
    assert chorus.__version__.count(".") == 2
    assert isinstance(ctypes.sizeof(_native.ServerMetrics()), int)


def test_ctrl_c_reaches_a_learner_blocked_in_sample():
    learner = subprocess.Popen(
        [sys.executable, "-c", "import numpy as np, chorus; s = chorus.Server({'x': np.zeros(1)}, batch_size=4); "
         "print('waiting', flush=True); s.sample()"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "Python" / "src")},
    )
    try:
        assert learner.stdout.readline().strip() == "waiting"
        time.sleep(0.5)  # into the wait: a wait that never returned to Python would never see the signal
        learner.send_signal(signal.SIGINT)
        _, stderr = learner.communicate(timeout=10)
    finally:
        if learner.poll() is None:
            learner.kill()
    assert "KeyboardInterrupt" in stderr


def test_sample_info_is_a_snapshot_taken_with_its_batch():
    server = chorus.Server(EXAMPLE, batch_size=2, num_buffers=4)
    for i in range(2):
        server.submit(step(i))
    first = server.sample().info
    for i in range(4):
        server.submit(step(i))
    second = server.sample().info
    assert (first.samples_inserted_total, first.batches_delivered, first.store_size) == (2, 1, 2)
    assert (second.samples_inserted_total, second.batches_delivered, second.store_size) == (6, 2, 4)
    assert first.queue_depth_max == 0 and first.drain_round.count == 0  # id-echo's fields Chorus has not
    assert server.info().samples_inserted_total == 6
