"""Replay tables for off-policy learners, in dm-reverb's model, served by ``chorus.Server``."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import numpy as np
import optree

from chorus import _native, rate_limiters, selectors
from chorus._errors import raise_for
from chorus.schema import Schema


@dataclass(frozen=True)
class Table:
    """A replay table to serve (pass it to ``chorus.Server(..., tables=[...])``).

    Args:
        name: what producers and the learner call it (``server.insert(name, ...)``,
            ``TcpClient(..., table=name)``).
        sampler: a ``chorus.selectors`` selector: which items a sample returns.
        remover: which item makes room when the table is full.
        max_size: items the table holds; memory for them is reserved up front.
        rate_limiter: a ``chorus.rate_limiters`` limiter.
        max_times_sampled: an item is removed after this many samples (0: never for that reason).
        seed: fixes the random picks.
        checkpoint: a file written by ``Server.checkpoint``: the table is restored from it with
            its stored configuration (sampler, remover, max_size, rate limiter, max_times_sampled),
            which the other arguments do not change; ``name`` must be the stored table's name.
    """

    name: str
    sampler: Any = selectors.Uniform()
    remover: Any = selectors.Fifo()
    max_size: int = 1_000_000
    rate_limiter: Any = rate_limiters.MinSize(1)
    max_times_sampled: int = 0
    seed: int = 0
    checkpoint: str | None = None

    @classmethod
    def queue(cls, name: str, max_size: int) -> Table:
        """Each item sampled exactly once, in insertion order; inserts wait while it is full."""
        return cls(name, selectors.Fifo(), selectors.Fifo(), max_size, rate_limiters.Queue(max_size), 1)

    @classmethod
    def stack(cls, name: str, max_size: int) -> Table:
        """Each item sampled exactly once, newest first; inserts wait while it is full."""
        return cls(name, selectors.Lifo(), selectors.Lifo(), max_size, rate_limiters.Queue(max_size), 1)

    def _create(self, schema: Schema) -> _TableHandle:
        handle = ctypes.c_void_p()
        if self.checkpoint is not None:
            raise_for(_native.lib.chorus_table_restore(str(self.checkpoint).encode(), ctypes.byref(handle)))
            table = _TableHandle(handle)
            stored_name = _native.lib.chorus_table_name(handle).decode()
            if stored_name != self.name:
                raise ValueError(f"{self.checkpoint} holds table {stored_name!r}, not {self.name!r}: name the table "
                                 f"as it was checkpointed")
            restored = ctypes.c_void_p()
            raise_for(_native.lib.chorus_table_schema(handle, ctypes.byref(restored)))
            restored_schema = _native.lib.chorus_schema_canonical_json(restored).decode()
            _native.lib.chorus_schema_free(restored)
            if restored_schema != schema.json:
                raise ValueError(f"{self.checkpoint} holds a table of schema {restored_schema}, the server's is "
                                 f"{schema.json}")
            return table
        limiter = self.rate_limiter
        config = _native.TableConfig(
            name=self.name.encode(),
            max_size=self.max_size,
            sampler=_native.Selector(self.sampler.kind, self.sampler.priority_exponent),
            remover=_native.Selector(self.remover.kind, self.remover.priority_exponent),
            limiter=limiter.kind,
            samples_per_insert=getattr(limiter, "samples_per_insert", 1.0),
            min_size_to_sample=getattr(limiter, "min_size_to_sample", 1),
            error_buffer=getattr(limiter, "error_buffer", 0.0),
            max_times_sampled=self.max_times_sampled,
            seed=self.seed,
        )
        if isinstance(limiter, rate_limiters.Queue) and limiter.size != self.max_size:
            raise ValueError(f"table {self.name!r}: a Queue limiter's size ({limiter.size}) must be max_size "
                             f"({self.max_size})")
        raise_for(_native.lib.chorus_table_create(schema._handle, ctypes.byref(config), ctypes.byref(handle)))
        return _TableHandle(handle)


class _TableHandle:
    """Owns a C table; the server keeps the table alive on its own too."""

    def __init__(self, handle: ctypes.c_void_p):
        self.handle = handle

    def __del__(self):
        _native.lib.chorus_table_free(self.handle)


class ReplaySample(tuple):
    """``(data, keys, probabilities)`` from ``Server.sample(table, batch_size)``, with the
    items' ``priorities``, ``times_sampled`` and the ``table_sizes`` they were drawn at.

    ``data`` is a pytree of arrays shaped (batch_size, *leaf.shape): the batch buffer the items
    were gathered into (one copy), owned by these arrays.
    """

    data: Any
    keys: np.ndarray
    probabilities: np.ndarray

    def __new__(cls, data, keys, probabilities, priorities, times_sampled, table_sizes):
        sample = super().__new__(cls, (data, keys, probabilities))
        sample.data, sample.keys, sample.probabilities = data, keys, probabilities
        sample.priorities, sample.times_sampled, sample.table_sizes = priorities, times_sampled, table_sizes
        return sample


def sample(handle: ctypes.c_void_p, schema: Schema, batch_size: int, timeout_ns: int) -> tuple[int, ReplaySample]:
    """One C sample call: (its status, the sample it filled when the status is OK)."""
    leaves = [np.empty((batch_size, *leaf.shape), dtype=leaf.dtype) for leaf in schema.leaves]
    pointers = (ctypes.c_void_p * len(leaves))(*[leaf.ctypes.data for leaf in leaves])
    keys = np.empty(batch_size, dtype=np.uint64)
    probabilities = np.empty(batch_size, dtype=np.float64)
    priorities = np.empty(batch_size, dtype=np.float64)
    times_sampled = np.empty(batch_size, dtype=np.uint64)
    table_sizes = np.empty(batch_size, dtype=np.uint64)
    status = _native.lib.chorus_table_sample(
        handle, batch_size, timeout_ns, pointers, keys.ctypes.data, probabilities.ctypes.data,
        priorities.ctypes.data, times_sampled.ctypes.data, table_sizes.ctypes.data,
    )
    data = optree.tree_unflatten(schema.treespec, leaves)
    return status, ReplaySample(data, keys, probabilities, priorities, times_sampled, table_sizes)
