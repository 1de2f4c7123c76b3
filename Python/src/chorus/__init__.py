"""Chorus for Python: stream pytree samples from rollout workers to a learner.

A drop-in for id-echo's Python API (``import chorus as echo``) over the Swift core: the learner's
batches are zero-copy NumPy views of the ring (each also a DLPack producer, for JAX and PyTorch),
and clients speak id-echo's wire or Chorus's wire v2 (authentication, resume).
"""

from chorus import rate_limiters, selectors
from chorus._errors import ConnectionClosedError, ServerClosedError
from chorus._native import lib as _lib
from chorus.sample_info import HistSnapshot, SampleInfo
from chorus.schema import LeafSpec, Schema
from chorus.server import ChorusTransport, Sample, Server, ShmTransport, TcpTransport
from chorus.table import ReplaySample, Table
from chorus.sharded_client import ShardedClient
from chorus.shm_client import ShmClient
from chorus.tcp_client import TcpClient
from chorus.trajectory_accumulator import TrajectoryAccumulator

__version__ = _lib.chorus_version().decode()

__all__ = [
    "Server",
    "Sample",
    "SampleInfo",
    "HistSnapshot",
    "TcpTransport",
    "ChorusTransport",
    "ShmTransport",
    "TcpClient",
    "ShmClient",
    "ShardedClient",
    "ConnectionClosedError",
    "ServerClosedError",
    "TrajectoryAccumulator",
    "Schema",
    "LeafSpec",
    "Table",
    "ReplaySample",
    "selectors",
    "rate_limiters",
    "__version__",
]
