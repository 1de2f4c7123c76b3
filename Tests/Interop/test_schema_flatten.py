"""Our flatten order, paths and offsets agree with the real optree on every example schema."""
import json
from pathlib import Path

import numpy as np
import optree
import pytest

from conftest import ROOT, run
from load_pattern import example_from_schema


@pytest.mark.parametrize("schema_file", sorted((ROOT / "Schemas").glob("*.json")), ids=lambda p: p.name)
def test_leaves_match_optree(chorus, schema_file: Path):
    tree = example_from_schema(json.loads(schema_file.read_text()))
    paths = [".".join(str(part) for part in path) for path in optree.tree_paths(tree)]
    arrays = optree.tree_leaves(tree)
    offsets = np.cumsum([0] + [a.nbytes for a in arrays])[:-1]
    expected = [(i, p, a.shape, int(o), a.nbytes) for i, (p, a, o) in enumerate(zip(paths, arrays, offsets))]

    result = run(chorus, "schema", "check", schema_file)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    got = [(int(r[0]), r[1], tuple(int(d) for d in r[3][1:-1].split(",") if d), int(r[4]), int(r[5])) for r in rows]
    assert got == expected
    assert f"{sum(a.nbytes for a in arrays)} bytes per sample" in result.stdout.splitlines()[0]


def test_a_bad_schema_is_refused_with_the_leaf_named(chorus, tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"obs": "float32[4]", "info": {"done": "boolean[]"}}')
    result = run(chorus, "schema", "check", bad)
    assert result.returncode != 0
    assert 'schema "info.done": unknown dtype "boolean"' in result.stderr
