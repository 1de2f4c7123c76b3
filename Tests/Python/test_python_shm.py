"""chorus.ShmClient against a chorus.Server with a ShmTransport: producers on the learner's
machine write straight into its ring, beside a TCP client, with the same schema check."""
import stat

import numpy as np
import pytest

import chorus

EXAMPLE = {"obs": np.zeros((4,), np.float32), "reward": np.zeros((1,), np.float32)}


def steps(first: int, count: int) -> dict:
    values = np.arange(first, first + count, dtype=np.float32)
    return {"obs": np.repeat(values[:, None], 4, axis=1), "reward": values[:, None]}


def test_producers_write_into_a_python_learners_ring(tmp_path):
    path = tmp_path / "learner.sock"
    transports = [chorus.ShmTransport(path), chorus.ChorusTransport(port=0)]
    with chorus.Server(EXAMPLE, batch_size=10, transport=transports) as server:
        server.start()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert server.ports[0] == 0 and server.ports[1] > 0
        with chorus.ShmClient(path, EXAMPLE) as client:
            client.send_many(steps(0, 25))
            for i in range(25, 30):
                client.send({"obs": np.full((4,), i, np.float32), "reward": np.array([i], np.float32)})
            client.wait(timeout=10)
        received = []
        for _ in range(3):
            sample = server.sample(timeout=10)
            assert sample is not None, "a batch did not arrive"
            assert np.array_equal(sample.batch["obs"][:, 0], sample.batch["reward"][:, 0])
            received += sample.batch["reward"][:, 0].tolist()
        assert received == list(range(30))


def test_a_wrong_schema_or_secret_is_refused(tmp_path):
    path = tmp_path / "learner.sock"
    with chorus.Server(EXAMPLE, batch_size=10, transport=chorus.ShmTransport(path, secret="k")) as server:
        server.start()
        with pytest.raises(ValueError, match="obs"):
            chorus.ShmClient(path, {"obs": np.zeros((3,), np.float32), "reward": np.zeros((1,), np.float32)}, secret="k")
        with pytest.raises(Exception, match="secret|authentication"):
            chorus.ShmClient(path, EXAMPLE, secret="wrong")
        with chorus.ShmClient(path, EXAMPLE, secret="k") as client:
            client.send_many(steps(0, 10))
            client.wait(timeout=10)
        assert server.sample(timeout=10) is not None
