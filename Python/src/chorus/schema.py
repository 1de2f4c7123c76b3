"""Schemas: the pytree of typed arrays both ends agree on, from an example pytree or a schema file."""

from __future__ import annotations

import ctypes
import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import optree

from chorus import _native
from chorus._errors import raise_for


class LeafSpec(NamedTuple):
    """One leaf in flatten order: its dotted path, dtype and per-sample shape."""

    path: str
    dtype: np.dtype
    shape: tuple[int, ...]
    nbytes: int


def _numpy_dtype(name: str, path: str) -> np.dtype:
    if name == "bfloat16":
        try:
            import ml_dtypes  # noqa: PLC0415 — optional: only schemas with bfloat16 leaves need it
        except ImportError as error:
            raise TypeError(f"leaf {path!r} is bfloat16, which needs the ml_dtypes package") from error
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def _schema_text(node: Any, path: str) -> Any:
    """The schema file form of an example pytree (dicts, lists and tuples of numpy arrays)."""
    if isinstance(node, np.ndarray):
        if not node.dtype.isnative:
            raise ValueError(f"leaf {path or '<root>'!r}: dtype {node.dtype.str} is not in native byte order")
        return f"{node.dtype.name}[{','.join(str(d) for d in node.shape)}]"
    if isinstance(node, dict):
        if not all(isinstance(key, str) for key in node):
            raise TypeError(f"node {path or '<root>'!r}: dict keys must be strings")
        return {key: _schema_text(value, f"{path}.{key}" if path else key) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_schema_text(value, f"{path}.{i}" if path else str(i)) for i, value in enumerate(node)]
    raise TypeError(
        f"{'leaf ' + repr(path) if path else 'the example'} is a {type(node).__name__}: "
        "leaves must be numpy arrays, nodes dicts, lists or tuples"
    )


