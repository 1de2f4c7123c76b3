"""A worker's client for data-parallel learners: samples spread over several servers."""

from __future__ import annotations

import ctypes
from typing import Any, Sequence

import numpy as np

from chorus import _native
from chorus._errors import ConnectionClosedError, raise_for
from chorus._native_client import NativeClient
from chorus.schema import Schema


class ShardedClient(NativeClient):
    """Sends pytree samples to several Chorus servers (wire v2), one ``TcpClient`` per shard.

    Args:
        shards: the servers, as ``(host, port)`` pairs.
        data_sample: an example pytree of numpy arrays (or a ``Schema``), as for ``TcpClient``.
        max_inflight_msgs: each shard's window of unacknowledged samples.
        secret: the servers' shared secret, if they require one.
        connect_timeout: seconds for connecting to one shard.
        retry_delay, max_retry_delay: a shard that is down is tried again after ``retry_delay``
            seconds, doubling up to ``max_retry_delay``.
        timeout: the longest a call waits for shards to come back, in seconds.

    ``send(data)`` goes round-robin over the shards that are up: a shard whose connection fails
    is skipped (and retried later), and the samples it had not acknowledged are sent through the
    others, so nothing sent is lost while one shard lives (a sample the failed server received
    without acknowledging it may arrive on two shards, never twice on one). ``send(data, key=k)``
    always goes to shard ``k % len(shards)`` (one episode, one learner), waiting while it is down.
    At least one shard must answer when the client is made.
    """

    _c_wait, _c_close, _c_free = "chorus_sharded_client_wait", "chorus_sharded_client_close", "chorus_sharded_client_free"

    def __init__(
        self,
        shards: Sequence[tuple[str, int]],
        data_sample: Any,
        max_inflight_msgs: int = 32,
        *,
        secret: bytes | str | None = None,
        connect_timeout: float = 10.0,
        retry_delay: float = 0.1,
        max_retry_delay: float = 5.0,
        timeout: float = 30.0,
    ):
        shards = [(str(host), int(port)) for host, port in shards]
        if not shards:
            raise ValueError("a sharded client needs at least one shard")
        if max_inflight_msgs < 1:
            raise ValueError(f"max_inflight_msgs must be at least 1, not {max_inflight_msgs}")
        if not 0 < retry_delay <= max_retry_delay:
            raise ValueError(f"need 0 < retry_delay <= max_retry_delay, not {retry_delay} and {max_retry_delay}")
        self.schema = Schema.of(data_sample)
        self.shards = shards
        hosts = (ctypes.c_char_p * len(shards))(*(host.encode() for host, _ in shards))
        ports = (ctypes.c_uint16 * len(shards))(*(port for _, port in shards))
        key, length = _native.secret_bytes(secret)
        handle = ctypes.c_void_p()
        raise_for(_native.lib.chorus_sharded_client_connect(
            hosts, ports, len(shards), self.schema._handle, key, length, max_inflight_msgs,
            _native.timeout_ns(connect_timeout), _native.timeout_ns(retry_delay), _native.timeout_ns(max_retry_delay),
            _native.timeout_ns(timeout), ctypes.byref(handle),
        ))
        self._handle = handle
        self._closed = False

    def send(self, data: Any, key: int | None = None) -> None:
        """Sends one sample: to the next shard that is up, or to shard ``key % len(shards)``."""
        self._send(data, stacked=False, key=key)

    def send_many(self, data: Any, key: int | None = None) -> None:
        """Sends N samples from a pytree whose leaves stack them along a new first axis; each to
        the next shard that is up, or all to the shard of ``key``."""
        self._send(data, stacked=True, key=key)

    def _send(self, data: Any, *, stacked: bool, key: int | None) -> None:
        if self._closed:
            raise ConnectionClosedError("ShardedClient is closed")
        pointers, count, arrays = self.schema.leaf_pointers(data, stacked=stacked)
        if not count:
            return
        if key is None:
            status = _native.lib.chorus_sharded_client_send(self._handle, pointers, count)
        else:
            status = _native.lib.chorus_sharded_client_send_key(self._handle, pointers, count, key % 2**64)
        raise_for(status, closed=ConnectionClosedError, lost=ConnectionClosedError)

    def _shards(self) -> tuple[np.ndarray, np.ndarray]:
        up = np.zeros(len(self.shards), dtype=np.uint8)
        sent = np.zeros(len(self.shards), dtype=np.uint64)
        if not self._closed:
            _native.lib.chorus_sharded_client_shards(self._handle, up.ctypes.data, sent.ctypes.data)
        return up, sent

    @property
    def shards_up(self) -> list[bool]:
        """Whether each shard is connected now, in ``shards`` order."""
        return [bool(flag) for flag in self._shards()[0]]

    @property
    def samples_sent(self) -> list[int]:
        """Samples handed to each shard so far (those sent again after a failure count again)."""
        return [int(count) for count in self._shards()[1]]
