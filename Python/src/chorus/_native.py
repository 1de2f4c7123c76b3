"""ctypes bindings to libChorusC, the C ABI of the Swift core (``Sources/CChorus/include/chorus.h``).

The library is found, in order: ``$CHORUS_LIBRARY`` (a path, for development against a Swift
build), then ``_lib/libChorusC.so`` next to this file (the wheel). ctypes releases the GIL for
every call, so a thread blocked in ``next`` or ``wait`` does not stop other Python threads.
"""

from __future__ import annotations

import ctypes
import os
import time
from ctypes import (
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint64,
    c_void_p,
)
from pathlib import Path

ABI_VERSION = 1

OK = 0
INVALID_ARGUMENT = 1
SCHEMA_MISMATCH = 2
CLOSED = 3
TIMED_OUT = 4
CONNECTION_FAILED = 5
REFUSED = 6
ADDRESS_ERROR = 7
FINISHED = 8
INTERNAL_ERROR = 9
NOT_FOUND = 10
IO_ERROR = 11

PROTOCOL_ECHO = 1
PROTOCOL_CHORUS = 2
PROTOCOL_SHARED_MEMORY = 3


class LeafInfo(Structure):
    _fields_ = [
        ("path", c_char_p),
        ("dtype", c_char_p),
        ("ndim", c_size_t),
        ("shape", POINTER(c_int64)),
        ("byte_count", c_size_t),
    ]


class Listener(Structure):
    _fields_ = [
        ("protocol", c_int32),
        ("host", c_char_p),
        ("port", c_uint16),
        ("secret", POINTER(c_uint8)),
        ("secret_length", c_size_t),
        ("grant_lease_ns", c_int64),
    ]


class ServerMetrics(Structure):
    _fields_ = [("struct_size", c_size_t)] + [
        (name, c_uint64)
        for name in (
            "samples_committed",
            "batches_delivered",
            "producer_waits",
            "consumer_waits",
            "ring_fill",
            "ring_capacity",
            "connections_accepted",
            "connections_active",
            "connections_reset",
            "connections_refused",
            "samples_received",
            "samples_truncated",
            "bytes_received",
            "ack_writes",
            "stalls",
            "sessions_resumed",
            "internal_errors",
            "samples_read_directly",
            "samples_voided",
            "batch_invalid",
        )
    ]


class Selector(Structure):
    _fields_ = [("kind", c_int32), ("priority_exponent", c_double)]


class TableConfig(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("max_size", c_size_t),
        ("sampler", Selector),
        ("remover", Selector),
        ("limiter", c_int32),
        ("samples_per_insert", c_double),
        ("min_size_to_sample", c_size_t),
        ("error_buffer", c_double),
        ("max_times_sampled", c_size_t),
        ("seed", c_uint64),
    ]


class TableInfo(Structure):
    _fields_ = [("struct_size", c_size_t)] + [
        (name, c_uint64)
        for name in ("size", "max_size", "inserts", "samples", "removals", "waiting_inserts", "waiting_samples")
    ]


def _library_path() -> str:
    configured = os.environ.get("CHORUS_LIBRARY")
    if configured:
        return configured
    bundled = Path(__file__).with_name("_lib") / "libChorusC.so"
    if bundled.exists():
        return str(bundled)
    raise ImportError(
        "chorus: libChorusC.so not found; install the chorus-rl wheel, or set CHORUS_LIBRARY to "
        "a Swift build's libChorusC.so (swift build --product ChorusC)"
    )