def _address(array: np.ndarray) -> int:
    """The address of a C-contiguous array's first byte: through the buffer protocol (four times
    cheaper than ``array.ctypes.data``), which needs a writable array, else through ctypes."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    except (TypeError, ValueError):  # read-only or empty
        return array.ctypes.data


class Schema:
    """The structure, dtype and shape of every leaf of a sample.

    Build it from an example pytree (``Schema.from_example``, what ``Server`` and ``TcpClient``
    do with their ``example``) or load a schema file (``Schema.load("Schemas/cartpole-step.json")``:
    ``{"obs": "float32[4]", "reward": "float32[]"}``). Leaves are in optree's flatten order, which
    is the Swift core's: dict keys sorted, list items in order.
    """

    def __init__(self, text: str, example: Any | None = None):
        handle = ctypes.c_void_p()
        raise_for(_native.lib.chorus_schema_parse(text.encode(), ctypes.byref(handle)))
        self._handle = handle
        self.json: str = _native.lib.chorus_schema_canonical_json(handle).decode()
        leaves = []
        info = _native.LeafInfo()
        for index in range(_native.lib.chorus_schema_leaf_count(handle)):
            raise_for(_native.lib.chorus_schema_leaf(handle, index, ctypes.byref(info)))
            path = info.path.decode()
            leaves.append(
                LeafSpec(
                    path=path,
                    dtype=_numpy_dtype(info.dtype.decode(), path),
                    shape=tuple(info.shape[d] for d in range(info.ndim)),
                    nbytes=info.byte_count,
                )
            )
        self.leaves: list[LeafSpec] = leaves
        self._pointer_array = ctypes.c_void_p * len(leaves)
        self.sample_size: int = _native.lib.chorus_schema_sample_size(handle)
        if example is None:
            example = optree.tree_unflatten(
                optree.tree_structure(json.loads(self.json)),
                [np.zeros(leaf.shape, leaf.dtype) for leaf in leaves],
            )
        paths, _, self.treespec = optree.tree_flatten_with_path(example)
        dotted = [".".join(str(key) for key in path) for path in paths]
        if dotted != [leaf.path for leaf in leaves]:
            raise TypeError(
                f"the example's flatten order {dotted} is not the schema's {[leaf.path for leaf in leaves]} "
                "(use plain dicts, lists and tuples)"
            )
        flat_dict = self.treespec.type is dict and all(child.is_leaf() for child in self.treespec.children())
        # A schema that is one dict of arrays (the usual step) has its keys in flatten order here.
        self._flat_keys: list | None = self.treespec.entries() if flat_dict else None

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            _native.lib.chorus_schema_free(handle)

    @classmethod
    def from_example(cls, example: Any) -> Schema:
        """The schema of an example pytree of numpy arrays (values are ignored)."""
        leaves = optree.tree_leaves(example)
        if not all(isinstance(leaf, np.ndarray) for leaf in leaves):
            raise TypeError("All leaves must be numpy arrays")
        return cls(json.dumps(_schema_text(example, "")), example)

    @classmethod
    def load(cls, path: str | Path) -> Schema:
        """Reads a schema file (``Schemas/*.json``)."""
        return cls(Path(path).read_text())

    @classmethod
    def of(cls, example_or_schema: Any) -> Schema:
        return example_or_schema if isinstance(example_or_schema, Schema) else cls.from_example(example_or_schema)

    def example(self) -> Any:
        """A zero-filled sample with this schema."""
        return optree.tree_unflatten(self.treespec, [np.zeros(leaf.shape, leaf.dtype) for leaf in self.leaves])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and other.json == self.json

    def __hash__(self) -> int:
        return hash(self.json)

    def __repr__(self) -> str:
        return f"Schema({self.json})"

    # ---- checking samples -----------------------------------------------------------------------

    def leaf_pointers(self, data: Any, *, stacked: bool = False) -> tuple[ctypes.Array, int, list]:
        """Checks a sample (or, ``stacked``, N samples stacked along a new first axis) against the
        schema and returns (an array of leaf pointers for the C ABI, N, the arrays to keep alive).

        Raises ValueError naming the first leaf of the wrong structure, dtype or shape; nothing
        is sent or written then.
        """
        leaves = self._flat_dict_leaves(data)
        if leaves is None:
            leaves, treespec = optree.tree_flatten(data)
            if treespec != self.treespec:
                raise ValueError(self._structure_difference(data))
        pointers = self._pointer_array()
        count = 1
        keep = []
        for index, (leaf, spec) in enumerate(zip(leaves, self.leaves)):
            if type(leaf) is not np.ndarray:
                if not isinstance(leaf, np.generic):
                    raise ValueError(f"leaf {spec.path!r}: expected a numpy array, got {type(leaf).__name__}")
                leaf = np.asarray(leaf)
            if leaf.dtype != spec.dtype:
                raise ValueError(f"leaf {spec.path!r}: dtype {leaf.dtype} where the schema has {spec.dtype}")
            shape = leaf.shape
            if stacked:
                if index == 0:
                    count = shape[0] if shape else -1
                if not shape or shape[0] != count or shape[1:] != spec.shape:
                    raise ValueError(
                        f"leaf {spec.path!r}: shape {shape} is not (N, *{spec.shape}) with the N of the "
                        f"first leaf ({count})"
                    )
            elif shape != spec.shape:
                raise ValueError(f"leaf {spec.path!r}: shape {shape} where the schema has {spec.shape}")
            if not leaf.flags.c_contiguous:
                leaf = np.ascontiguousarray(leaf)
            keep.append(leaf)
            pointers[index] = _address(leaf)
        return pointers, count, keep

    def _flat_dict_leaves(self, data: Any) -> list | None:
        """The leaves of a sample of a one-dict schema, without optree's walk (a fraction of its
        cost, which per-sample sends feel); None when ``data`` needs the general path (another
        schema, another container, other keys, or a value that is not an array)."""
        keys = self._flat_keys
        if keys is None or type(data) is not dict or len(data) != len(keys):
            return None
        try:
            leaves = [data[key] for key in keys]
        except KeyError:
            return None
        return leaves if all(type(leaf) is np.ndarray for leaf in leaves) else None

    def _structure_difference(self, data: Any) -> str:
        try:
            paths = [".".join(str(k) for k in p) for p in optree.tree_paths(data)]
        except Exception as error:  # noqa: BLE001 — any pytree optree cannot walk
            return f"the sample is not a pytree of this schema's structure: {error}"
        expected = [leaf.path for leaf in self.leaves]
        missing = [p for p in expected if p not in paths]
        extra = [p for p in paths if p not in expected]
        if missing:
            inside = [p for p in extra if p.startswith(missing[0] + ".")]
            if inside:
                return f"leaf {missing[0]!r} is a container in the sample (holding {inside[0]!r}), not an array"
            return f"leaf {missing[0]!r} is missing from the sample"
        if extra:
            return f"leaf {extra[0]!r} is not in the schema {expected}"
        return f"the sample's structure {optree.tree_structure(data)} is not the schema's {self.treespec}"
