"""chorus.TcpClient against chorus.Server: both wires, authentication, send_many, names and
IPv6, and the errors a worker meets."""
import socket

import numpy as np
import pytest

import chorus

EXAMPLE = {"obs": np.zeros((4,), np.float32), "reward": np.zeros((1,), np.float32)}


def step(i: int) -> dict:
    return {"obs": np.full((4,), i, np.float32), "reward": np.array([i], np.float32)}


def rewards(server: chorus.Server, batches: int) -> list[float]:
    received = []
    for _ in range(batches):
        sample = server.sample(timeout=10)
        assert sample is not None, "a batch did not arrive"
        received += sample.batch["reward"][:, 0].tolist()
    return received


@pytest.fixture
def server():
    with chorus.Server(
        EXAMPLE, batch_size=10, transport=[chorus.TcpTransport(port=0), chorus.ChorusTransport(port=0, secret=b"k")]
    ) as server:
        server.start()
        yield server


@pytest.mark.parametrize("protocol", ["echo", "chorus"])
def test_every_sample_arrives_once_in_order(server, protocol):
    port = server.ports[0 if protocol == "echo" else 1]
    with chorus.TcpClient("127.0.0.1", port, EXAMPLE, protocol=protocol, secret=b"k" if protocol == "chorus" else None) as client:
        for i in range(30):
            client.send(step(i))
        client.wait()
        assert client.unacked == 0
    assert rewards(server, 3) == list(range(30))


def test_send_many_sends_stacked_samples(server):
    with chorus.TcpClient("127.0.0.1", server.ports[1], EXAMPLE, protocol="chorus", secret="k") as client:
        client.send_many({"obs": np.zeros((20, 4), np.float32), "reward": np.arange(20, dtype=np.float32)[:, None]})
        client.wait()
    assert rewards(server, 2) == list(range(20))


@pytest.mark.parametrize("protocol", ["echo", "chorus"])
def test_a_send_buffer_gathers_samples_until_flushed(server, protocol):
    port = server.ports[0 if protocol == "echo" else 1]
    secret = b"k" if protocol == "chorus" else None
    with chorus.TcpClient("127.0.0.1", port, EXAMPLE, protocol=protocol, secret=secret, send_buffer=1 << 20) as client:
        for i in range(5):
            client.send(step(i))
        assert server.sample(timeout=0.2) is None and server.info().samples_received == 0
        client.flush()
        for i in range(5, 30):
            client.send(step(i))
        client.wait()
    assert rewards(server, 3) == list(range(30))
    with pytest.raises(ValueError, match="send_buffer"):
        chorus.TcpClient("127.0.0.1", port, EXAMPLE, protocol=protocol, secret=secret, send_buffer=-1)


def test_samples_that_are_not_one_plain_dict_take_the_general_path(server):
    """A one-dict schema flattens plain dicts by key; anything else goes through optree, with
    the same checks and messages."""
    from collections import OrderedDict

    with chorus.TcpClient("127.0.0.1", server.ports[0], EXAMPLE) as client:
        client.send(step(0))
        with pytest.raises(ValueError):
            client.send(OrderedDict(obs=np.zeros(4, np.float32), reward=np.zeros(1, np.float32)))
        with pytest.raises(ValueError, match="reward"):
            client.send({"obs": np.zeros(4, np.float32), "rewards": np.zeros(1, np.float32)})
        with pytest.raises(ValueError, match="reward"):
            client.send({"obs": np.zeros(4, np.float32), "reward": {"nested": np.zeros(1, np.float32)}})
        with pytest.raises(ValueError, match="reward"):
            client.send({"obs": np.zeros(4, np.float32)})
        client.send({"reward": np.array([1], np.float32), "obs": np.ones(4, np.float32)})
        client.wait()
    assert server.info().samples_received == 2


