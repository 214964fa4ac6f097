"""Each epoch's order of the training examples (movierate.nn.shuffle)."""

import numpy as np
import pytest

from movierate.nn.shuffle import EpochShuffle


def _columns(n: int) -> list[np.ndarray]:
    ids = np.arange(n, dtype=np.int32)
    return [ids, ids * 3, ids.astype(np.float32) / 2]


@pytest.mark.parametrize("block", [1, 8])
@pytest.mark.parametrize("n", [1, 7, 8, 50, 1003])
def test_every_epoch_visits_each_example_once_with_its_columns_together(block, n):
    shuffle = EpochShuffle(_columns(n), np.random.default_rng(0), block=block)
    for _ in range(4):
        ids, tripled, halved = shuffle.next()
        assert sorted(ids.tolist()) == list(range(n))
        np.testing.assert_array_equal(tripled, ids * 3)
        np.testing.assert_array_equal(halved, ids.astype(np.float32) / 2)


@pytest.mark.parametrize("block", [1, 8])
def test_padding_repeats_the_short_last_batchs_first_example(block):
    n, batch = 1003, 64
    shuffle = EpochShuffle(_columns(n), np.random.default_rng(1), block=block, pad_to=batch)
    ids, tripled, _ = shuffle.next()
    assert len(ids) == 1024
    last_start = n // batch * batch
    assert (ids[n:] == ids[last_start]).all() and (tripled[n:] == tripled[last_start]).all()
    assert sorted(ids[:n].tolist()) == list(range(n))


def test_no_padding_when_the_batches_are_whole():
    ids = EpochShuffle(_columns(128), np.random.default_rng(2), block=8, pad_to=64).next()[0]
    assert sorted(ids.tolist()) == list(range(128))


def test_blocks_keep_runs_of_the_first_order_and_move_them_each_epoch():
    n, block = 1000, 8
    shuffle = EpochShuffle(_columns(n), np.random.default_rng(3), block=block)
    first, second = shuffle.next()[0], shuffle.next()[0]
    assert not np.array_equal(first, second)
    # the examples come in the same runs of 8 in both epochs (the tail block of n % 8 aside)
    runs = lambda ids: {tuple(ids[i : i + block]) for i in range(0, n - block + 1)}  # noqa: E731
    shared = runs(first) & runs(second)
    assert len(shared) >= n // block - 1


def test_the_same_seed_gives_the_same_orders_and_a_full_shuffle_is_a_fresh_permutation():
    orders = [
        [EpochShuffle(_columns(500), np.random.default_rng(4), block=b).next()[0] for _ in "ab"]
        for b in (1, 1, 8)
    ]
    np.testing.assert_array_equal(orders[0][0], orders[1][0])
    expected = np.random.default_rng(4).permutation(500)
    np.testing.assert_array_equal(orders[0][0], expected)
    assert not np.array_equal(orders[0][0], orders[2][0])
