"""The byte pattern of `chorus load` (Sources/ChorusCLI/LoadPattern.swift), for checking samples.

In a packed sample, bytes 0-7 hold the little-endian `connection << 40 | sequence`; every other
byte j holds (31*j + 7) mod 256, or its lowest bit inside a bool leaf.
"""
import numpy as np
import optree

DTYPES = {"bfloat16": np.dtype("uint16")}  # numpy has no bfloat16; only the item size matters


def leaf_array(spec: str) -> np.ndarray:
    name, dims = spec[:-1].split("[")
    shape = tuple(int(d) for d in dims.split(",")) if dims.strip() else ()
    return np.zeros(shape, dtype=DTYPES.get(name, np.dtype(name)))


def example_from_schema(node):
    """The numpy pytree a schema file describes (what id-echo calls the example)."""
    if isinstance(node, str):
        return leaf_array(node)
    if isinstance(node, dict):
        return {key: example_from_schema(value) for key, value in node.items()}
    return [example_from_schema(child) for child in node]


def expected_row(example) -> np.ndarray:
    leaves = optree.tree_leaves(example)
    row = ((np.arange(sum(l.nbytes for l in leaves)) * 31 + 7) % 256).astype(np.uint8)
    offset = 0
    for leaf in leaves:
        if leaf.dtype == np.bool_:
            row[offset:offset + leaf.nbytes] &= 1
        offset += leaf.nbytes
    return row


def check_rows(rows: np.ndarray, example) -> tuple[list[int], list[str]]:
    """The ids of packed sample rows, and a description of any row whose other bytes differ."""
    ids = rows[:, :8].copy().view("<u8").reshape(-1).tolist()
    expected = expected_row(example)[8:]
    bad = np.nonzero(np.any(rows[:, 8:] != expected, axis=1))[0]
    return ids, [f"sample {ids[i]} has wrong bytes" for i in bad]


def sequences_by_connection(rows: np.ndarray, example) -> dict[int, list[int]]:
    """Each connection's sequence numbers, in arrival order, from packed sample rows, after
    asserting that every row's other bytes are right and that no id arrives twice."""
    ids, problems = check_rows(rows, example)
    assert problems == [], problems[:5]
    assert len(ids) == len(set(ids)), "no sample arrives twice"
    connections: dict[int, list[int]] = {}
    for sample_id in ids:
        connections.setdefault(sample_id >> 40, []).append(sample_id & (1 << 40) - 1)
    return connections
