"""Regularizers visibly do what they claim: the stopping rule waits for them, verdicts are
computed from measured numbers, and exact whitening keeps every prediction."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from movierate import scoring
from movierate.advice import DEFAULT_STRENGTHS, spec_warnings
from movierate.explore.verdicts import (
    DECORRELATED_MAX,
    UNIFORM_KS_MAX,
    covariance_stats,
    ks_uniform,
    regularizer_verdicts,
)
from movierate.explore.whitening import exact_whitening, whiten_arrays
from movierate.spec import ModelSpec

# --- the stopping rule ----------------------------------------------------------------------


def test_settling_waits_for_a_falling_penalty():
    from movierate.nn.training import regularizers_settled

    spec = ModelSpec(regularizers={"whitening": 0.1})
    falling = [31.5, 30.4, 28.1, 24.6, 20.0, 14.8]  # slow start, then faster: not settled
    for epochs in range(1, len(falling) + 1):
        assert not regularizers_settled({"reg_whitening": falling[:epochs]}, spec)
    assert regularizers_settled({"reg_whitening": [*falling, 14.5, 14.4]}, spec)  # flat
    assert regularizers_settled({"reg_whitening": [*falling, 0.2]}, spec)  # < 1% of epoch 1
    assert regularizers_settled({}, ModelSpec(regularizers={"l2": 0.1}))  # L2: no waiting
    adversarial = ModelSpec(regularizers={"adversarial": 1.0})
    assert not regularizers_settled({"ks_uniform": [0.3, 0.2, 0.15]}, adversarial)
    assert regularizers_settled({"ks_uniform": [0.3, 0.2, 0.15, 0.149, 0.15]}, adversarial)


def test_training_keeps_going_while_the_penalty_falls():
    from movierate.data import make_split, synthetic_dataset
    from movierate.nn.training import SETTLE_MEASURES, regularizers_settled, train

    ds = synthetic_dataset(20_000, n_users=300, n_movies=250, seed=4)
    split = make_split(ds, "random", 0.1, seed=1)
    spec = ModelSpec(
        dim=8,
        batch_size=512,
        epochs=30,
        early_stopping_patience=1,
        regularizers={"whitening": 0.1},
    )
    result = train(ds, split, spec)
    penalties = result.history[SETTLE_MEASURES["whitening"]]
    settled, best = result.metrics["settled_epoch"], result.metrics["best_epoch"]
    assert math.isfinite(settled) and best >= settled >= 3
    # Every epoch before the settled one still had a penalty falling by > 5% (not eligible).
    for epoch in range(1, int(settled)):
        prefix = {key: values[:epoch] for key, values in result.history.items()}
        assert not regularizers_settled(prefix, spec)
    assert penalties[best - 1] < 0.05 * penalties[0]
    arrays = {"movie_embedding": result.keras_model.movie_embedding.embeddings.numpy()}
    (verdict,) = regularizer_verdicts(arrays, spec, result.history)
    assert verdict.achieved, verdict.sentence


# --- verdicts from numbers ------------------------------------------------------------------


def _white(n=20_000, dim=8, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, dim))
    return x


def test_whitening_verdicts():
    spec = ModelSpec(regularizers={"whitening": 0.1})
    (white,) = regularizer_verdicts({"movie_embedding": _white()}, spec, {})
    assert white.achieved and white.sentence.startswith("whitened: covariance diagonal 1")
    history = {"reg_whitening": [31.6, 25.0, 17.4]}
    (scaled,) = regularizer_verdicts({"movie_embedding": 0.2 * _white()}, spec, history)
    assert not scaled.achieved
    assert scaled.sentence.startswith("not whitened: covariance diagonal 0.04")
    assert "penalty still 17.4 (31.6 at epoch 1)" in scaled.sentence
    assert scaled.numbers["diag_mean"] == pytest.approx(0.04, rel=0.05)
    both = ModelSpec(regularizers={"whitening": 0.1, "l2": 0.1})
    verdicts = regularizer_verdicts({"movie_embedding": 0.2 * _white()}, both, history)
    assert verdicts[0].sentence == scaled.sentence  # no cause the numbers do not show
    assert "L2" not in verdicts[0].sentence
    grew = {"reg_whitening": [7.75e-06, 0.002, 0.00706]}  # views review: not "still"
    (rose,) = regularizer_verdicts({"movie_embedding": 0.2 * _white()}, spec, grew)
    assert "penalty rose from 7.75e-06 at epoch 1 to 0.00706" in rose.sentence
    mixing = np.eye(8) + 0.5 * np.ones((8, 8))  # unit-ish variances, strong covariances
    (mixed,) = regularizer_verdicts({"movie_embedding": _white() @ mixing}, spec, {})
    assert not mixed.achieved


def test_decorrelation_and_adversarial_verdicts():
    spec = ModelSpec(regularizers={"decorrelation": 100.0, "adversarial": 1.0})
    rng = np.random.default_rng(1)
    scales = np.array([1.0, 5.0, 0.1, 2.0])
    independent = rng.uniform(-1, 1, (20_000, 4)) * scales
    decor, adv = regularizer_verdicts({"movie_embedding": independent}, spec, {})
    assert decor.achieved and decor.sentence.startswith("decorrelated")
    assert not adv.achieved  # columns scaled away from U(-1, 1)
    correlated = independent @ (np.eye(4) + 0.5)
    (decor,) = regularizer_verdicts(
        {"movie_embedding": correlated}, spec.with_(regularizers={"decorrelation": 1.0}), {}
    )
    assert not decor.achieved and "not decorrelated" in decor.sentence
    uniform = rng.uniform(-1, 1, (20_000, 4))
    (adv,) = regularizer_verdicts(
        {"movie_embedding": uniform}, ModelSpec(regularizers={"adversarial": 1.0}), {}
    )
    assert adv.achieved and adv.numbers["ks_mean"] < 0.02
    assert ks_uniform(rng.standard_normal((20_000, 3))).min() > 0.1


def test_verdicts_on_independent_dimensions_fire_at_chance_rate_over_few_movies():
    """Accuracy review round 5: iid vectors of ml-100k's 1,152 rated movies were "not
    decorrelated" in 50 of 50 draws (dim 32), the 0.02 target lying below chance there. Over
    100 draws each of independent uniform dimensions, decorrelation, whitening's off-diagonal
    test and the adversarial KS test fail about 5% of the time, and a target raised by chance
    says so; real correlation still fails."""
    rng = np.random.default_rng(7)
    kinds = {"decorrelation": 1.0, "adversarial": 1.0, "whitening": 1.0}
    spec = ModelSpec(regularizers=kinds)
    failed = dict.fromkeys(kinds, 0)
    for _ in range(100):
        x = rng.uniform(-1, 1, (1152, 32))
        white = x / x.std(axis=0)  # unit variance: only the off-diagonal part can fail
        for verdict in regularizer_verdicts({"movie_embedding": x}, spec, {})[:2]:
            failed[verdict.kind] += not verdict.achieved
        (whitening,) = regularizer_verdicts(
            {"movie_embedding": white}, spec.with_(regularizers={"whitening": 1.0}), {}
        )
        failed["whitening"] += not whitening.achieved
    assert all(count <= 12 for count in failed.values()), failed
    # few pairs or few movies: a mean of few skewed terms (recheck: 9% missed at dim 2)
    for n, dim in ((1152, 2), (60, 3)):
        spec2 = spec.with_(regularizers={"decorrelation": 1.0, "adversarial": 1.0})
        misses = [0, 0]
        for _ in range(200):
            x = rng.uniform(-1, 1, (n, dim))
            for k, verdict in enumerate(regularizer_verdicts({"movie_embedding": x}, spec2, {})):
                misses[k] += not verdict.achieved
        assert all(m <= 20 for m in misses), (n, dim, misses)
    x = rng.uniform(-1, 1, (300, 8))
    (decor,) = regularizer_verdicts(
        {"movie_embedding": x @ (np.eye(8) + 0.3)},
        spec.with_(regularizers={"decorrelation": 1.0}),
        {},
    )
    assert not decor.achieved
    assert "independent dimensions give up to that over 300 movies" in decor.sentence


def test_covariance_stats_match_numpy():
    x = _white(5_000, 4, seed=3) @ np.diag([1.0, 2.0, 3.0, 4.0])
    stats = covariance_stats(x)
    assert stats["diag_mean"] == pytest.approx(np.diag(np.cov(x, rowvar=False)).mean())
    assert stats["corr_offdiag_mean_abs"] < 0.05


def test_l2_with_whitening_warns():
    assert spec_warnings(ModelSpec(regularizers={"l2": 0.1})) == []
    (warning,) = spec_warnings(ModelSpec(regularizers={"l2": 0.1, "whitening": 0.1}))
    assert "0.964" in warning and "opposite" in warning  # accuracy round 46, F1
    from movierate.spec import REGULARIZERS

    assert set(DEFAULT_STRENGTHS) == set(REGULARIZERS)  # a measured strength for every kind


@pytest.mark.parametrize("kind", ["whitening", "decorrelation", "adversarial"])
def test_a_spread_penalty_without_l2_warns(kind):
    """Views round 5: each spread penalty alone left an embedding that predicted worse than the
    model's biases alone, and the Train form said nothing."""
    (warning,) = spec_warnings(ModelSpec(regularizers={kind: DEFAULT_STRENGTHS[kind]}))
    assert warning.startswith("No L2 beside the spread penalties") and "0.909-0.914" in warning
    assert spec_warnings(ModelSpec(regularizers={"l2": 0.1, "decorrelation": 10.0})) == []


