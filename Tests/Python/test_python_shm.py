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


PRODUCER = """
import sys
import numpy as np
import chorus
example = {"x": np.zeros((1 << 20,), np.uint8)}
client = chorus.ShmClient(sys.argv[1], example)
block = {"x": np.full((8, 1 << 20), 7, np.uint8)}
print("connected", flush=True)
while True:
    client.send_many(block)
"""


def test_a_producer_killed_while_writing_leaves_marked_zeroed_samples(tmp_path):
    """A producer process SIGKILLed in the middle of writing: the learner goes on, and the
    samples it had been granted and not committed arrive zero-filled and marked invalid."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    path = tmp_path / "learner.sock"
    environment = dict(os.environ, PYTHONPATH=str(Path(chorus.__file__).resolve().parents[1]))
    example = {"x": np.zeros((1 << 20,), np.uint8)}
    with chorus.Server(example, batch_size=4, transport=chorus.ShmTransport(path)) as server:
        server.start()
        seen_invalid = 0
        for _ in range(20):  # a kill lands mid-write most of the time; stop at the first that did
            producer = subprocess.Popen([sys.executable, "-c", PRODUCER, str(path)], env=environment,
                                        stdout=subprocess.PIPE, text=True)
            assert producer.stdout.readline().strip() == "connected"
            taken = 0
            while taken < 3:
                sample = server.sample(timeout=10)
                assert sample is not None
                taken += 1
            producer.send_signal(signal.SIGKILL)
            producer.wait(timeout=10)
            while (sample := server.sample(timeout=1)) is not None:
                valid = server.valid_mask()
                data = sample.batch["x"]
                assert np.all(data[valid] == 7) and np.all(data[~valid] == 0)
                assert sample.info.batch_invalid == int((~valid).sum())
                seen_invalid += sample.info.batch_invalid
            if seen_invalid:
                break
        assert seen_invalid > 0, "no kill landed while the producer held granted slots"
        assert server.info().samples_voided >= seen_invalid


WAITING_PRODUCER = """
import sys
import numpy as np
import chorus
client = chorus.ShmClient(sys.argv[1], {"x": np.zeros((4,), np.float32)})
print("connected", flush=True)
for i in range(3):  # the ring holds two: the third send asks for a slot and waits for it
    client.send({"x": np.full((4,), i, np.float32)})
"""


def test_a_producer_stopped_holding_a_slot_is_killed_after_the_grant_lease(tmp_path):
    """A producer stopped (SIGSTOP) while it waits for a slot is granted that slot when the
    learner frees one; it then holds it without committing, so the server kills it once the
    grant lease runs out, and the learner gets the slot back as an invalid sample."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    path = tmp_path / "learner.sock"
    environment = dict(os.environ, PYTHONPATH=str(Path(chorus.__file__).resolve().parents[1]))
    example = {"x": np.zeros((4,), np.float32)}
    transport = chorus.ShmTransport(path, grant_lease=0.5)
    with chorus.Server(example, batch_size=1, num_buffers=2, transport=transport) as server:
        server.start()
        producer = subprocess.Popen([sys.executable, "-c", WAITING_PRODUCER, str(path)], env=environment,
                                    stdout=subprocess.PIPE, text=True)
        try:
            assert producer.stdout.readline().strip() == "connected"
            for _ in range(1000):
                if server.info().samples_inserted_total == 2:
                    break
                time.sleep(0.01)
            time.sleep(0.2)  # the third send has asked for its slot
            producer.send_signal(signal.SIGSTOP)
            for value in (0, 1):  # taking the second frees the first: granted to the stopped producer
                sample = server.sample(timeout=10)
                assert sample is not None and sample.batch["x"][0, 0] == value
            sample = server.sample(timeout=10)
            assert sample is not None, "the learner waited past the lease"
            assert not server.valid_mask()[0] and sample.info.batch_invalid == 1
            assert producer.wait(timeout=10) == -signal.SIGKILL
            assert server.info().samples_voided == 1
        finally:
            if producer.poll() is None:
                producer.kill()
                producer.wait()
    with pytest.raises(ValueError, match="grant_lease"):
        chorus.Server(example, batch_size=1, transport=chorus.ShmTransport(tmp_path / "x.sock", grant_lease=0)).start()
