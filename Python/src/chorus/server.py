"""The learner's side: a Server whose batches are zero-copy NumPy views of the Swift ring."""

from __future__ import annotations

import ctypes
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import optree

from chorus import _native
from chorus._errors import ServerClosedError, raise_for
from chorus import table as _table
from chorus.sample_info import SampleInfo
from chorus.schema import Schema
from chorus.table import ReplaySample, Table

_METRICS_SIZE = ctypes.sizeof(_native.ServerMetrics)


@dataclass(frozen=True)
class TcpTransport:
    """An id-echo wire v1 listener. v1 has no authentication: it binds to ``host``, this machine
    only by default; pass ``host="0.0.0.0"`` to accept rollout workers on other machines of a
    network you trust (or use ``ChorusTransport`` with a secret). ``num_threads`` is accepted for
    id-echo compatibility; the server's ``io_threads`` sets the I/O threads of all transports."""

    port: int = 0
    num_threads: int = 8
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class ChorusTransport:
    """A Chorus wire v2 listener: the schema is checked on connect, a ``secret`` (bytes or str)
    authenticates clients, and a client that reconnects resumes where it was."""

    port: int = 0
    secret: bytes | str | None = None
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class ShmTransport:
    """A shared-memory listener for producers on this machine (``ShmClient``): they do the wire
    v2 handshake on the Unix socket at ``path`` (created with mode 0600; ``secret`` as for
    ``ChorusTransport``) and then write straight into the ring. A producer that holds ring slots
    for ``grant_lease`` seconds without filling them (stopped, say) is killed so that the ring goes
    on; ``None``: never (the ring then waits for it)."""

    path: str
    secret: bytes | str | None = None
    grant_lease: float | None = 30.0


class Sample(NamedTuple):
    """A batch paired with a snapshot of the server's counters."""

    batch: Any
    info: SampleInfo


class _Ring:
    """Owns the C server. NumPy views of the ring keep this object alive through their base
    buffers, so the ring outlives every view even when the Server is dropped first."""

    def __init__(self, handle: ctypes.c_void_p):
        self.handle = handle

    def __del__(self):
        _native.lib.chorus_server_free(self.handle)