def test_settings_the_family_does_not_read_are_named():
    """Bad-input round 8: mf_bias with hidden units, batch norm and dropout trained without a
    word and listed them as its settings."""
    (warning,) = spec_warnings(ModelSpec(hidden_units=(64, 32), batch_norm=True, dropout=0.5))
    assert warning.startswith("mf_bias does not use Hidden units")
    assert "Batch normalisation" in warning and "Dropout" in warning
    assert spec_warnings(ModelSpec(family="deep", dropout=0.5, batch_norm=True)) == []
    assert spec_warnings(ModelSpec(family="autorec", dropout=0.5)) == []
    (warning,) = spec_warnings(ModelSpec(family="autorec", hidden_units=(8,)))
    assert "autorec does not use Hidden units" in warning
    (warning,) = spec_warnings(ModelSpec(family="svdpp", dropout=0.5), names="flag")  # the CLI
    assert warning.startswith("svdpp does not use --dropout: the model is trained without it,")


# --- exact whitening ------------------------------------------------------------------------


def _arrays(family: str, user_bias: bool, seed: int = 0, dim: int = 6) -> dict:
    rng = np.random.default_rng(seed)
    n_users, n_movies = 40, 120
    mix = rng.normal(size=(dim, dim))
    arrays = {
        "user_embedding": rng.normal(size=(n_users, dim)).astype(np.float32),
        "movie_embedding": (rng.normal(size=(n_movies, dim)) @ mix * 0.3 + 0.2).astype(np.float32),
        "movie_bias": rng.normal(size=n_movies).astype(np.float32) * 0.1,
        "global_mean": np.asarray(3.5, dtype=np.float32),
    }
    if user_bias:
        arrays["user_bias"] = rng.normal(size=n_users).astype(np.float32) * 0.1
    if family == "mf" and not user_bias:
        del arrays["movie_bias"]
    if family == "deep":
        arrays["dense_0_kernel"] = rng.normal(size=(2 * dim, 5)).astype(np.float32)
        arrays["dense_0_bias"] = rng.normal(size=5).astype(np.float32)
        arrays["output_kernel"] = rng.normal(size=(5, 1)).astype(np.float32)
        arrays["output_bias"] = np.zeros(1, np.float32)
    return arrays


