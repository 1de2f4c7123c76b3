"""Chorus on Ray: rollout fleets that stream to a learner, and worker processes (``chorus worker``,
the PyPI ``evochi`` worker) hosted by Ray actors. Needs Ray (``pip install chorus-rl[ray]``).

Ray restarts an actor that dies and runs its task again. A fleet's actor then continues its own
wire-v2 session (the session id is fixed per actor), learns from the learner how many of its
samples arrived, and carries on from the next: nothing acked is lost or sent twice. A worker
process dies with its actor (it gets SIGKILL when the actor's process ends) and is started anew
by the restarted actor, which joins the coordinator like any new worker.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import ray

from chorus.tcp_client import TcpClient

__all__ = ["RolloutFleet", "RolloutResult", "WorkerProcessKilled", "WorkerProcesses", "WorkerRun"]

Rollout = Callable[[int, int], Iterable[Any]]
"""``rollout(worker_index, start)``: the samples of one worker from its ``start``-th on."""


class RolloutResult(NamedTuple):
    """What one fleet actor delivered: every sample below ``delivered`` is in the learner;
    ``start`` is where its last run began (above 0 when Ray restarted it), on node ``node_id``."""

    worker_index: int
    node_id: str
    start: int
    delivered: int


class WorkerRun(NamedTuple):
    """How one hosted worker process ended (the last one, if its actor was restarted)."""

    worker_index: int
    returncode: int
    output: str


class WorkerProcessKilled(Exception):
    """A hosted worker process was killed (SIGKILL or SIGTERM: its actor being killed, the OOM
    killer, an operator). Ray runs the task again, on the restarted actor or the same one, and it
    starts the process anew."""


class _ActorGroup:
    """Ray actors that each run one task (again when Ray restarts them): waited for together,
    stopped together."""

    actors: list[Any]
    _runs: list[Any]

    def wait(self, timeout: float | None = None) -> list[Any]:
        """Each actor's result, in actor order, once all have one (the last run's, for an actor
        Ray restarted); raises ``ray.exceptions.GetTimeoutError`` after ``timeout`` seconds, and
        a task's own error as Ray reports it."""
        return ray.get(self._runs, timeout=timeout)

    def stop(self) -> None:
        """Kills the actors (and the processes they host) without restarting them."""
        for actor in self.actors:
            ray.kill(actor, no_restart=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


class _RolloutActor:
    """Runs one worker's rollout and sends it, continuing its session after a restart."""

    def __init__(self, rollout: Rollout, worker_index: int, session: bytes, host: str, port: int,
                 data_sample: Any, client_options: dict[str, Any]):
        self.rollout = rollout
        self.worker_index = worker_index
        self.session = session
        self.address = (host, port)
        self.data_sample = data_sample
        self.client_options = client_options

    def run(self) -> RolloutResult:
        host, port = self.address
        with TcpClient(host, port, self.data_sample, protocol="chorus", session=self.session,
                       **self.client_options) as client:
            start = delivered = client.session_start
            for sample in self.rollout(self.worker_index, start):
                client.send(sample)
                delivered += 1
            client.wait()
        return RolloutResult(self.worker_index, ray.get_runtime_context().get_node_id(), start, delivered)


class RolloutFleet(_ActorGroup):
    """``num_actors`` Ray actors, each sending the samples of ``rollout(worker_index, start)`` to
    a learner over wire v2 (authenticated with ``secret``; resumed after a dropped connection).

    ``start`` is how many of that worker's samples the learner already holds: 0 on the first
    run, more when Ray restarted the actor after it died. A rollout that yields the same samples
    for the same ``(worker_index, start)`` (seeded from them) makes the fleet's stream exactly
    the one an undisturbed fleet sends. Each actor continues its own session: the learner must
    be the same server process throughout.

    Args:
        rollout: the samples of one worker, from its ``start``-th on.
        host, port: the learner's wire-v2 listener (``chorus.ChorusTransport``).
        data_sample: an example pytree (or ``Schema``) the learner's schema must match.
        num_actors: actors to start.
        secret: the learner's shared secret, if it needs one.
        table: the replay table to write (None: the learner's default).
        max_inflight_msgs: each client's window.
        actor_options: Ray's ``.options(...)`` for every actor (``num_cpus``, ``resources``,
            ``scheduling_strategy``, ``runtime_env``, ...).
        max_restarts: how often Ray restarts each actor (-1: always).
    """

    def __init__(self, rollout: Rollout, host: str, port: int, data_sample: Any, num_actors: int, *,
                 secret: bytes | str | None = None, table: str | None = None, max_inflight_msgs: int = 32,
                 actor_options: dict[str, Any] | None = None, max_restarts: int = -1):
        if num_actors < 1:
            raise ValueError(f"num_actors must be at least 1, not {num_actors}")
        fleet = os.urandom(12)
        actor_class = ray.remote(_RolloutActor).options(max_restarts=max_restarts, max_task_retries=-1,
                                                        **(actor_options or {}))
        client_options = {"secret": secret, "table": table, "max_inflight_msgs": max_inflight_msgs}
        self.actors = [actor_class.remote(rollout, index, fleet + index.to_bytes(4, "little"), host, port,
                                          data_sample, client_options)
                       for index in range(num_actors)]
        self._runs = [handle.run.remote() for handle in self.actors]


def _die_with_parent() -> None:
    """In the forked child, before exec: SIGKILL when the actor's process ends (prctl
    PR_SET_PDEATHSIG), so a killed actor never leaves its worker behind."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


class _ProcessActor:
    """Runs one worker process to its end, again after a restart."""

    def __init__(self, command: list[str], worker_index: int, env: dict[str, str] | None):
        self.command = command
        self.worker_index = worker_index
        self.env = None if env is None else {**os.environ, **env}

    def run(self) -> WorkerRun:
        # The process is started by the thread that runs actor tasks and that lives as long as
        # the actor: the parent-death signal follows that thread.
        finished = subprocess.run(self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env=self.env, preexec_fn=_die_with_parent, check=False)
        # Ray may kill an actor's children before the actor itself: then this task would end with
        # the killed process's status before Ray kills the actor. Killed is not finished.
        if finished.returncode in (-signal.SIGKILL, -signal.SIGTERM):
            raise WorkerProcessKilled(f"worker process {self.worker_index} was killed (signal {-finished.returncode})")
        return WorkerRun(self.worker_index, finished.returncode, finished.stdout)


class WorkerProcesses(_ActorGroup):
    """``num_workers`` Ray actors, each hosting one worker process, e.g. ES workers against a
    ``chorus coordinator``: ``["chorus", "worker", "--host", coordinator, "--port", "8080"]``,
    or the unchanged ``evochi`` worker's script under its own Python.

    A worker dies with its actor; Ray restarts the actor (up to ``max_restarts``), which starts
    the command again: to the coordinator, a lost worker and a new one joining, handled as any.
    A process killed on its own (SIGKILL, SIGTERM) is started again too; one that exits, with any
    status, or crashes on another signal ends its actor's run (``wait`` reports it).

    Args:
        command: the command line, or a function of the worker's index giving it.
        num_workers: actors (and processes) to start.
        env: variables added to the actor's environment for the process.
        actor_options: Ray's ``.options(...)`` for every actor.
        max_restarts: how often Ray restarts each actor (-1: always).
    """

    def __init__(self, command: Sequence[str] | Callable[[int], Sequence[str]], num_workers: int, *,
                 env: dict[str, str] | None = None, actor_options: dict[str, Any] | None = None,
                 max_restarts: int = -1):
        if num_workers < 1:
            raise ValueError(f"num_workers must be at least 1, not {num_workers}")
        actor_class = ray.remote(_ProcessActor).options(max_restarts=max_restarts, max_task_retries=-1,
                                                        **(actor_options or {}))
        commands = [[str(part) for part in (command(index) if callable(command) else command)]
                    for index in range(num_workers)]
        self.actors = [actor_class.remote(commands[index], index, env) for index in range(num_workers)]
        self._runs = [handle.run.options(retry_exceptions=[WorkerProcessKilled]).remote() for handle in self.actors]

