"""chorus.ShardedClient against several chorus.Servers: round-robin, keys, a shard that is down."""
import socket

import numpy as np
import pytest

import chorus
from test_python_client import EXAMPLE, rewards, step


def closed_port() -> int:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture
def servers():
    made = [chorus.Server(EXAMPLE, batch_size=10, transport=chorus.ChorusTransport(port=0, secret=b"k")) for _ in range(2)]
    for server in made:
        server.start()
    yield made
    for server in made:
        server.close()


def test_round_robin_takes_turns_and_a_key_keeps_to_its_shard(servers):
    shards = [("127.0.0.1", server.port) for server in servers]
    with chorus.ShardedClient(shards, EXAMPLE, secret="k") as client:
        for i in range(20):
            client.send(step(i))
        client.send_many({"obs": np.zeros((10, 4), np.float32), "reward": np.arange(20, 30, dtype=np.float32)[:, None]},
                         key=7)
        for i in range(30, 50):
            client.send(step(i), key=i)
        client.wait()
        assert client.shards_up == [True, True]
        assert client.samples_sent == [10 + 10, 10 + 10 + 10]
    first, second = sorted(rewards(servers[0], 2)), sorted(rewards(servers[1], 3))
    assert first == list(range(0, 20, 2)) + list(range(30, 50, 2))
    assert second == list(range(1, 20, 2)) + list(range(20, 30)) + list(range(31, 50, 2))


def test_a_shard_that_is_down_is_skipped(servers):
    shards = [("127.0.0.1", servers[0].port), ("127.0.0.1", closed_port())]
    with chorus.ShardedClient(shards, EXAMPLE, secret=b"k", retry_delay=30, max_retry_delay=30) as client:
        assert client.shards_up == [True, False]
        for i in range(20):
            client.send(step(i))
        client.wait()
        assert client.samples_sent == [20, 0]
    assert rewards(servers[0], 2) == list(range(20))


def test_no_shard_up_a_refusal_and_bad_arguments_are_errors():
    with pytest.raises(ConnectionError, match="no shard"):
        chorus.ShardedClient([("127.0.0.1", closed_port())], EXAMPLE, connect_timeout=2)
    with chorus.Server(EXAMPLE, batch_size=10, transport=chorus.ChorusTransport(port=0, secret=b"k")) as guarded:
        guarded.start()
        with pytest.raises(ConnectionRefusedError, match="authentication"):
            chorus.ShardedClient([("127.0.0.1", guarded.port)], EXAMPLE, secret=b"not k")
    with pytest.raises(ValueError, match="at least one shard"):
        chorus.ShardedClient([], EXAMPLE)
    with pytest.raises(ValueError, match="retry_delay"):
        chorus.ShardedClient([("127.0.0.1", 1)], EXAMPLE, retry_delay=0)