@pytest.mark.parametrize(
    ("family", "user_bias", "dot"),
    [
        ("mf", False, False),
        ("mf_bias", True, False),
        ("deep", False, False),
        ("deep", True, False),
        ("deep", False, True),
        ("deep", True, True),
    ],
)
def test_exact_whitening_keeps_predictions(family, user_bias, dot):
    arrays = _arrays(family, user_bias)
    spec = ModelSpec(
        family=family,
        dim=6,
        output="none",
        user_bias=user_bias,
        hidden_units=(5,),
        dot_product=dot,
    )
    white = whiten_arrays(arrays, family, dot)
    users, movies = np.meshgrid(np.arange(40), np.arange(120), indexing="ij")
    before = scoring.predict(arrays, spec, users, movies, (0.5, 5.0))
    after = scoring.predict(white, spec, users, movies, (0.5, 5.0))
    np.testing.assert_allclose(after, before, atol=2e-4 * np.abs(before).max())
    cov = np.cov(white["movie_embedding"].astype(np.float64), rowvar=False)
    np.testing.assert_allclose(cov, np.eye(6), atol=1e-4)
    if family != "mf":  # the mean moved into a bias (or the first dense layer)
        np.testing.assert_allclose(white["movie_embedding"].mean(0), 0.0, atol=1e-5)
    assert not np.allclose(white["movie_embedding"], arrays["movie_embedding"])