class Server:
    """A learner's server: rollout workers send samples over TCP (or ``submit`` them in process),
    and ``sample()`` hands out each full batch.

    Args:
        example: an example pytree of numpy arrays (its structure, dtypes and shapes are the
            contract; values are ignored), or a ``Schema``.
        batch_size: samples per batch.
        transport: a ``TcpTransport`` (id-echo's wire), a ``ChorusTransport`` (wire v2), a ``ShmTransport``
            (producers on this machine write straight into the ring), a list
            of them (all feed the same ring), or None for in-process use with ``submit``.
        num_buffers: batches the ring holds (at least 2).
        num_drainers, producer_queue_size: accepted for id-echo compatibility; Chorus has neither
            drainer threads nor per-connection queues (its I/O threads read into the ring).
        pin_host_memory: not supported (no CUDA here): True raises RuntimeError, as id-echo does
            when it cannot page-lock.
        io_threads: I/O threads serving every transport (one is plenty for most learners).
        tables: replay tables (``chorus.Table``) served beside the ring, for off-policy learners:
            ``insert``/``sample``/``update_priorities`` by table name; v2 clients name one with
            ``TcpClient(..., table=name)``.
        default_table: the table that v1 clients and v2 clients naming none write (default:
            the ring).

    Lifetime: ``sample().batch`` leaves are views of the ring, valid until the next ``sample()``.
    Then they are made read-only (a write raises) and their memory is refilled with newer
    samples: copy what you keep (``np.copy``, or ``dataset_iter(copy=True)``).
    """

    def __init__(
        self,
        example: Any,
        batch_size: int,
        transport: TcpTransport | ChorusTransport | ShmTransport
        | Sequence[TcpTransport | ChorusTransport | ShmTransport] | None = None,
        num_buffers: int = 3,
        num_drainers: int = 8,
        producer_queue_size: int = 8,
        pin_host_memory: bool = False,
        *,
        io_threads: int = 1,
        tables: Sequence[Table] = (),
        default_table: str | None = None,
    ):
        if pin_host_memory:
            raise RuntimeError("pin_host_memory is not supported: Chorus rings are plain host memory")
        self.schema = Schema.of(example)
        self._batch_size = batch_size
        self._num_buffers = num_buffers
        if transport is None:
            self._transports: list = []
        elif isinstance(transport, (TcpTransport, ChorusTransport, ShmTransport)):
            self._transports = [transport]
        else:
            self._transports = list(transport)
        self._io_threads = io_threads
        handle = ctypes.c_void_p()
        self._tables = {table.name: table._create(self.schema) for table in tables}
        if len(self._tables) != len(tables):
            raise ValueError("two tables have the same name")
        table_handles = (ctypes.c_void_p * max(1, len(self._tables)))(*[t.handle for t in self._tables.values()])
        raise_for(
            _native.lib.chorus_server_create_with_tables(
                self.schema._handle, batch_size, num_buffers, table_handles, len(self._tables),
                None if default_table is None else default_table.encode(), ctypes.byref(handle),
            ),
        )
        self._ring = _Ring(handle)
        self._handle = handle
        self._ports: list[int] = []
        self._started = False
        self._closed = False
        self._sequence = ctypes.c_uint64()
        self._sequence_ref = ctypes.byref(self._sequence)
        self._next = _native.lib.chorus_server_next
        # Per ring position (sequence % num_buffers): the leaf arrays viewing that position.
        self._positions: list[list[np.ndarray] | None] = [None] * num_buffers
        self._lent: list[np.ndarray] = []

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the transports (binds the ports, accepts connections)."""
        if self._closed:
            raise ServerClosedError("the server is closed")
        if self._started:
            raise RuntimeError("the server is already started")
        self._started = True
        if not self._transports:
            return
        listeners = (_native.Listener * len(self._transports))()
        keep = []
        for listener, transport in zip(listeners, self._transports):
            if isinstance(transport, ShmTransport):
                listener.host, listener.port = str(transport.path).encode(), 0
                lease = transport.grant_lease
                if lease is not None and not lease > 0:
                    raise ValueError(f"grant_lease must be positive seconds or None, not {lease!r}")
                listener.grant_lease_ns = -1 if lease is None else max(1, round(lease * 1e9))
            else:
                listener.host, listener.port = transport.host.encode(), transport.port
            if isinstance(transport, (ChorusTransport, ShmTransport)):
                shared = isinstance(transport, ShmTransport)
                listener.protocol = _native.PROTOCOL_SHARED_MEMORY if shared else _native.PROTOCOL_CHORUS
                secret, length = _native.secret_bytes(transport.secret)
                keep.append(secret)
                listener.secret = secret
                listener.secret_length = length
            else:
                listener.protocol = _native.PROTOCOL_ECHO
        ports = (ctypes.c_uint16 * len(self._transports))()
        raise_for(_native.lib.chorus_server_listen(self._handle, listeners, len(listeners), self._io_threads, ports))
        self._ports = list(ports)

    @property
    def port(self) -> int:
        """The port of the first transport, valid after ``start()``."""
        if not self._ports:
            raise RuntimeError("the server has no bound port: call start() with a transport first")
        return self._ports[0]

    @property
    def ports(self) -> list[int]:
        """The bound port of every transport, in order."""
        return list(self._ports)

    @property
    def batch_size(self) -> int:
        return self._batch_size

    def close(self) -> None:
        """Stops taking samples; ``sample()`` still returns every committed sample (a partly filled
        last batch with its empty slots False in ``valid_mask()``), then None."""
        if not self._closed:
            self._closed = True
            _native.lib.chorus_server_shutdown(self._handle)

    def __del__(self):
        # A dropped server stops its transports at once; the ring itself lives on while views
        # of it do (see _Ring).
        if getattr(self, "_ring", None) is not None:
            self.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ---- the learner -------------------------------------------------------------------------

    def sample(self, table: str | float | None = None, batch_size: int | None = None,
               timeout: float | None = None) -> Sample | ReplaySample | None:
        """The ring's next batch, or with a table name a batch sampled from that table.

        ``sample(timeout=None)`` (id-echo's call) blocks until a ring batch is full and returns
        it; None once closed and drained, or when ``timeout`` (seconds) passes first. Each leaf of
        ``Sample.batch`` is a zero-copy view of the ring, shaped (batch_size, *leaf.shape), valid
        until the next ``sample()`` call.

        ``sample(table, batch_size, timeout=None)`` draws ``batch_size`` items (the server's
        batch size when None) from the replay table once its rate limiter allows, and returns a
        ``ReplaySample``: ``data, keys, probabilities = ...`` (also ``.priorities``,
        ``.times_sampled``, ``.table_sizes``). TimeoutError after ``timeout``; ServerClosedError
        once the server is closed.
        """
        if isinstance(table, str):
            return self._sample_table(table, self._batch_size if batch_size is None else batch_size, timeout)
        if table is not None:  # id-echo's positional timeout
            timeout = table
        self._retire_lent()
        metrics = _native.ServerMetrics(_METRICS_SIZE)
        status = self._next(self._handle, _native.WAIT_SLICE_NS if timeout is None else 0, self._sequence_ref,
                            metrics)
        if status == _native.TIMED_OUT:
            for slice_ns in _native.wait_slices(timeout):
                status = self._next(self._handle, slice_ns, self._sequence_ref, metrics)
                if status != _native.TIMED_OUT:
                    break
        if status in (_native.FINISHED, _native.TIMED_OUT):
            return None
        raise_for(status)
        sequence = self._sequence.value
        arrays = self._positions[sequence % self._num_buffers] or self._view_position(sequence)
        lent = [array.view() for array in arrays]
        self._lent = lent
        return Sample(optree.tree_unflatten(self.schema.treespec, lent), SampleInfo(metrics))

    def dataset_iter(self, *, copy: bool = False) -> Generator[Sample, None, None]:
        """Yields batches as they fill; returns once the server is closed and drained.

        ``copy=True`` yields owned arrays and frees the ring slots at once.
        """
        while True:
            sample = self.sample()
            if sample is None:
                return
            if copy:
                sample = Sample(batch=optree.tree_map(np.copy, sample.batch), info=sample.info)
                self.release()
            yield sample

    def valid_mask(self) -> np.ndarray:
        """Which samples of the batch the last ``sample()`` returned hold data: a bool array of
        shape (batch_size,). All True unless ``info.batch_invalid`` > 0: a ``ShmClient`` process
        died holding slots of that batch, which arrive zero-filled and marked False here."""
        valid = np.empty(self._batch_size, dtype=np.uint8)
        raise_for(_native.lib.chorus_server_batch_validity(self._handle, self._sequence.value, valid.ctypes.data))
        return valid.astype(bool)

    def release(self) -> None:
        """Hands the held batch back to the producers before the next ``sample()``; its views
        become read-only."""
        self._retire_lent()
        _native.lib.chorus_server_release(self._handle)

    def info(self) -> SampleInfo:
        """A snapshot of the server's counters now (``Sample.info`` is one taken with the batch)."""
        metrics = _native.ServerMetrics(_METRICS_SIZE)
        raise_for(_native.lib.chorus_server_metrics_get(self._handle, metrics))
        return SampleInfo(metrics)

    def reset_histograms(self) -> None:
        """id-echo compatibility: Chorus keeps no histograms in ``SampleInfo`` (they stay empty)."""

    def _retire_lent(self) -> None:
        for array in self._lent:
            array.setflags(write=False)
        self._lent = []

    def _view_position(self, sequence: int) -> list[np.ndarray]:
        """Makes the arrays viewing the ring position of batch ``sequence`` (once per position:
        the ring never moves)."""
        data = ctypes.c_void_p()
        length = ctypes.c_size_t()
        arrays = []
        for index, leaf in enumerate(self.schema.leaves):
            raise_for(
                _native.lib.chorus_server_leaf_data(
                    self._handle, sequence, index, ctypes.byref(data), ctypes.byref(length)
                )
            )
            buffer = (ctypes.c_uint8 * length.value).from_address(data.value)
            buffer._chorus_ring = self._ring  # the ring's memory lives as long as this buffer
            array = np.frombuffer(buffer, dtype=leaf.dtype).reshape((self._batch_size, *leaf.shape))
            arrays.append(array)
        self._positions[sequence % self._num_buffers] = arrays
        return arrays

    # ---- producing in process ----------------------------------------------------------------

    def submit(self, data: Any, timeout: float | None = None) -> None:
        """Copies one sample into the ring, waiting while it is full (at most ``timeout`` seconds:
        TimeoutError). A sample of the wrong structure, dtype or shape raises ValueError naming
        the leaf and writes nothing."""
        self._submit(data, stacked=False, timeout=timeout)

    def submit_many(self, data: Any, timeout: float | None = None) -> None:
        """Copies N samples, given as a pytree of arrays stacked along a new first axis."""
        self._submit(data, stacked=True, timeout=timeout)

    def _submit(self, data: Any, *, stacked: bool, timeout: float | None) -> None:
        if self._closed:
            raise ServerClosedError("the server is closed")
        # `arrays` holds the leaves (or their contiguous copies) the pointers point into until we return.
        pointers, count, arrays = self.schema.leaf_pointers(data, stacked=stacked)
        if count == 0:
            return
        self._in_slices(pointers, count, timeout,
                        lambda done, left, slice_ns, taken: _native.lib.chorus_server_submit(
                            self._handle, pointers, left, slice_ns, taken))

    def _in_slices(self, pointers, count: int, timeout: float | None, call) -> None:
        """Runs a C call that takes ``count`` leaf-major samples and may time out part way, in
        waits of at most ``WAIT_SLICE`` (so Ctrl-C is handled between them): after a slice, the
        leaf pointers move past the samples taken and the call goes on with the rest. ``call``
        gets (samples done, samples left, the slice in ns, a size_t pointer for how many it took)."""
        taken = ctypes.c_size_t()
        done = 0
        for slice_ns in _native.wait_slices(timeout):
            status = call(done, count - done, slice_ns, ctypes.byref(taken))
            done += taken.value
            if status != _native.TIMED_OUT:
                break
            for index, leaf in enumerate(self.schema.leaves):
                pointers[index] += taken.value * leaf.nbytes
        raise_for(status)

    # ---- replay tables -----------------------------------------------------------------------

    def _table(self, name: str):
        if self._closed:
            raise ServerClosedError("the server is closed")
        try:
            return self._tables[name]
        except KeyError:
            raise KeyError(f"no table named {name!r} (the server has {sorted(self._tables)})") from None

    def insert(self, table: str, data: Any, priority: float = 1.0, timeout: float | None = None) -> int:
        """Inserts one sample into ``table`` with ``priority``, waiting while its rate limiter
        forbids it (TimeoutError after ``timeout`` seconds); returns the item's key."""
        return int(self._insert(table, data, stacked=False, priorities=[priority], timeout=timeout)[0])

    def insert_many(self, table: str, data: Any, priorities: Any = 1.0, timeout: float | None = None) -> np.ndarray:
        """Inserts N samples stacked along a new first axis, with one priority for all or one
        each; returns their keys (uint64)."""
        return self._insert(table, data, stacked=True, priorities=np.atleast_1d(priorities), timeout=timeout)

    def _insert(self, name: str, data: Any, *, stacked: bool, priorities, timeout: float | None) -> np.ndarray:
        handle = self._table(name).handle
        pointers, count, arrays = self.schema.leaf_pointers(data, stacked=stacked)
        priorities = np.ascontiguousarray(priorities, dtype=np.float64)
        if len(priorities) not in (1, count):
            raise ValueError(f"{len(priorities)} priorities for {count} samples: give 1, or one per sample")
        keys = np.zeros(count, dtype=np.uint64)
        if count == 0:
            return keys

        def insert(done, left, slice_ns, taken):
            given = priorities if len(priorities) == 1 else priorities[done:]
            return _native.lib.chorus_table_insert(handle, pointers, left, given.ctypes.data, len(given), slice_ns,
                                                   keys.ctypes.data + done * 8, taken)

        self._in_slices(pointers, count, timeout, insert)
        return keys

    def _sample_table(self, name: str, batch_size: int, timeout: float | None) -> ReplaySample:
        handle = self._table(name).handle
        if batch_size < 1:  # before its arrays are made
            raise ValueError(f"a batch of {batch_size} cannot be sampled: a batch needs at least 1 item")
        for slice_ns in _native.wait_slices(timeout):
            status, sample = _table.sample(handle, self.schema, batch_size, slice_ns)
            if status != _native.TIMED_OUT:
                break
        raise_for(status)
        return sample

    def update_priorities(self, table: str, updates: Any, priorities: Any = None) -> None:
        """Sets priorities by key: ``update_priorities(table, {key: priority})``, as dm-reverb's
        client takes them, or ``update_priorities(table, keys, priorities)`` with two arrays (a
        sample's ``keys`` and the learner's new priorities: no dict to build). Nothing changes
        if a priority is NaN, infinite or negative (ValueError) or a key is not in the table
        (KeyError)."""
        if isinstance(updates, dict):
            if priorities is not None:
                raise TypeError("give a {key: priority} dict, or keys and priorities, not both")
            keys = np.fromiter(updates.keys(), dtype=np.uint64, count=len(updates))
            values = np.fromiter(updates.values(), dtype=np.float64, count=len(updates))
        else:
            keys = np.ascontiguousarray(np.atleast_1d(updates), dtype=np.uint64)
            values = np.ascontiguousarray(np.atleast_1d(priorities), dtype=np.float64)
            if keys.ndim != 1 or values.shape != keys.shape:
                raise ValueError(f"{values.size} priorities for {keys.size} keys: give one per key")
        raise_for(_native.lib.chorus_table_update_priorities(
            self._table(table).handle, keys.ctypes.data, values.ctypes.data, len(keys)))

    def delete(self, table: str, keys: Any) -> None:
        """Removes items by key; nothing changes if a key is not in the table (KeyError)."""
        keys = np.ascontiguousarray(np.atleast_1d(keys), dtype=np.uint64)
        raise_for(_native.lib.chorus_table_delete(self._table(table).handle, keys.ctypes.data, len(keys)))

    def table_info(self, table: str) -> dict[str, int]:
        """The table's counters now: size, max_size, inserts, samples, removals, waiting_inserts,
        waiting_samples."""
        info = _native.TableInfo(ctypes.sizeof(_native.TableInfo))
        raise_for(_native.lib.chorus_table_info_get(self._table(table).handle, info))
        return {name: getattr(info, name) for name, _ in _native.TableInfo._fields_[1:]}

    def checkpoint(self, table: str, path: str) -> int:
        """Writes ``table`` to ``path`` atomically (restore it with ``Table(name, checkpoint=path)``);
        returns the bytes written."""
        written = ctypes.c_uint64()
        raise_for(_native.lib.chorus_table_checkpoint(self._table(table).handle, str(path).encode(),
                                                      ctypes.byref(written)))
        return written.value
