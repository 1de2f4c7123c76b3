"""Replay tables from Python: chorus.Table on chorus.Server, in process and over TCP, with
dm-reverb's names (selectors, rate_limiters, insert/sample/update_priorities)."""

import threading
import time

import numpy as np
import pytest

import chorus

EXAMPLE = {"obs": np.zeros(4, np.float32), "action": np.zeros((), np.int64)}


def step(i: int):
    return {"obs": np.full(4, i, np.float32), "action": np.array(i, np.int64)}


def stacked(ids):
    ids = np.asarray(ids)
    return {"obs": np.repeat(ids[:, None], 4, axis=1).astype(np.float32), "action": ids.astype(np.int64)}


def prioritized_server(**kwargs):
    table = chorus.Table("replay", sampler=chorus.selectors.Prioritized(1.0), remover=chorus.selectors.Fifo(),
                         max_size=1000, rate_limiter=chorus.rate_limiters.MinSize(1), **kwargs)
    return chorus.Server(EXAMPLE, 8, tables=[table])


def test_insert_sample_update_with_reverbs_names():
    with prioritized_server() as server:
        keys = [server.insert("replay", step(i), priority=float(i)) for i in range(10)]
        assert len(set(keys)) == 10
        data, sampled_keys, probabilities = server.sample("replay", 2000)
        assert data["obs"].shape == (2000, 4) and data["action"].dtype == np.int64
        assert np.all(data["obs"][:, 0] == data["action"])  # rows gathered intact
        assert 0 not in set(data["action"].tolist())  # priority 0 is never drawn
        counts = np.bincount(data["action"], minlength=10)
        assert abs(counts[9] / 2000 - 9 / 45) < 0.05
        assert np.allclose(probabilities, data["action"] / 45)
        server.update_priorities("replay", {keys[9]: 0.0, keys[0]: 1000.0})
        sample = server.sample("replay", 500)
        assert sample.data["action"].tolist().count(0) > 450
        assert sample.priorities.max() == 1000.0 and sample.table_sizes[0] == 10
        # The array form, as a learner holds them: a sample's keys and new priorities.
        server.update_priorities("replay", np.array([keys[0], keys[5]], np.uint64), np.array([0.0, 7.0]))
        sample = server.sample("replay", 200)
        assert set(sample.data["action"].tolist()) <= {1, 2, 3, 4, 5, 6, 7, 8}
        assert sample.priorities.max() == 8.0


def test_insert_many_and_queue_tables():
    with chorus.Server(EXAMPLE, 4, tables=[chorus.Table.queue("queue", 16)]) as server:
        keys = server.insert_many("queue", stacked(range(16)), priorities=1.0)
        assert keys.dtype == np.uint64 and len(keys) == 16
        with pytest.raises(TimeoutError):
            server.insert("queue", step(99), timeout=0.05)
        assert server.sample("queue", 16).data["action"].tolist() == list(range(16))
        with pytest.raises(TimeoutError):
            server.sample("queue", 1, timeout=0.05)
        with pytest.raises(ValueError, match="band"):
            server.sample("queue", 17)
        assert server.table_info("queue")["samples"] == 16


def test_insert_many_returns_every_key_when_it_waits_across_wait_slices():
    """A queue of 4 takes 12 items while a slow learner makes room: the insert waits in C across
    several of Python's wait slices, and the keys of the items taken in each slice are kept."""
    with chorus.Server(EXAMPLE, 4, tables=[chorus.Table.queue("queue", 4)]) as server:
        drained = []

        def learn():
            while len(drained) < 12:
                time.sleep(0.15)
                drained.extend(server.sample("queue", 1, timeout=10).keys.tolist())

        learner = threading.Thread(target=learn)
        learner.start()
        keys = server.insert_many("queue", stacked(range(12)), timeout=30)
        learner.join(timeout=30)
        assert 0 not in keys.tolist() and len(set(keys.tolist())) == 12
        assert drained == keys.tolist()