def test_exact_whitening_of_a_loaded_model(tmp_path):
    import pandas as pd

    from movierate.store import TrainedModel

    arrays = _arrays("mf_bias", True, seed=2)
    spec = ModelSpec(family="mf_bias", dim=6, output="clip")
    meta = {"name": "m", "dataset": {"rating_scale": [0.5, 5.0, 0.5]}, "history": {}, "metrics": {}}
    model = TrainedModel("m", tmp_path, spec, meta, arrays, pd.DataFrame({"movie_idx": []}))
    white = exact_whitening(model)
    assert white.name == "m (exact whitening)" and white.spec == spec
    users = np.repeat(np.arange(40), 120)
    movies = np.tile(np.arange(120), 40)
    np.testing.assert_allclose(
        white.predict(users, movies), model.predict(users, movies), atol=1e-4
    )
    np.testing.assert_allclose(white.score_all_movies(3), model.score_all_movies(3), atol=1e-4)
    stats = covariance_stats(white.movie_embedding)
    assert stats["diag_mean"] == pytest.approx(1.0, abs=1e-4)


def test_verdicts_of_a_loaded_model_use_its_spec_and_history(tmp_path):
    import pandas as pd

    from movierate.store import TrainedModel

    arrays = {"movie_embedding": 0.2 * _white(2_000, 4), "user_embedding": _white(50, 4)}
    spec = ModelSpec(dim=4, regularizers={"l2": 0.1, "whitening": 0.1})
    meta = {"history": {"reg_whitening": [31.6, None, 17.4], "reg_l2": [0.1, 0.5, 1.6]}}
    model = TrainedModel("m", tmp_path, spec, meta, arrays, pd.DataFrame())
    l2, white = sorted(regularizer_verdicts(model), key=lambda v: v.kind)
    assert l2.achieved and "penalty 1.6 (epoch 1: 0.1)" in l2.sentence
    assert not white.achieved
    assert white.sentence.endswith(
        "(target: diagonal mean 0.8-1.25 and every entry 0.6-1.5625; mean |off-diagonal "
        "covariance| <= 0.05 of the mean diagonal; column means' RMS <= 0.1): penalty still "
        "17.4 (31.6 at epoch 1)"
    )
    assert white.to_dict()["numbers"]["penalty_final"] == pytest.approx(17.4)


