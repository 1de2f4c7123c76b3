"""The `chorus` Python package with the real peers: the unchanged id-echo client and server from
PyPI, the Swift `chorus load`, a network that drops connections, and JAX (CPU) through DLPack."""
import json
import os
import socket
import sys
import threading

import numpy as np
import optree
import pytest
from echo import Server as EchoServer
from echo import TcpClient as EchoClient
from echo import TcpTransport as EchoTransport

from conftest import ROOT
from load_pattern import check_rows

os.environ.setdefault("CHORUS_LIBRARY", str(ROOT / ".build" / "debug" / "libChorusC.so"))
sys.path.insert(0, str(ROOT / "Python" / "src"))
import chorus as pychorus  # noqa: E402  (`chorus` is the fixture with the Swift binary)

EXAMPLE = {"obs": np.zeros((4,), np.float32), "step": np.zeros((), np.int64)}


def step(i: int) -> dict:
    return {"obs": np.arange(4, dtype=np.float32) * i, "step": np.array(i, np.int64)}


class Producer(threading.Thread):
    """Runs `send` on its own thread (the learner consumes meanwhile: the ring holds only a few
    batches) and re-raises its error on `join`."""

    def __init__(self, send):
        super().__init__(daemon=True)
        self.send = send
        self.error = None
        self.start()

    def run(self):
        try:
            self.send()
        except BaseException as error:  # noqa: BLE001 — handed to the test on join
            self.error = error

    def join(self, timeout=60):
        super().join(timeout)
        assert not self.is_alive(), "the producer did not finish"
        if self.error:
            raise self.error


def collect_steps(server, batches: int) -> list[int]:
    steps = []
    for _ in range(batches):
        sample = server.sample(timeout=30)
        assert sample is not None, "a batch did not arrive"
        batch = sample.batch
        assert np.array_equal(batch["obs"], np.arange(4, dtype=np.float32)[None, :] * batch["step"][:, None])
        steps += batch["step"].tolist()
    return steps


def test_the_unchanged_id_echo_client_feeds_a_chorus_server():
    with pychorus.Server(EXAMPLE, batch_size=100, transport=pychorus.TcpTransport(port=0)) as server:
        server.start()
        client = EchoClient("127.0.0.1", server.port, EXAMPLE)

        def send():
            for i in range(5_000):
                client.send(step(i))
            client.wait()
            client.close()

        producer = Producer(send)
        steps = collect_steps(server, 50)
        producer.join()
        assert sorted(steps) == list(range(5_000))


def test_a_chorus_v1_client_feeds_the_unchanged_id_echo_server():
    server = EchoServer(EXAMPLE, batch_size=100, transport=EchoTransport(port=0))
    server.start()
    client = pychorus.TcpClient("127.0.0.1", server.port, EXAMPLE)

    def send():
        for i in range(3_000):
            client.send(step(i))
        client.send_many({"obs": (np.arange(4) * np.arange(3_000, 5_000)[:, None]).astype(np.float32),
                          "step": np.arange(3_000, 5_000)})
        client.wait()
        client.close()

    producer = Producer(send)
    steps = []
    for _ in range(50):
        batch = server.sample().batch
        steps += batch["step"].tolist()
        assert np.array_equal(batch["obs"], np.arange(4, dtype=np.float32)[None, :] * batch["step"][:, None])
    producer.join()
    server.close()
    assert sorted(steps) == list(range(5_000))


