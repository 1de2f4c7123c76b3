"""chorus.TrajectoryAccumulator: id-echo's timescale rules, and errors where id-echo casts or
broadcasts silently."""
import numpy as np
import pytest

import chorus

T = 4


def accumulator() -> chorus.TrajectoryAccumulator:
    return chorus.TrajectoryAccumulator({
        "step": {"obs": np.zeros((T, 2), np.float32), "reward": np.zeros((T,), np.float32)},
        "episode": {"return": np.zeros((), np.float32)},
    })


def test_buffered_and_single_item_timescales_fill_as_in_id_echo():
    buf = accumulator()
    for t in range(T):
        buf.add("step", {"obs": np.full(2, t, np.float32), "reward": np.float32(t)})
    buf.add("episode", {"return": np.float32(6.0)})
    tree = buf.build()
    np.testing.assert_array_equal(tree["step"]["reward"], [0, 1, 2, 3])
    np.testing.assert_array_equal(tree["step"]["obs"][:, 0], [0, 1, 2, 3])
    assert tree["episode"]["return"] == 6.0
    assert buf.filled("step") == 0


def test_an_overfill_is_an_index_error():
    buf = accumulator()
    buf.add("episode", {"return": 1.0})
    with pytest.raises(IndexError, match="'episode' has 1 slots"):
        buf.add("episode", {"return": 2.0})


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"obs": np.zeros(2, np.float64), "reward": np.float32(0)}, "leaf 'step.obs': dtype float64"),
        ({"obs": np.zeros(3, np.float32), "reward": np.float32(0)}, r"leaf 'step.obs': shape \(3,\)"),
        ({"obs": np.zeros(2, np.float32)}, "structure"),
    ],
)
def test_a_wrong_item_raises_naming_the_leaf_and_writes_nothing(item, message):
    buf = accumulator()
    with pytest.raises(ValueError, match=message):
        buf.add("step", item)
    assert buf.filled("step") == 0
    assert not buf.build()["step"]["obs"].any()


def test_unknown_timescales_and_bad_examples_are_refused():
    with pytest.raises(KeyError):
        accumulator().add("nope", {})
    with pytest.raises(ValueError, match="leading dimension"):
        chorus.TrajectoryAccumulator({"s": {"a": np.zeros((3, 1)), "b": np.zeros((4,))}})
    with pytest.raises(TypeError):
        chorus.TrajectoryAccumulator([np.zeros(3)])