def test_a_verdict_over_all_rows_is_checked_on_the_rows_the_views_show(tmp_path):
    """Two groups with opposite means (the many-rated and the rarely rated movies) can be
    decorrelated together while each group is correlated: the verdict says so, in amber."""
    import pandas as pd

    from movierate.store import TrainedModel

    rng = np.random.default_rng(5)
    shared = 3 * rng.normal(size=(2_000, 1))  # var 9 = the groups' spread: covariance 0
    group = np.r_[np.ones(1_000), -np.ones(1_000)][:, None]
    # within each group dims 0 and 1 move together; across groups the means cancel that out
    movies = np.hstack([shared + 3 * group, shared - 3 * group, rng.normal(size=(2_000, 2))])
    counts = pd.DataFrame({"n_ratings": np.r_[np.full(1_000, 50), np.full(1_000, 2)]})
    spec = ModelSpec(dim=4, regularizers={"decorrelation": 0.1})
    model = TrainedModel("m", tmp_path, spec, {"history": {}}, {"movie_embedding": movies}, counts)
    (everywhere,) = regularizer_verdicts(model)
    assert everywhere.achieved  # over all 2,000 rows
    (shown,) = regularizer_verdicts(model, min_ratings=10)
    assert not shown.achieved
    assert shown.sentence.startswith(
        "decorrelated over all 2,000 movies (every row, rated or not), not over the 1,000 "
        "with at least 10 ratings"
    )
    assert "spread penalties limited to movies rated often enough" in shown.sentence
    group_corr = np.corrcoef(movies[:1_000, :2], rowvar=False)[0, 1]
    assert shown.numbers["rated_corr_offdiag_mean_abs"] > DECORRELATED_MAX and group_corr > 0.9


def test_verdicts_measure_the_rows_the_penalty_shaped(tmp_path):
    """Accuracy round 3: the spread penalties shape only movies with a training rating (or
    penalty_min_ratings of them); a verdict measures those, named by their training counts,
    not every row nor the views' counts over all rows (test rows included)."""
    import pandas as pd

    from movierate.data.movies import TRAINING_COUNTS
    from movierate.store import TrainedModel

    white = _white(1_500, 4)
    movies = np.vstack([white, np.zeros((500, 4))])  # 500 movies never trained: left at ~0
    counts = pd.DataFrame(
        {
            "n_ratings": np.r_[np.full(1_500, 20), np.full(500, 3)],
            TRAINING_COUNTS: np.r_[np.full(1_500, 12), np.zeros(500, dtype=int)],
        }
    )
    spec = ModelSpec(dim=4, regularizers={"whitening": 0.1})
    arrays, meta = {"movie_embedding": movies}, {"history": {}}
    (shaped,) = regularizer_verdicts(TrainedModel("m", tmp_path, spec, meta, arrays, counts))
    assert shaped.achieved
    assert "over the 1,500 movies with a training rating" in shaped.sentence
    counts.loc[:99, TRAINING_COUNTS] = 30
    limited = spec.with_(penalty_min_ratings=15)
    (few,) = regularizer_verdicts(TrainedModel("m", tmp_path, limited, meta, arrays, counts))
    assert "over the 100 movies with at least 15 training ratings" in few.sentence
    older = counts.drop(columns=[TRAINING_COUNTS])  # saved before training counts: every row
    (everywhere,) = regularizer_verdicts(TrainedModel("m", tmp_path, spec, meta, arrays, older))
    assert not everywhere.achieved and "over all 2,000 movies" in everywhere.sentence


def test_evaluate_says_what_moved_the_vectors_of_unrated_movies():
    """Accuracy round 3: `evaluate` said unseen rows are "predicted from vectors training never
    moved", untrue for a spread-penalty model saved before the penalties left them alone."""
    from types import SimpleNamespace

    import pandas as pd

    from movierate.cli.models import _unseen_vectors
    from movierate.data.movies import TRAINING_COUNTS

    spec = ModelSpec(regularizers={"l2": 0.1, "whitening": 0.1})
    older = SimpleNamespace(spec=spec, movies=pd.DataFrame({"n_ratings": [1, 2]}))
    assert "its whitening penalty moved" in _unseen_vectors(older)
    newer = SimpleNamespace(spec=spec, movies=older.movies.assign(**{TRAINING_COUNTS: [1, 0]}))
    assert _unseen_vectors(newer) == "training never moved"
    plain = SimpleNamespace(spec=ModelSpec(), movies=older.movies)
    assert _unseen_vectors(plain) == "training never moved"


