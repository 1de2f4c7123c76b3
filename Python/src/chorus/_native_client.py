"""What TcpClient and ShmClient share: a C client handle's waits, closing and lifetime."""

from __future__ import annotations

from chorus import _native
from chorus._errors import ConnectionClosedError, raise_for


class NativeClient:
    """A client over a C handle. Subclasses name their C functions (``_c_wait``, ``_c_close``,
    ``_c_free``) and set ``_handle`` and ``_closed`` once connected."""

    _c_wait: str
    _c_close: str
    _c_free: str

    def wait(self, timeout: float | None = None) -> None:
        """Blocks until every sample sent so far is committed to the server's ring;
        TimeoutError after ``timeout`` seconds."""
        if self._closed:
            return
        wait = getattr(_native.lib, self._c_wait)
        for slice_ns in _native.wait_slices(timeout):
            status = wait(self._handle, slice_ns)
            if status != _native.TIMED_OUT:
                break
        raise_for(status, closed=ConnectionClosedError, lost=ConnectionClosedError)

    def close(self) -> None:
        """Closes the connection. Idempotent. Samples not yet committed may be lost: ``wait()`` first."""
        if not self._closed:
            self._closed = True
            getattr(_native.lib, self._c_close)(self._handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            getattr(_native.lib, self._c_free)(handle)
