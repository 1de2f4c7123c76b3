"""How a replay table picks items, as its sampler or remover (dm-reverb's ``reverb.selectors``)."""

from __future__ import annotations

from dataclasses import dataclass

FIFO, LIFO, UNIFORM, PRIORITIZED, MAX_HEAP, MIN_HEAP = range(6)


@dataclass(frozen=True)
class Fifo:
    """The oldest item first."""

    kind = FIFO
    priority_exponent = 0.0


@dataclass(frozen=True)
class Lifo:
    """The newest item first."""

    kind = LIFO
    priority_exponent = 0.0


@dataclass(frozen=True)
class Uniform:
    """Every item with probability 1 / size."""

    kind = UNIFORM
    priority_exponent = 0.0


@dataclass(frozen=True)
class Prioritized:
    """Item i with probability p_i^a / sum_j p_j^a (a = ``priority_exponent``); priority 0 is never
    drawn unless every priority is 0 (then uniformly)."""

    priority_exponent: float
    kind = PRIORITIZED


@dataclass(frozen=True)
class MaxHeap:
    """The highest priority first (ties: the item inserted or updated longest ago)."""

    kind = MAX_HEAP
    priority_exponent = 0.0


@dataclass(frozen=True)
class MinHeap:
    """The lowest priority first (ties: the item inserted or updated longest ago)."""

    kind = MIN_HEAP
    priority_exponent = 0.0