def test_a_miss_names_the_test_that_decided_it():
    """Accuracy round 8: "not whitened: covariance diagonal 0.999 ± 0.22 ... (target: diagonal
    0.8-1.25)" showed a mean inside the one target named; the entry range that failed was not
    said. The sentence now gives the diagonal's range and every test. A mean of 3 in every
    dimension was "whitened", though the penalty asks for zero mean."""
    rng = np.random.default_rng(0)
    one_low = _white(4_000, 8) * np.sqrt([0.45] + [1.08] * 7)
    (verdict,) = regularizer_verdicts(
        {"movie_embedding": one_low}, ModelSpec(dim=8, regularizers={"whitening": 1.0})
    )
    assert not verdict.achieved
    assert re.search(r"range 0\.4\d+ to 1\.\d+\)", verdict.sentence), verdict.sentence
    assert "every entry 0.6-1.5625" in verdict.sentence
    shifted = _white(4_000, 8) + 3.0
    (verdict,) = regularizer_verdicts(
        {"movie_embedding": shifted}, ModelSpec(dim=8, regularizers={"whitening": 1.0})
    )
    assert not verdict.achieved and "column means' RMS 3" in verdict.sentence
    centred = _white(4_000, 8) + rng.normal(0, 0.01, 8)
    (verdict,) = regularizer_verdicts(
        {"movie_embedding": centred}, ModelSpec(dim=8, regularizers={"whitening": 1.0})
    )
    assert verdict.achieved and "RMS" not in verdict.sentence


def test_the_adversarial_verdict_is_checked_on_the_rows_the_views_show(tmp_path):
    """Accuracy round 8 and views round 5: "Uniform-looking: mean KS 0.038 over the 9,027
    movies with a training rating" in green, while the 2,269 movies every view starts with
    stood at KS 0.086. Whitening and decorrelation were checked on both; adversarial now is."""
    import pandas as pd

    from movierate.store import TrainedModel

    rng = np.random.default_rng(3)
    # uniform: most of the rows the penalty saw (few enough others that every dimension
    # still passes its own KS test: accuracy round 46, F2)
    rare = rng.uniform(-1, 1, size=(20_000, 4))
    often = np.clip(rng.normal(0, 0.35, size=(500, 4)), -1, 1)  # not: the rows on show
    counts = pd.DataFrame({"n_ratings": np.r_[np.full(20_000, 2), np.full(500, 50)]})
    spec = ModelSpec(dim=4, regularizers={"adversarial": 1.0})
    arrays = {"movie_embedding": np.vstack([rare, often])}
    model = TrainedModel("m", tmp_path, spec, {"history": {}}, arrays, counts)
    (everywhere,) = regularizer_verdicts(model)
    assert everywhere.achieved and everywhere.numbers["ks_mean"] < UNIFORM_KS_MAX
    (shown,) = regularizer_verdicts(model, min_ratings=10)
    assert not shown.achieved
    assert shown.sentence.startswith(
        "uniform-looking over all 20,500 movies (every row, rated or not), not over the 500 "
        "with at least 10 ratings"
    )
    assert shown.numbers["rated_ks_mean"] > UNIFORM_KS_MAX


def test_spread_numbers_measure_the_movies_the_tab_counts(tmp_path):
    """Views round 5: the L2 model's covariance appeared only as a range in one caption; the
    Compare table now gives every model's spread over the tab's movies."""
    import pandas as pd

    from movierate.explore.verdicts import spread_numbers
    from movierate.store import TrainedModel

    rng = np.random.default_rng(2)
    movies = np.vstack([rng.uniform(-1, 1, (3_000, 4)), 0.1 * rng.normal(size=(500, 4))])
    counts = pd.DataFrame({"n_ratings": np.r_[np.full(3_000, 20), np.full(500, 1)]})
    spec = ModelSpec(dim=4, regularizers={"l2": 0.1})
    model = TrainedModel("m", tmp_path, spec, {"history": {}}, {"movie_embedding": movies}, counts)
    rated = spread_numbers(model, min_ratings=10)
    assert rated["variances"].startswith("0.33")  # uniform(-1, 1): variance 1/3
    assert rated["mean KS to U(-1, 1)"] < 0.03 and rated["mean |correlation|"] < 0.05
    assert spread_numbers(model, min_ratings=0)["mean KS to U(-1, 1)"] > 0.03