def _load() -> ctypes.CDLL:
    lib = ctypes.CDLL(_library_path())
    sigs = {
        "chorus_abi_version": (c_int32, []),
        "chorus_version": (c_char_p, []),
        "chorus_last_error": (c_char_p, []),
        "chorus_schema_parse": (c_int32, [c_char_p, POINTER(c_void_p)]),
        "chorus_schema_free": (None, [c_void_p]),
        "chorus_schema_canonical_json": (c_char_p, [c_void_p]),
        "chorus_schema_leaf_count": (c_size_t, [c_void_p]),
        "chorus_schema_sample_size": (c_size_t, [c_void_p]),
        "chorus_schema_leaf": (c_int32, [c_void_p, c_size_t, POINTER(LeafInfo)]),
        "chorus_server_create": (c_int32, [c_void_p, c_size_t, c_size_t, POINTER(c_void_p)]),
        "chorus_server_free": (None, [c_void_p]),
        "chorus_server_listen": (c_int32, [c_void_p, POINTER(Listener), c_size_t, c_size_t, POINTER(c_uint16)]),
        "chorus_server_submit": (c_int32, [c_void_p, POINTER(c_void_p), c_size_t, c_int64, POINTER(c_size_t)]),
        "chorus_server_next": (c_int32, [c_void_p, c_int64, POINTER(c_uint64), POINTER(ServerMetrics)]),
        "chorus_server_release": (None, [c_void_p]),
        "chorus_server_leaf_data": (c_int32, [c_void_p, c_uint64, c_size_t, POINTER(c_void_p), POINTER(c_size_t)]),
        "chorus_server_shutdown": (None, [c_void_p]),
        "chorus_server_metrics_get": (c_int32, [c_void_p, POINTER(ServerMetrics)]),
        "chorus_client_connect": (
            c_int32,
            [c_char_p, c_uint16, c_void_p, c_int32, POINTER(c_uint8), c_size_t, c_size_t, c_int64, POINTER(c_void_p)],
        ),
        "chorus_client_free": (None, [c_void_p]),
        "chorus_client_send": (c_int32, [c_void_p, POINTER(c_void_p), c_size_t]),
        "chorus_client_wait": (c_int32, [c_void_p, c_int64]),
        "chorus_client_set_send_buffer": (c_int32, [c_void_p, c_size_t]),
        "chorus_client_flush": (c_int32, [c_void_p]),
        "chorus_client_unacked": (c_size_t, [c_void_p]),
        "chorus_client_close": (None, [c_void_p]),
        "chorus_shm_client_connect": (
            c_int32, [c_char_p, c_void_p, c_void_p, c_size_t, c_int64, POINTER(c_void_p)]),
        "chorus_shm_client_free": (None, [c_void_p]),
        "chorus_shm_client_send": (c_int32, [c_void_p, POINTER(c_void_p), c_size_t]),
        "chorus_shm_client_wait": (c_int32, [c_void_p, c_int64]),
        "chorus_shm_client_close": (None, [c_void_p]),
        "chorus_server_batch_validity": (c_int32, [c_void_p, c_uint64, c_void_p]),
        "chorus_table_create": (c_int32, [c_void_p, POINTER(TableConfig), POINTER(c_void_p)]),
        "chorus_table_restore": (c_int32, [c_char_p, POINTER(c_void_p)]),
        "chorus_table_checkpoint": (c_int32, [c_void_p, c_char_p, POINTER(c_uint64)]),
        "chorus_table_free": (None, [c_void_p]),
        "chorus_table_schema": (c_int32, [c_void_p, POINTER(c_void_p)]),
        "chorus_table_name": (c_char_p, [c_void_p]),
        "chorus_server_create_with_tables": (
            c_int32,
            [c_void_p, c_size_t, c_size_t, POINTER(c_void_p), c_size_t, c_char_p, POINTER(c_void_p)],
        ),
        "chorus_table_insert": (
            c_int32,
            [c_void_p, POINTER(c_void_p), c_size_t, c_void_p, c_size_t, c_int64, c_void_p, POINTER(c_size_t)],
        ),
        "chorus_table_sample": (
            c_int32,
            [c_void_p, c_size_t, c_int64, POINTER(c_void_p), c_void_p, c_void_p, c_void_p, c_void_p, c_void_p],
        ),
        "chorus_table_update_priorities": (c_int32, [c_void_p, c_void_p, c_void_p, c_size_t]),
        "chorus_table_delete": (c_int32, [c_void_p, c_void_p, c_size_t]),
        "chorus_table_info_get": (c_int32, [c_void_p, POINTER(TableInfo)]),
        "chorus_client_connect_table": (
            c_int32,
            [c_char_p, c_uint16, c_void_p, c_char_p, POINTER(c_uint8), c_size_t, c_size_t, c_int64, POINTER(c_void_p)],
        ),
        "chorus_client_connect_session": (
            c_int32,
            [c_char_p, c_uint16, c_void_p, c_char_p, POINTER(c_uint8), c_size_t, POINTER(c_uint8), c_size_t, c_int64,
             POINTER(c_void_p)],
        ),
        "chorus_client_session_start": (c_uint64, [c_void_p]),
        "chorus_client_send_prioritized": (c_int32, [c_void_p, POINTER(c_void_p), c_size_t, c_void_p, c_size_t]),
        "chorus_sharded_client_connect": (
            c_int32,
            [POINTER(c_char_p), POINTER(c_uint16), c_size_t, c_void_p, POINTER(c_uint8), c_size_t, c_size_t, c_int64,
             c_int64, c_int64, c_int64, POINTER(c_void_p)],
        ),
        "chorus_sharded_client_free": (None, [c_void_p]),
        "chorus_sharded_client_send": (c_int32, [c_void_p, POINTER(c_void_p), c_size_t]),
        "chorus_sharded_client_send_key": (c_int32, [c_void_p, POINTER(c_void_p), c_size_t, c_uint64]),
        "chorus_sharded_client_wait": (c_int32, [c_void_p, c_int64]),
        "chorus_sharded_client_shards": (None, [c_void_p, c_void_p, c_void_p]),
        "chorus_sharded_client_close": (None, [c_void_p]),
    }
    for name, (restype, argtypes) in sigs.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    found = lib.chorus_abi_version()
    if found != ABI_VERSION:
        raise ImportError(f"chorus: libChorusC has ABI version {found}, this package needs {ABI_VERSION}")
    return lib


lib = _load()


def last_error() -> str:
    return lib.chorus_last_error().decode("utf-8", "replace")


def secret_bytes(secret: bytes | str | None):
    """A secret as the C ABI takes it: a byte pointer and a length (NULL and 0 for none)."""
    if secret is None:
        return None, 0
    if isinstance(secret, str):
        secret = secret.encode()
    return (c_uint8 * len(secret)).from_buffer_copy(secret), len(secret)


def timeout_ns(timeout: float | None) -> int:
    return -1 if timeout is None else max(0, int(timeout * 1e9))


# Waits in C are cut into slices this long, so Python handles signals (Ctrl-C) in between.
WAIT_SLICE = 0.1
WAIT_SLICE_NS = int(WAIT_SLICE * 1e9)


def wait_slices(timeout: float | None):
    """The timeouts (ns) of successive C waits that together last ``timeout`` seconds (forever
    when None), each at most ``WAIT_SLICE``; always at least one."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = WAIT_SLICE if deadline is None else min(WAIT_SLICE, deadline - time.monotonic())
        yield max(0, int(left * 1e9))
        if deadline is not None and time.monotonic() >= deadline:
            return
