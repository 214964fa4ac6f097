"""Accuracy review round 16, F2 and F4: an inferred rating scale is the data's own (1-7 ratings
were a 1-10 scale, 0-5 whole numbers half stars), models keep the scale they recorded, a check
that cannot be computed says why instead of vanishing, and "liked" reads right on a 0/1 scale."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import assert_clean, open_page

from movierate import config, pipeline, ranking, store
from movierate.cli import main
from movierate.data import cache, from_csv, load_dataset
from movierate.data.build import infer_scale
from movierate.data.custom import CUSTOM_FOLDER
from movierate.data.dataset import RatingScale
from movierate.data.formats import CUSTOM_META
from movierate.spec import ModelSpec
from movierate.ui import text

OLD_NOTE = (
    "Rating scale inferred as 1-10 (step 1) from the data; declare another when importing the "
    "ratings as a CSV (Home: 'Options: columns, text encoding, rating scale'; CLI: datasets "
    "FILE --name NAME --rating-scale MIN,MAX,STEP; Python: from_csv(..., rating_scale=(min, "
    "max, step)))."
)
TINY = ModelSpec(family="mf_bias", dim=4, epochs=2, batch_size=1024)


@pytest.mark.parametrize(
    ("values", "scale"),
    [
        (range(1, 7), (1, 6, 1)),  # Likert scales were 1-10
        (range(1, 8), (1, 7, 1)),
        (range(1, 9), (1, 8, 1)),
        (range(1, 10), (1, 9, 1)),
        (range(0, 6), (0, 5, 1)),  # whole numbers were half stars
        (range(0, 11), (0, 10, 1)),
        (np.arange(1, 5.01, 0.5), (0.5, 5, 0.5)),  # half stars without a 0.5: still 0.5-5
        (range(3, 11), (1, 10, 1)),  # its top and step used, low values unused: common
        ((3, 4, 5), (1, 5, 1)),
        ((3.5, 4, 5), (0.5, 5, 0.5)),
        ((2, 4.5), (2, 4.5, 0.5)),  # no common scale's top
        (range(1, 6), (1, 5, 1)),
        ((0, 1), (0, 1, 1)),
        (range(10, 101, 10), (0, 100, 1)),  # scores out of 100 (fuzz round 8)
        ((1, 2, 3, 4, 5, 7.5), (1, 7.5, 0.5)),
    ],
)
def test_the_inferred_scale_is_the_tightest_the_data_supports(values, scale):
    assert infer_scale(np.asarray(list(values), dtype=np.float64)).as_list() == list(scale)


def _likert(binary: bool = False) -> pd.DataFrame:
    """200 users x 60 movies of ratings 1-7 (or 0/1) from a rank-2 taste plus noise."""
    rng = np.random.default_rng(16)
    users, movies = np.meshgrid(np.arange(200), np.arange(60), indexing="ij")
    keep = rng.random(users.shape) < 0.6
    u, m = users[keep], movies[keep]
    taste = (rng.normal(size=(200, 2))[u] * rng.normal(size=(60, 2))[m]).sum(axis=1)
    z = taste + rng.normal(scale=0.5, size=len(u))
    rating = (z > 0).astype(int) if binary else np.clip(np.round(4 + 1.6 * z), 1, 7).astype(int)
    return pd.DataFrame({"userId": u + 1, "movieId": m + 1, "rating": rating, "timestamp": 1})


def _csv(tmp_path, frame: pd.DataFrame, name: str = "likert.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_the_import_note_names_the_values_seen(tmp_path):
    ds = from_csv(_csv(tmp_path, _likert()))
    assert ds.rating_scale.as_list() == [1.0, 7.0, 1.0]
    assert ds.warnings[0].startswith(
        "Rating scale inferred as 1-7 (step 1) from the data, whose ratings are 1, 2, 3, 4, 5, "
        "6, 7; declare another"
    )


def _as_imported_before(name: str) -> None:
    """Rewrite a saved upload's record as the inference before round 16 wrote it (1-10)."""
    meta_path = config.data_dir() / CUSTOM_FOLDER / name / CUSTOM_META
    meta = json.loads(meta_path.read_text())
    meta["rating_scale"] = [1.0, 10.0, 1.0]
    meta["warnings"] = [OLD_NOTE]
    meta_path.write_text(json.dumps(meta))


def test_an_upload_inferred_before_is_inferred_again_and_a_declared_one_kept(tmp_path):
    path = _csv(tmp_path, _likert())
    from_csv(path, save_as="likert")
    _as_imported_before("likert")
    for copy in (config.cache_dir() / "datasets").glob("likert/*"):  # no cached copy to serve
        for file in copy.iterdir():
            file.unlink()
        copy.rmdir()
    ds = load_dataset("likert")
    assert ds.rating_scale.as_list() == [1.0, 7.0, 1.0] and ds.scale_inferred
    assert len(ds.warnings) == 1 and "whose ratings are 1, 2, 3, 4, 5, 6, 7" in ds.warnings[0]
    from_csv(path, save_as="declared", rating_scale=(1, 10, 1))
    assert load_dataset("declared").rating_scale.as_list() == [1.0, 10.0, 1.0]