def test_bad_input_is_refused_and_changes_nothing():
    with prioritized_server() as server:
        key = server.insert("replay", step(1))
        for bad in (float("nan"), float("inf"), -1.0):
            with pytest.raises(ValueError, match="priority"):
                server.insert("replay", step(2), priority=bad)
            with pytest.raises(ValueError, match="priority"):
                server.update_priorities("replay", {key: bad})
        with pytest.raises(KeyError, match="nope"):
            server.insert("nope", step(1))
        with pytest.raises(KeyError, match="no item"):
            server.update_priorities("replay", {key + 1: 1.0})
        with pytest.raises(ValueError, match="2 priorities for 1 keys"):
            server.update_priorities("replay", [key], [1.0, 2.0])
        with pytest.raises(ValueError, match="obs"):
            server.insert("replay", {"obs": np.zeros(3, np.float32), "action": np.array(0, np.int64)})
        for size in (0, -1):
            with pytest.raises(ValueError, match=f"a batch of {size} cannot be sampled"):
                server.sample("replay", size)
        assert server.table_info("replay")["size"] == 1
    with pytest.raises(ValueError, match="minSizeToSample"):
        chorus.Server(EXAMPLE, 8, tables=[chorus.Table("t", max_size=10, rate_limiter=chorus.rate_limiters.MinSize(11))])
    with pytest.raises(ValueError, match="error range"):
        chorus.Server(EXAMPLE, 8, tables=[chorus.Table(
            "t", rate_limiter=chorus.rate_limiters.SampleToInsertRatio(4.0, 10, 1.0))])


def test_clients_write_their_table_over_tcp_with_priorities():
    table = chorus.Table("replay", sampler=chorus.selectors.Uniform(), max_size=10_000)
    with chorus.Server(EXAMPLE, 8, transport=chorus.ChorusTransport(), tables=[table]) as server:
        server.start()

        def produce(first):
            with chorus.TcpClient("127.0.0.1", server.port, EXAMPLE, protocol="chorus", table="replay") as client:
                for i in range(first, first + 200):
                    client.send(step(i), priority=float(i % 7))
                client.send_many(stacked(range(first + 200, first + 300)), priorities=np.arange(100) % 7)
                client.wait()

        workers = [threading.Thread(target=produce, args=(n * 1000,)) for n in range(3)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert server.table_info("replay")["size"] == 900
        sample = server.sample("replay", 900)
        assert set(sample.priorities.tolist()) <= set(float(p) for p in range(7))
        with pytest.raises(ConnectionRefusedError, match="no table named"):
            chorus.TcpClient("127.0.0.1", server.port, EXAMPLE, protocol="chorus", table="missing")
        with pytest.raises(ValueError, match="table"):
            chorus.TcpClient("127.0.0.1", server.port, EXAMPLE, protocol="echo", table="replay")


def test_a_checkpoint_restores_the_table(tmp_path):
    path = tmp_path / "replay.table"
    with prioritized_server(seed=3) as server:
        server.insert_many("replay", stacked(range(100)), priorities=np.arange(100) % 5 + 1.0)
        assert server.checkpoint("replay", path) > 0
        expected = server.sample("replay", 64)
    restored = chorus.Table("replay", checkpoint=str(path))
    with chorus.Server(EXAMPLE, 8, tables=[restored]) as server:
        assert server.table_info("replay")["size"] == 100
        again = server.sample("replay", 64)
        assert np.array_equal(again.keys, expected.keys)
        assert np.array_equal(again.data["obs"], expected.data["obs"])
    with pytest.raises(ValueError, match="schema"):
        chorus.Server({"x": np.zeros(2, np.float64)}, 8, tables=[restored])
    with pytest.raises(ValueError, match="holds table 'replay', not 'other'"):
        chorus.Server(EXAMPLE, 8, tables=[chorus.Table("other", checkpoint=str(path))])


def test_a_table_that_could_never_be_held_full_is_refused_when_made():
    frame = {"frame": np.zeros((1024, 1024), np.uint8)}  # 1 MiB items: 200 TB in all
    with pytest.raises(ValueError, match="of memory this process may use"):
        chorus.Server(frame, 8, tables=[chorus.Table("huge", max_size=200_000_000)])
