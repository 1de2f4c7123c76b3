"""The rollout worker's side: a TcpClient over the Swift client (both wires, v2 resume)."""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from chorus import _native
from chorus._errors import ConnectionClosedError, raise_for
from chorus._native_client import NativeClient
from chorus.schema import Schema

_PROTOCOLS = {"echo": _native.PROTOCOL_ECHO, "chorus": _native.PROTOCOL_CHORUS}


class TcpClient(NativeClient):
    """Sends pytree samples to a Chorus server, or to any id-echo server.

    Args:
        host: the server's name or address (IPv4 or IPv6).
        port: its TCP port.
        data_sample: an example pytree of numpy arrays (or a ``Schema``): the server's schema
            must match it (ValueError naming the first differing leaf otherwise).
        max_inflight_msgs: samples sent and not yet acknowledged before ``send`` blocks.
        protocol: ``"echo"`` (id-echo's wire v1, the default: works with both servers) or
            ``"chorus"`` (wire v2: authentication with ``secret``, and after a dropped connection
            the client reconnects and resends what the server did not commit, so every sample
            lands exactly once).
        connect_timeout: seconds for connecting and the handshake.
        table: the server's replay table to write (protocol "chorus" only); ``send`` then takes a
            ``priority``.
        send_buffer: bytes of samples to gather before writing them (0: each ``send`` is written
            at once). Small samples then cost one system call per buffer, not one each; they go
            out when the buffer fills and on ``flush()``, ``wait()``, a full window and
            ``close()``, so a producer that pauses should ``flush()``.
        session: 16 bytes naming a session to continue (protocol "chorus" only), e.g. the one a
            process that died had begun: ``session_start`` then says how many of its samples
            the server already committed, and this client's samples follow them. None: a new
            session. A server remembers an idle session for ten minutes (by default), not
            across its own restarts.

    ``send`` blocks only while ``max_inflight_msgs`` samples are unacknowledged. Use one client
    from one thread at a time (calls are serialised).
    """

    _c_wait, _c_close, _c_free = "chorus_client_wait", "chorus_client_close", "chorus_client_free"

    def __init__(
        self,
        host: str,
        port: int,
        data_sample: Any,
        max_inflight_msgs: int = 32,
        *,
        protocol: str = "echo",
        secret: bytes | str | None = None,
        connect_timeout: float = 10.0,
        table: str | None = None,
        send_buffer: int = 0,
        session: bytes | None = None,
    ):
        if protocol not in _PROTOCOLS:
            raise ValueError(f"protocol must be 'echo' or 'chorus', not {protocol!r}")
        if max_inflight_msgs < 1:
            raise ValueError(f"max_inflight_msgs must be at least 1, not {max_inflight_msgs}")
        if send_buffer < 0:
            raise ValueError(f"send_buffer must be at least 0 bytes, not {send_buffer}")
        self.schema = Schema.of(data_sample)
        self._peer = f"{host}:{port}"
        key, length = _native.secret_bytes(secret)
        handle = ctypes.c_void_p()
        self.table = table
        if table is not None and protocol != "chorus":
            raise ValueError("only protocol 'chorus' can name a table")
        if session is not None:
            if protocol != "chorus":
                raise ValueError("only protocol 'chorus' has sessions to continue")
            if len(session) != 16:
                raise ValueError(f"a session is 16 bytes, not {len(session)}")
            status = _native.lib.chorus_client_connect_session(
                host.encode(), port, self.schema._handle, table.encode() if table is not None else None, key, length,
                (ctypes.c_uint8 * 16).from_buffer_copy(session), max_inflight_msgs, _native.timeout_ns(connect_timeout),
                ctypes.byref(handle),
            )
        elif table is not None:
            status = _native.lib.chorus_client_connect_table(
                host.encode(), port, self.schema._handle, table.encode(), key, length, max_inflight_msgs,
                _native.timeout_ns(connect_timeout), ctypes.byref(handle),
            )
        else:
            status = _native.lib.chorus_client_connect(
                host.encode(), port, self.schema._handle, _PROTOCOLS[protocol], key, length, max_inflight_msgs,
                _native.timeout_ns(connect_timeout), ctypes.byref(handle),
            )
        raise_for(status)
        self._handle = handle
        self._closed = False
        if send_buffer:
            raise_for(_native.lib.chorus_client_set_send_buffer(handle, send_buffer))

    def send(self, data: Any, priority: float | None = None) -> None:
        """Sends one sample (with ``priority``, to a client's table: 1.0 when None).

        Raises:
            ConnectionClosedError: the client was closed, or the connection broke (and, for
                protocol "chorus", could not be resumed).
            ValueError: the sample's structure, a dtype or a shape differs from the schema
                (the message names the leaf); nothing is sent.
        """
        self._send(data, stacked=False, priorities=priority)

    def send_many(self, data: Any, priorities: Any = None) -> None:
        """Sends N samples in one call, from a pytree whose leaves stack them along a new first
        axis (shape (N, *leaf.shape)), e.g. a rollout's steps; to a table with one priority for
        all or one each."""
        self._send(data, stacked=True, priorities=priorities)

    def _send(self, data: Any, *, stacked: bool, priorities: Any) -> None:
        if self._closed:
            raise ConnectionClosedError(f"TcpClient for {self._peer} is closed")
        if priorities is not None and self.table is None:
            raise ValueError("priorities need a table: connect with TcpClient(..., table=name)")
        # `arrays` holds the leaves (or their contiguous copies) the pointers point into until we return.
        pointers, count, arrays = self.schema.leaf_pointers(data, stacked=stacked)
        if not count:
            return
        if self.table is None:
            status = _native.lib.chorus_client_send(self._handle, pointers, count)
        elif priorities is None or isinstance(priorities, float) or np.ndim(priorities) == 0:
            priority = ctypes.c_double(1.0 if priorities is None else priorities)
            status = _native.lib.chorus_client_send_prioritized(self._handle, pointers, count, ctypes.byref(priority), 1)
        else:
            given = np.ascontiguousarray(priorities, dtype=np.float64)
            status = _native.lib.chorus_client_send_prioritized(self._handle, pointers, count, given.ctypes.data,
                                                                len(given))
        raise_for(status, closed=ConnectionClosedError, lost=ConnectionClosedError)

    def flush(self) -> None:
        """Writes the samples the send buffer gathered (nothing without one)."""
        if self._closed:
            raise ConnectionClosedError(f"TcpClient for {self._peer} is closed")
        raise_for(_native.lib.chorus_client_flush(self._handle), closed=ConnectionClosedError,
                  lost=ConnectionClosedError)

    @property
    def session_start(self) -> int:
        """The samples of this client's session the server had committed when it connected (0 for
        a new session): a process continuing a dead one's ``session`` carries on from there."""
        return _native.lib.chorus_client_session_start(self._handle)

    @property
    def unacked(self) -> int:
        """Samples sent and not yet acknowledged."""
        return 0 if self._closed else _native.lib.chorus_client_unacked(self._handle)