def test_a_dataset_cached_by_the_old_inference_is_not_served(tmp_path, monkeypatch):
    from_csv(_csv(tmp_path, _likert()), save_as="likert")
    _as_imported_before("likert")
    with monkeypatch.context() as patch:  # what the code before round 16 cached
        patch.setattr(cache, "CACHE_VERSION", 3)
        old_rule = RatingScale(1.0, 10.0, 1.0)  # the saved upload kept its recorded 1-10
        patch.setattr("movierate.data.formats.infer_scale", lambda ratings: old_rule)
        assert load_dataset("likert").rating_scale.as_list() == [1.0, 10.0, 1.0]
    assert load_dataset("likert").rating_scale.as_list() == [1.0, 7.0, 1.0]


@pytest.fixture
def old_model(tmp_path):
    """A 1-7 model trained as the code before round 16 would have: its recorded scale 1-10,
    its movie biases raised so that predictions pass 7."""
    from_csv(_csv(tmp_path, _likert()), save_as="likert")
    name = pipeline.train_and_save("likert", TINY, "old")
    folder = store.model_path(name)
    meta = json.loads((folder / "meta.json").read_text())
    meta["dataset"]["rating_scale"] = [1.0, 10.0, 1.0]
    meta.pop(
        "files", None
    )  # its arrays are edited below: as saved before bad-input round 52's record of them
    (folder / "meta.json").write_text(json.dumps(meta))
    with np.load(folder / "embeddings.npz") as npz:
        arrays = dict(npz)
    arrays["movie_bias"] = arrays["movie_bias"] + 5.0
    np.savez(folder / "embeddings.npz", **arrays)
    return store.load_model(name)


def test_a_model_keeps_its_recorded_scale_and_says_why_it_has_no_list_check(old_model, capsys):
    assert old_model.rating_scale == (1.0, 10.0, 1.0)
    ds = pipeline.dataset_of(old_model)
    assert ds.rating_scale.as_list() == [1.0, 7.0, 1.0]  # the dataset's own, inferred anew
    rows = np.arange(len(ds))
    predicted = old_model.predict(
        ds.ratings["user_idx"].to_numpy()[rows], ds.ratings["movie_idx"].to_numpy()[rows]
    )
    assert predicted.max() > 7.5 and predicted.max() <= 10  # clipped at its own 10, not 7
    check = ranking.held_out_ranking(old_model, ds)
    assert isinstance(check, pipeline.Unavailable)
    said = ranking.ranking_text(check)
    assert said.startswith("No top-10 list check on its test rows: none of its ")
    assert "reaches 8, the lowest counted as liked (the top quarter of its 1-10 scale)" in said
    assert "the highest is 7. If 7 is the top of your rating scale" in said
    assert main(["evaluate", old_model.name]) == 0
    assert said in capsys.readouterr().out  # evaluate printed nothing of it before


def test_a_new_model_of_1_7_ratings_clips_at_7_and_is_list_checked(tmp_path, capsys):
    from_csv(_csv(tmp_path, _likert()), save_as="likert")
    model = store.load_model(pipeline.train_and_save("likert", TINY, "new"))
    assert model.rating_scale == (1.0, 7.0, 1.0)
    check = ranking.held_out_ranking(model)
    assert isinstance(check, ranking.RankingCheck) and check.liked_from == 6
    assert "with a test movie they liked (rated 6 or more) among the movies" in (
        ranking.ranking_text(check)
    )
    assert main(["evaluate", model.name]) == 0
    assert ranking.ranking_text(check) in capsys.readouterr().out


def test_liked_on_a_0_1_scale_reads_as_liked(tmp_path):
    """F4: "a test movie they rated 1 or more" on like/dislike data."""
    from_csv(_csv(tmp_path, _likert(binary=True)), save_as="likes")
    model = store.load_model(pipeline.train_and_save("likes", TINY, "likes"))
    said = ranking.ranking_text(ranking.held_out_ranking(model))
    assert "with a test movie they liked (rated 1) among" in said and "1 or more" not in said


def test_a_top_prediction_check_without_enough_rows_says_why(old_model):
    ds = pipeline.dataset_of(old_model)
    calibration = pipeline.top_calibration(old_model, ds, share=0.001)
    assert isinstance(calibration, pipeline.Unavailable)
    assert text.top_calibration_text(calibration) == (
        "No check of its highest predictions against test ratings: its highest 0% of "
        f"predictions are {round(0.001 * calibration_rows(old_model, ds))} of its "
        f"{calibration_rows(old_model, ds):,} test rows, and the check needs "
        f"{pipeline.TOP_MIN_ROWS}."
    )


def calibration_rows(model, ds) -> int:
    return len(pipeline.recorded_split(ds, model.meta["split"]).test)


def test_recommend_and_compare_say_why_a_list_check_is_missing(old_model):
    """Recommend showed no list check for the 1-10 model of 1-7 ratings, and said nothing."""
    said = ranking.ranking_text(ranking.held_out_ranking(old_model))
    at = open_page("pages/recommend.py", models="old", user="1")
    assert said in [c.value for c in at.caption]
    pipeline.train_and_save("likert", TINY, "new")  # 1-7: scored
    at = open_page("pages/compare.py", models=["old", "new"])
    at.toggle(key="ranking").set_value(True).run()
    assert_clean(at)
    reason = said.split(": ", 1)[1]
    assert f"Not scored: old: {reason}" in [c.value for c in at.caption]