@pytest.mark.parametrize("protocol", ["echo", "chorus"])
def test_swift_chorus_load_feeds_a_python_learner(chorus, processes, tmp_path, protocol):
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps({"obs": "float32[4]", "done": "bool[]", "id": "uint64[]"}))
    schema = pychorus.Schema.load(schema_file)
    transport = pychorus.TcpTransport(port=0) if protocol == "echo" else pychorus.ChorusTransport(port=0)
    with pychorus.Server(schema, batch_size=250, transport=transport) as server:
        server.start()
        load = processes(chorus, "load", "--port", server.port, "--schema", schema_file, "--protocol", protocol,
                         "--connections", 2, "--count", 5_000)
        ids = []
        for _ in range(40):
            sample = server.sample(timeout=30)
            assert sample is not None, load.stderr()
            leaves = optree.tree_leaves(sample.batch)
            rows = np.concatenate([leaf.reshape(250, -1).view(np.uint8) for leaf in leaves], axis=1)
            batch_ids, problems = check_rows(rows, schema.example())
            assert problems == []
            ids += batch_ids
        assert load.finish() == 0, load.stderr()
    assert sorted(ids) == sorted(c << 40 | s for c in range(2) for s in range(5_000))


class DroppingProxy:
    """A TCP relay that cuts the connection (both sides) after every `cut_after` bytes from the
    client, `cuts` times, then relays faithfully: a network that drops a worker's connection."""

    def __init__(self, upstream_port: int, cut_after: int, cuts: int):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.upstream_port = upstream_port
        self.cut_after = cut_after
        self.cuts_left = cuts
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                downstream, _ = self.listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            cut = self.cuts_left > 0
            self.cuts_left -= 1
            threading.Thread(target=self._relay, args=(upstream, downstream, None), daemon=True).start()
            self._relay(downstream, upstream, self.cut_after if cut else None)

    def _relay(self, source, sink, limit):
        relayed = 0
        source.settimeout(0.2)
        try:
            while not self.stopping.is_set():
                try:
                    data = source.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                sink.sendall(data)
                relayed += len(data)
                if limit is not None and relayed >= limit:
                    break
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()


def test_a_v2_python_client_survives_dropped_connections_with_every_sample_once():
    total = 20_000
    with pychorus.Server(EXAMPLE, batch_size=100, transport=pychorus.ChorusTransport(port=0, secret="s")) as server:
        server.start()
        proxy = DroppingProxy(server.port, cut_after=60_000, cuts=5)
        try:
            client = pychorus.TcpClient("127.0.0.1", proxy.port, EXAMPLE, 256, protocol="chorus", secret="s")

            def send():
                for first in range(0, total, 500):
                    ids = np.arange(first, first + 500)
                    client.send_many({"obs": (np.arange(4) * ids[:, None]).astype(np.float32), "step": ids})
                client.wait(timeout=60)
                client.close()

            producer = Producer(send)
            steps = collect_steps(server, total // 100)
            producer.join()
            info = server.info()
        finally:
            proxy.stop()
    assert proxy.cuts_left <= 0, "the proxy cut the connection every time it meant to"
    assert info.sessions_resumed >= 5
    assert sorted(steps) == list(range(total)), "every sample exactly once"


def test_jax_takes_a_batch_through_dlpack_and_runs_a_jitted_step():
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    batch_size = 3  # a batch of 60 bytes: positions that are not 64-byte multiples apart
    with pychorus.Server({"obs": np.zeros((5,), np.float32)}, batch_size=batch_size) as server:
        train_step = jax.jit(lambda x: (x * 2.0).sum(axis=1))
        addresses = []
        for round_ in range(6):
            for i in range(batch_size):
                server.submit({"obs": np.full(5, round_ * 10 + i, np.float32)})
            obs = server.sample().batch["obs"]
            device_array = jnp.from_dlpack(obs)
            numpy_address = obs.__array_interface__["data"][0]
            addresses.append((hex(numpy_address), hex(device_array.unsafe_buffer_pointer())))
            assert device_array.unsafe_buffer_pointer() == numpy_address, f"JAX copied the batch at {hex(numpy_address)}"
            result = np.asarray(train_step(device_array))
            np.testing.assert_allclose(result, [10.0 * (round_ * 10 + i) for i in range(batch_size)])
    print("numpy view -> JAX buffer:", addresses)