def test_a_client_continuing_a_session_carries_on_where_it_stood(server):
    session = bytes(range(16))
    with chorus.TcpClient("127.0.0.1", server.ports[1], EXAMPLE, protocol="chorus", secret="k", session=session) as first:
        assert first.session_start == 0
        for i in range(25):
            first.send(step(i))
        first.wait()
    assert rewards(server, 2) == list(range(20))
    with chorus.TcpClient("127.0.0.1", server.ports[1], EXAMPLE, protocol="chorus", secret="k", session=session) as second:
        assert second.session_start == 25
        for i in range(second.session_start, 40):
            second.send(step(i))
        second.wait()
    assert rewards(server, 2) == list(range(20, 40))
    with pytest.raises(ValueError, match="only protocol 'chorus' has sessions"):
        chorus.TcpClient("127.0.0.1", server.ports[0], EXAMPLE, session=session)
    with pytest.raises(ValueError, match="a session is 16 bytes, not 3"):
        chorus.TcpClient("127.0.0.1", server.ports[1], EXAMPLE, protocol="chorus", secret="k", session=b"abc")


def test_host_names_and_ipv6_connect():
    with chorus.Server(EXAMPLE, batch_size=2, transport=chorus.ChorusTransport(port=0, host="::1")) as server:
        server.start()
        with chorus.TcpClient("::1", server.port, EXAMPLE, protocol="chorus") as client:
            client.send(step(1))
            client.send(step(2))
            client.wait()
        assert rewards(server, 1) == [1, 2]
    with chorus.Server(EXAMPLE, batch_size=1, transport=chorus.TcpTransport(port=0)) as server:
        server.start()
        with chorus.TcpClient("localhost", server.port, EXAMPLE) as client:
            client.send(step(3))
            client.wait()
        assert rewards(server, 1) == [3]


def test_a_schema_mismatch_is_refused_naming_the_leaf(server):
    other = {"obs": np.zeros((5,), np.float32), "reward": np.zeros((1,), np.float32)}
    with pytest.raises(ValueError, match="obs"):
        chorus.TcpClient("127.0.0.1", server.ports[0], other)
    with pytest.raises(ValueError, match="obs"):
        chorus.TcpClient("127.0.0.1", server.ports[1], other, protocol="chorus", secret="k")


def test_a_wrong_secret_is_refused(server):
    with pytest.raises(ConnectionRefusedError, match="authentication"):
        chorus.TcpClient("127.0.0.1", server.ports[1], EXAMPLE, protocol="chorus", secret="nope")


def test_a_wrong_sample_raises_and_sends_nothing(server):
    with chorus.TcpClient("127.0.0.1", server.ports[0], EXAMPLE) as client:
        with pytest.raises(ValueError, match="leaf 'reward': dtype int32"):
            client.send({"obs": np.zeros(4, np.float32), "reward": np.zeros(1, np.int32)})
        client.wait()
    assert server.info().samples_received == 0


def test_a_closed_client_raises_connection_closed(server):
    client = chorus.TcpClient("127.0.0.1", server.ports[0], EXAMPLE)
    client.close()
    client.close()
    with pytest.raises(chorus.ConnectionClosedError):
        client.send(step(0))


def test_a_v1_client_whose_server_goes_away_raises_connection_closed():
    server = chorus.Server(EXAMPLE, batch_size=1, transport=chorus.TcpTransport(port=0))
    server.start()
    client = chorus.TcpClient("127.0.0.1", server.port, EXAMPLE)
    server.close()
    with pytest.raises(chorus.ConnectionClosedError):
        for i in range(10_000):  # the kernel reports the reset on one of the first sends
            client.send(step(i))


def test_unknown_hosts_and_closed_ports_are_os_errors():
    with pytest.raises(OSError, match="cannot resolve"):
        chorus.TcpClient("a" * 64 + ".invalid", 1, EXAMPLE)
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(ConnectionError):
        chorus.TcpClient("127.0.0.1", port, EXAMPLE, connect_timeout=2)
    with pytest.raises(ValueError, match="protocol"):
        chorus.TcpClient("127.0.0.1", port, EXAMPLE, protocol="http")


def test_wait_with_a_timeout_raises_while_the_ring_is_full_then_completes():
    with chorus.Server(EXAMPLE, batch_size=1, num_buffers=2, transport=chorus.ChorusTransport(port=0)) as server:
        server.start()
        with chorus.TcpClient("127.0.0.1", server.port, EXAMPLE, 8, protocol="chorus") as client:
            for i in range(5):
                client.send(step(i))
            with pytest.raises(TimeoutError):
                client.wait(timeout=0.3)
            assert client.unacked == 3
            assert rewards(server, 5) == [0, 1, 2, 3, 4]
            client.wait(timeout=30)
            assert client.unacked == 0