def test_mean_and_spread_share_one_precision():
    """Compare's 'variances' read "0.0754 ± 0.003": the mean at 3 significant digits, the spread
    at 2, so two numbers of one column had different precisions."""
    from movierate.explore.verdicts import mean_and_sd

    assert mean_and_sd(0.0754, 0.003) == "0.0754 (sd 0.0030 over dims)"
    assert mean_and_sd(0.999, 0.22) == "1.00 (sd 0.22 over dims)"
    assert mean_and_sd(250.0, 37.0) == "250 (sd 37 over dims)"
    assert mean_and_sd(1.0, 1.6e-9) == "1 (all, to 6 digits)"
    assert mean_and_sd(0.799, 0.22, min_decimals=3) == "0.799 (sd 0.220 over dims)"  # verdicts'
    assert mean_and_sd(0.729, 0.00068, min_decimals=3) == "0.72900 (sd 0.00068 over dims)"


def test_white_data_over_few_movies_is_called_whitened_at_the_nominal_rate():
    """Accuracy round 15b: the diagonal bounds had no chance allowance (a sample variance over
    n rows has SD ~ sqrt(2 / n), 0.26 at 30 movies), so iid N(0, 1) vectors of 30 movies were
    "not whitened" in 33-68% of draws. Every whitening bound now widens to what white data
    reaches by chance, the four tests sharing the 5%, and the target says so."""
    rng = np.random.default_rng(11)
    spec = ModelSpec(regularizers={"whitening": 0.1})
    for n, dim in ((30, 4), (30, 16), (60, 8)):
        missed = 0
        for _ in range(200):
            (verdict,) = regularizer_verdicts(
                {"movie_embedding": rng.standard_normal((n, dim))}, spec, {}
            )
            missed += not verdict.achieved
        assert missed <= 14, (n, dim, missed)  # <= 7% of 200 (nominal 5%)
    (low,) = regularizer_verdicts({"movie_embedding": 0.5 * rng.standard_normal((30, 4))}, spec, {})
    assert not low.achieved  # a variance of 0.25 is no chance
    assert "widened to what white data reaches by chance over 30 movies" in low.sentence


def _counted_model(tmp_path, x, counts):
    import pandas as pd

    from movierate.store import TrainedModel

    spec = ModelSpec(dim=x.shape[1], regularizers={"decorrelation": 0.1})
    frame = pd.DataFrame({"n_ratings": counts})
    return TrainedModel("m", tmp_path, spec, {"history": {}}, {"movie_embedding": x}, frame)


def test_two_sets_together_miss_independent_dimensions_about_5_percent(tmp_path):
    """Accuracy round 15b: each set tested at its 95th percentile and both required missed 108
    of 1,200 iid draws (9%), and a miss of the second set at its chance level (0.029 against
    0.029) came with advice to retrain for rarely rated movies. Each set is now tested at
    97.5%, and the advice needs a miss beyond chance's 99.9%."""
    rng = np.random.default_rng(2)
    counts = np.r_[np.full(1_152, 20), np.full(489, 3)]
    missed = advised = 0
    for _ in range(300):
        model = _counted_model(tmp_path, rng.standard_normal((1_641, 8)), counts)
        (verdict,) = regularizer_verdicts(model, min_ratings=10)
        missed += not verdict.achieved
        advised += "rarely rated" in verdict.sentence
        if not verdict.achieved and verdict.sentence.startswith("decorrelated over"):
            assert "not quite over the 1,152" in verdict.sentence
            assert "does not show that those movies differ" in verdict.sentence
    assert missed <= 21 and advised == 0, (missed, advised)  # <= 7% of 300 (nominal 5%)
