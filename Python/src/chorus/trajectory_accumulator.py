"""TrajectoryAccumulator: id-echo's multi-timescale buffer, with its rules and clear errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import optree


class TrajectoryAccumulator:
    """A fixed-size pytree buffer filled one item at a time, per timescale.

    The example is a dict of timescale names to pytrees; per timescale (id-echo's rules):

    * **buffered** — every leaf has the same leading dimension ``N > 1``: ``add()`` writes the
      next of ``N`` slots (``stored[s] = item``);
    * **single-item** — some leaf is 0-d, or every leaf has leading dimension 1: ``add()``
      replaces the whole leaf, once.

    Unlike id-echo, an item of the wrong structure, dtype or shape raises ValueError naming the
    leaf (id-echo casts and broadcasts it), and nothing is written; an add past the capacity
    raises IndexError, as in id-echo.
    """

    def __init__(self, example: dict[str, Any]):
        if not isinstance(example, dict):
            raise TypeError("example must be a dict with timescale names as top-level keys")
        self._counts: dict[str, int] = {}
        self._single_item: dict[str, bool] = {}
        for name, subtree in example.items():
            leaves = optree.tree_leaves(subtree)
            if not leaves:
                raise ValueError(f"Timescale '{name}' has no array leaves")
            if not all(isinstance(leaf, np.ndarray) for leaf in leaves):
                raise TypeError(f"Timescale '{name}': all leaves must be numpy arrays")
            if any(leaf.ndim == 0 for leaf in leaves) or all(leaf.shape[0] == 1 for leaf in leaves):
                self._counts[name] = 1
                self._single_item[name] = True
            else:
                leading = [leaf.shape[0] for leaf in leaves]
                if not all(n == leading[0] for n in leading):
                    raise ValueError(
                        f"All leaves in buffered timescale '{name}' must share the same leading dimension "
                        f"(got {leading}); make any leaf 0-d or all shape (1, ...) to mark it single-item"
                    )
                self._counts[name] = leading[0]
                self._single_item[name] = False
        self._tree = {name: optree.tree_map(np.zeros_like, subtree) for name, subtree in example.items()}
        self._paths = {
            name: [".".join(str(k) for k in path) for path in optree.tree_paths(subtree)]
            for name, subtree in self._tree.items()
        }
        self._slot = dict.fromkeys(example, 0)

    def add(self, name: str, data: Any) -> None:
        """Writes one item into the next slot of timescale ``name``."""
        if name not in self._counts:
            raise KeyError(f"Unknown timescale '{name}'. Known: {list(self._counts)}")
        slot = self._slot[name]
        if slot >= self._counts[name]:
            raise IndexError(f"Timescale '{name}' has {self._counts[name]} slots, but you tried to add at index {slot}")
        stored_leaves, treespec = optree.tree_flatten(self._tree[name])
        try:
            incoming = treespec.flatten_up_to(data)
        except (ValueError, TypeError) as error:
            raise ValueError(f"timescale '{name}': the item's structure is not the example's: {error}") from None
        single = self._single_item[name]
        items = []
        for path, stored, item in zip(self._paths[name], stored_leaves, incoming):
            items.append(self._checked(f"{name}.{path}" if path else name, stored, item, single))
        for stored, item in zip(stored_leaves, items):
            if single:
                stored[...] = item
            else:
                stored[slot] = item
        self._slot[name] = slot + 1

    @staticmethod
    def _checked(path: str, stored: np.ndarray, item: Any, single: bool) -> np.ndarray:
        if isinstance(item, (bool, int, float)) and not isinstance(item, np.generic):
            item = np.asarray(item, dtype=stored.dtype)
        elif isinstance(item, (np.ndarray, np.generic)):
            item = np.asarray(item)
            if item.dtype != stored.dtype:
                raise ValueError(f"leaf {path!r}: dtype {item.dtype} where the example has {stored.dtype}")
        else:
            raise ValueError(f"leaf {path!r}: expected a numpy array or a scalar, got {type(item).__name__}")
        if single:
            allowed = {stored.shape} | ({stored.shape[1:]} if stored.ndim and stored.shape[0] == 1 else set())
        else:
            allowed = {stored.shape[1:], (1, *stored.shape[1:])}
        if item.shape not in allowed:
            raise ValueError(f"leaf {path!r}: shape {item.shape} where one item is {sorted(allowed, key=len)[0]}")
        return item.reshape(stored.shape if single else stored.shape[1:])

    def build(self) -> dict[str, Any]:
        """Returns the filled pytree and resets the slot counters.

        The tree aliases the accumulator's buffers: finish with it (e.g. ``send`` it) before the
        next ``add()``.
        """
        self._slot = dict.fromkeys(self._slot, 0)
        return self._tree

    def reset(self) -> None:
        """Resets the slot counters without building (e.g. on an aborted episode)."""
        self._slot = dict.fromkeys(self._slot, 0)

    def filled(self, name: str) -> int:
        """Items added to timescale ``name`` since the last build or reset."""
        return self._slot[name]
