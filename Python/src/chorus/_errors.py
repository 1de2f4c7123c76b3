"""The exceptions of the chorus package and the mapping from the C ABI's status codes."""

from __future__ import annotations

from chorus import _native


class ConnectionClosedError(ConnectionError):
    """Raised on send() after a TcpClient has been closed or its peer has disconnected."""


class ServerClosedError(RuntimeError):
    """Raised when a closed Server is asked to take samples or to start."""


def raise_for(status: int, *, closed: type[Exception] = ServerClosedError,
              lost: type[Exception] = ConnectionError) -> None:
    """Raises the exception for a failed C call (with the library's message); no-op on OK.

    ``closed`` is raised for CHORUS_CLOSED and ``lost`` for CHORUS_CONNECTION_FAILED, which mean
    different things to a server and to a connected client.
    """
    if status == _native.OK:
        return
    message = _native.last_error()
    exception = {
        _native.INVALID_ARGUMENT: ValueError,
        _native.SCHEMA_MISMATCH: ValueError,
        _native.CLOSED: closed,
        _native.TIMED_OUT: TimeoutError,
        _native.CONNECTION_FAILED: lost,
        _native.REFUSED: ConnectionRefusedError,
        _native.ADDRESS_ERROR: OSError,
        _native.NOT_FOUND: KeyError,
        _native.IO_ERROR: OSError,
    }.get(status, RuntimeError)
    raise exception(message)
