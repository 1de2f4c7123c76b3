"""When a replay table lets inserts and samples proceed (dm-reverb's ``reverb.rate_limiters``).

The checks (a band that could block forever, a minimum size above the table) are made by the
Swift core when the server creates the table, and raise ValueError with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_SIZE, SAMPLE_TO_INSERT_RATIO, QUEUE = range(3)


@dataclass(frozen=True)
class MinSize:
    """Samples wait until the table holds ``min_size_to_sample`` items; nothing else is limited."""

    min_size_to_sample: int
    kind = MIN_SIZE


@dataclass(frozen=True)
class SampleToInsertRatio:
    """Keeps samples ~ ``samples_per_insert`` x inserts once the table holds
    ``min_size_to_sample`` items, within ``error_buffer`` either way."""

    samples_per_insert: float
    min_size_to_sample: int
    error_buffer: float
    kind = SAMPLE_TO_INSERT_RATIO


@dataclass(frozen=True)
class Queue:
    """Each item sampled exactly once, in order; inserts wait while ``size`` are unsampled (use
    ``chorus.Table.queue``, which pairs it with Fifo selectors and max_times_sampled=1)."""

    size: int
    kind = QUEUE
