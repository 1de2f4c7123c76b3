"""What the Swift ES worker tests share: the standard run (POPULATION members, EPOCHS epochs) of
a `chorus coordinator`, its `chorus worker`s, and the final state digest the workers print."""
from child_process import Child

POPULATION, EPOCHS = 24, 8
DIGEST = r"final state digest ([0-9a-f]+) \((\d+) updates\)"


def coordinator(processes, chorus, port, *args):
    process = processes(chorus, "coordinator", "--port", port, "--population", POPULATION, "--max-epochs", EPOCHS,
                        *args)
    process.wait_for(r"coordinator: listening on", timeout=30)
    return process


def worker(processes, chorus, port, *args):
    return processes(chorus, "worker", "--port", port, "--cores", 4, *args)


def final_digest(process) -> str:
    assert process.finish(timeout=120) == 0, process.output()
    digest, updates = process.wait_for(DIGEST, timeout=5).groups()
    assert int(updates) == EPOCHS
    return digest


def undisturbed_digest(chorus, port: int) -> str:
    """The digest two undisturbed workers end the standard run with."""
    started = [Child([chorus, "coordinator", "--port", port, "--population", POPULATION, "--max-epochs", EPOCHS])]
    try:
        started[0].wait_for(r"coordinator: listening on", timeout=30)
        started += [Child([chorus, "worker", "--port", port, "--cores", 4]) for _ in range(2)]
        digests = {final_digest(w) for w in started[1:]}
        assert started[0].finish(timeout=30) == 0, started[0].output()
        assert len(digests) == 1
        return digests.pop()
    finally:
        for child in started:
            child.stop()
