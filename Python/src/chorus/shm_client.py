"""A producer on the learner's machine: writes samples straight into its ring (shared memory)."""

from __future__ import annotations

import ctypes
import os
from typing import Any

from chorus import _native
from chorus._errors import ConnectionClosedError, raise_for
from chorus._native_client import NativeClient
from chorus.schema import Schema


class ShmClient(NativeClient):
    """Writes pytree samples straight into the ring of a learner on this machine, whose server
    listens with ``ShmTransport(path)``: each leaf is copied once, into the slots the learner
    will read; nothing crosses a socket.

    Args:
        path: the server's Unix socket.
        data_sample: an example pytree of numpy arrays (or a ``Schema``): the server's schema
            must match it (ValueError naming the first differing leaf otherwise).
        secret: the server's shared secret, when it has one.
        connect_timeout: seconds for connecting and the handshake.

    If this process dies, the server completes the slots it had granted and not received as
    zero-filled samples marked invalid (``Sample.info.batch_invalid``, ``Server.valid_mask()``),
    and goes on; if it is stopped mid-send, the server kills it once it has held its slots for the
    grant lease (30 s). Use one client from one thread at a time (calls are serialised).
    """

    _c_wait, _c_close, _c_free = "chorus_shm_client_wait", "chorus_shm_client_close", "chorus_shm_client_free"

    def __init__(self, path: str | os.PathLike, data_sample: Any, *, secret: bytes | str | None = None,
                 connect_timeout: float = 10.0):
        self.schema = Schema.of(data_sample)
        self._path = os.fspath(path)
        key, length = _native.secret_bytes(secret)
        handle = ctypes.c_void_p()
        raise_for(_native.lib.chorus_shm_client_connect(self._path.encode(), self.schema._handle, key, length,
                                                        _native.timeout_ns(connect_timeout), ctypes.byref(handle)))
        self._handle = handle
        self._closed = False

    def send(self, data: Any) -> None:
        """Writes one sample.

        Raises:
            ConnectionClosedError: the client was closed, or the server went away.
            ValueError: the sample's structure, a dtype or a shape differs from the schema.
        """
        self._send(data, stacked=False)

    def send_many(self, data: Any) -> None:
        """Writes N samples from a pytree whose leaves stack them along a new first axis
        (shape (N, *leaf.shape)): one copy per leaf, straight into the ring."""
        self._send(data, stacked=True)

    def _send(self, data: Any, *, stacked: bool) -> None:
        if self._closed:
            raise ConnectionClosedError(f"ShmClient for {self._path} is closed")
        # `arrays` holds the leaves (or their contiguous copies) the pointers point into until we return.
        pointers, count, arrays = self.schema.leaf_pointers(data, stacked=stacked)
        if count:
            raise_for(_native.lib.chorus_shm_client_send(self._handle, pointers, count),
                      closed=ConnectionClosedError, lost=ConnectionClosedError)
