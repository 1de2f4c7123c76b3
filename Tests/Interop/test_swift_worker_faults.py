"""ES faults with Swift worker processes (`chorus worker` over Evochi v1 gRPC): workers SIGKILLed
while optimizing and while evaluating, a worker frozen (SIGSTOP) so its heartbeats stop, a
joiner, and the coordinator SIGKILLed and restarted from its checkpoint. Each run must end in the
state of an undisturbed run with the same seed, bit for bit (the workers print its digest)."""
import re
import signal
import time

from conftest import free_port
from swift_es_runs import coordinator, final_digest, worker

def test_workers_killed_frozen_and_joining_end_in_the_undisturbed_state(processes, chorus, undisturbed):
    port = free_port()
    server = coordinator(processes, chorus, port, "--heartbeat-timeout", 1.5, "--task-timeout", 4, "--reissue-after", 3)
    # A stretches every optimizing phase to 1 s, B every evaluating phase to 1.5 s.
    a = worker(processes, chorus, port, "--optimize-delay", 1.0)
    b = worker(processes, chorus, port, "--evaluate-delay", 1.5)
    c = worker(processes, chorus, port)
    server.wait_for(r"joined with 4 cores \(.*, 3 workers\)", timeout=30, logs=True)

    server.wait_for(r"^epoch 1:", timeout=60)
    time.sleep(0.4)
    a.popen.send_signal(signal.SIGKILL)
    server.wait_for(r"left \(phase optimizing\(1\)\)", timeout=10, logs=True)

    server.wait_for(r"^epoch 2:", timeout=60)
    time.sleep(0.7)
    b.popen.send_signal(signal.SIGKILL)
    server.wait_for(r"left \(phase evaluating\(3\)\)", timeout=10, logs=True)

    joiner = worker(processes, chorus, port)
    joiner_id = joiner.wait_for(r"joined as (\S+):", timeout=30).group(1)
    server.wait_for(re.escape(joiner_id) + r" joined", timeout=10, logs=True)
    c.popen.send_signal(signal.SIGSTOP)   # frozen: neither answers nor heartbeats
    server.wait_for(r"evicted worker \d+: (no heartbeat|its task ran longer)", timeout=30, logs=True)
    c.popen.send_signal(signal.SIGCONT)

    assert final_digest(joiner) == undisturbed
    assert server.finish(timeout=60) == 0, server.output()


def test_a_restarted_coordinator_resumes_and_ends_in_the_undisturbed_state(processes, chorus, tmp_path, undisturbed):
    checkpoint = tmp_path / "run.checkpoint"
    port = free_port()
    first = coordinator(processes, chorus, port, "--checkpoint", checkpoint, "--share-interval", 3)
    early = [worker(processes, chorus, port, "--optimize-delay", 0.2) for _ in range(2)]
    first.wait_for(r"^epoch 4:", timeout=60)
    first.popen.send_signal(signal.SIGKILL)
    first.finish(timeout=10)
    for w in early:
        assert w.finish(timeout=30) != 0, "a worker whose coordinator vanished fails (UNAVAILABLE)"

    port = free_port()
    second = coordinator(processes, chorus, port, "--checkpoint", checkpoint, "--share-interval", 3)
    late = [worker(processes, chorus, port) for _ in range(2)]
    assert {final_digest(w) for w in late} == {undisturbed}
    assert second.finish(timeout=60) == 0, second.output()
    assert int(re.search(r"^epoch (\d+):", second.output(), re.M).group(1)) >= 4
