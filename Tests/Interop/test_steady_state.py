"""The no-barrier GA across processes: `chorus coordinator --mode steady-state` and `chorus worker
--mode steady-state` over gRPC, a worker SIGKILLed mid-run and another joining, the run
finishing its budget with every individual evaluated once."""
import re
import signal

from conftest import free_port

BUDGET = 400


def worker(processes, chorus, port, *args):
    return processes(chorus, "worker", "--mode", "steady-state", "--port", port, "--cores", 2, "--episodes", 1,
                     "--hidden", 4, *args)


def test_a_killed_worker_and_a_joiner_leave_no_individual_unevaluated(processes, chorus):
    port = free_port()
    coordinator = processes(chorus, "coordinator", "--mode", "steady-state", "--port", port, "--evaluations", BUDGET,
                            "--pool-size", 16, "--reevaluate-every", 32)
    coordinator.wait_for(r"coordinator: listening on", timeout=30)
    # 50 ms a task: the run takes a few seconds, so the kill lands mid-run.
    workers = [worker(processes, chorus, port, "--evaluate-delay", 0.05) for _ in range(3)]
    victim = int(workers[1].wait_for(r"joined as worker (\d+)", timeout=30).group(1))
    coordinator.wait_for(r"^\d+ evaluated", timeout=60)
    workers[1].popen.send_signal(signal.SIGKILL)
    coordinator.wait_for(rf"worker {victim} left, \d+ individuals handed back", timeout=10, logs=True)
    joiner = worker(processes, chorus, port)
    assert coordinator.finish(timeout=120) == 0, coordinator.output()
    done = coordinator.wait_for(r"^done: (\d+) evaluated, (\d+) re-evaluations", timeout=1)
    assert int(done.group(1)) == BUDGET
    results = {int(w): int(n) for w, n in re.findall(r"worker (\d+): (\d+)", coordinator.output())}
    assert sum(results.values()) == BUDGET + int(done.group(2)), "every result counted once"
    joined = int(joiner.wait_for(r"joined as worker (\d+)", timeout=1).group(1))
    assert results.get(joined, 0) > 0, "the joiner took part"
    for survivor in (workers[0], workers[2], joiner):
        assert survivor.finish(timeout=30) == 0, survivor.output()
        assert re.search(rf"run: {BUDGET} evaluated", survivor.output())
