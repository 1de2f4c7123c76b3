"""SampleInfo: id-echo's snapshot of a server's counters, filled from Chorus's metrics."""

from __future__ import annotations

from typing import NamedTuple

from chorus import _native


class HistSnapshot(NamedTuple):
    """id-echo's latency histogram snapshot. Chorus records none of these (its I/O threads have
    no drain rounds or queues), so every field is 0."""

    count: int = 0
    min_ns: int = 0
    max_ns: int = 0
    mean_ns: float = 0.0
    p50_ns: int = 0
    p90_ns: int = 0
    p99_ns: int = 0


_EMPTY = HistSnapshot()


class SampleInfo:
    """A snapshot of the server's counters, taken in the same call that took the batch.

    id-echo's fields, as Chorus measures them: ``store_size`` samples in the ring not yet
    released, ``active_connections``, ``push_blocked_count`` times a producer found the ring full
    (in-process submits and TCP connections), ``samples_inserted_total`` samples committed,
    ``notify_count`` times the learner waited for a batch. Fields that describe id-echo's
    internals Chorus does not have (queues, CAS loops, histograms) are 0. Chorus's own counters
    are attributes too (``batches_delivered``, ``samples_received``, ``connections_refused``, …).
    """

    __slots__ = ("_metrics",)

    def __init__(self, metrics: _native.ServerMetrics):
        self._metrics = metrics

    def __getattr__(self, name: str):
        if name in _FIELDS:
            return getattr(self._metrics, name)
        raise AttributeError(name)

    @property
    def store_size(self) -> int:
        return self._metrics.ring_fill

    @property
    def active_connections(self) -> int:
        return self._metrics.connections_active

    @property
    def push_blocked_count(self) -> int:
        return self._metrics.producer_waits + self._metrics.stalls

    @property
    def samples_inserted_total(self) -> int:
        return self._metrics.samples_committed

    @property
    def notify_count(self) -> int:
        return self._metrics.consumer_waits

    queue_depth_sum = queue_depth_max = cas_success_total = cas_failure_total = reservation_retries_total = property(
        lambda self: 0
    )
    drain_round = memcpy = queue_dwell = property(lambda self: _EMPTY)

    def as_dict(self) -> dict[str, int]:
        """Chorus's own counters by name."""
        return {name: getattr(self._metrics, name) for name in _FIELDS}

    def __repr__(self) -> str:
        return f"SampleInfo({', '.join(f'{k}={v}' for k, v in self.as_dict().items())})"


_FIELDS = tuple(name for name, _ in _native.ServerMetrics._fields_ if name != "struct_size")
