"""Bad-input round 64: the data changes under saved models (a movies file edited between two
trainings, an import replaced with other ratings, a folder that no longer parses, a half-deleted
import): every view and command says what changed instead of going on as if nothing had."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from apptest_helpers import open_page
from test_app_home import run_home
from test_delete_dataset import _csv

from movierate import config, store
from movierate.cli import main
from movierate.data import from_csv
from movierate.errors import DataError
from movierate.explore import align_movies, renamed_ids_note
from movierate.explore.compare import same_dataset
from movierate.pipeline import dataset_of
from movierate.ui import dimensions, state

MOVIES = "movieId,title,genres\n" + "".join(
    f"{i},Film {i} ({1980 + i}),Drama\n" for i in range(1, 40)
)


def _imported_with_model(tmp_path: Path, capsys) -> Path:
    """Dataset 'mine' (seed 0) and model 'm' trained on it; the ratings file."""
    csv = _csv(tmp_path, 0)
    items = tmp_path / "movies.csv"
    items.write_text(MOVIES, encoding="utf-8")
    assert main(["datasets", str(csv), "--name", "mine", "--items", str(items)]) == 0
    assert main(["train", "mine", "--name", "m", "--dim", "2", "--epochs", "1"]) == 0
    capsys.readouterr()
    return csv


# --- F1: one ratings file, two movies files: not "the same data" -----------------------------


def _model(titles: list[str], years: tuple[int, ...] = (1995, 1977, 1990)) -> SimpleNamespace:
    movies = pd.DataFrame(
        {"movie_id": [1, 50, 7], "title": titles, "year": list(years), "genres": "Drama"}
    ).assign(n_ratings=[10, 20, 30], mean_rating=[3.5, 4.0, 3.0])
    return SimpleNamespace(
        name="m", meta={"dataset": {"name": "ml-100k", "fingerprint": "f7"}}, movies=movies
    )


def test_models_whose_movies_files_name_ids_differently_are_not_the_same_data():
    """F1: ids 1 and 50 swapped titles between two trainings on the same ratings; Neighbours
    paired the models by id under "On ml-100k" and showed Star Wars' vector as Toy Story's."""
    a = _model(["Toy Story", "Star Wars", "Heat"])
    b = _model(["Star Wars", "Toy Story", "Heat"], (1977, 1995, 1990))
    assert state.same_data(a, a) and state.same_data(a, _model(["Toy Story", "Star Wars", "Heat"]))
    assert not state.same_data(a, b) and not same_dataset(a, b)
    a.name, b.name = "m_100k", "m_100k_b"
    note = renamed_ids_note(a, b)
    assert "The movies file changed between these trainings" in note
    assert "2 movie id(s) name another film" in note
    assert "id 1: Toy Story (1995) for m_100k, Star Wars (1977) for m_100k_b" in note
    assert "matched by title and year, not by id" in note
    assert renamed_ids_note(a, _model(["Toy Story", "Star Wars", "Heat"])) is None
    # another dataset's ids name other films by nature: no "movies file changed"
    b.meta = {"dataset": {"name": "ml-latest-small", "fingerprint": "e1"}}
    assert renamed_ids_note(a, b) is None
    # matched by identity: Toy Story is A's row 0 and B's row 1, never row 0 to row 0
    rows_a, rows_b = align_movies(a.movies, b.movies)
    assert dict(zip(rows_a.tolist(), rows_b.tolist(), strict=True)) == {0: 1, 1: 0, 2: 2}


def test_neighbours_and_compare_say_the_movies_file_changed(tmp_path, capsys):
    """F1 on the pages: two models of one ratings file whose movies files swap two titles are
    shown as two catalogues matched by title, with the ids that changed named."""
    csv = _imported_with_model(tmp_path, capsys)
    swapped = tmp_path / "swapped.csv"
    swapped.write_text(
        MOVIES.replace("1,Film 1 (1981)", "1,Film X").replace("2,Film 2 (1982)", "2,Film 1 (1981)"),
        encoding="utf-8",
    )
    argv = ["datasets", str(csv), "--name", "mine", "--items", str(swapped), "--overwrite"]
    assert main(argv) == 0  # the same ratings: no model loses its data
    assert main(["train", "mine", "--name", "m2", "--dim", "2", "--epochs", "1"]) == 0
    said = "The movies file changed between these trainings on the same ratings"
    at = open_page("pages/neighbours.py", models=["m", "m2"], q="Film 1 (1981)")
    warnings = [w.value for w in at.warning]
    assert any(said in w and "id 1: Film 1 (1981) for m, Film X for m2" in w for w in warnings)
    at = open_page("pages/compare.py", models=["m", "m2"], section="Movie by movie")
    assert any(said in w.value for w in at.warning)
    assert any("one ratings file with different movies files" in i.value for i in at.info)
    agreement = [c.value for c in at.caption if c.value.startswith("Prediction agreement")]
    assert agreement and "mine changed between m's training and m2's" in agreement[0]  # recheck
    assert "of the same dataset (m: mine, m2: mine)" not in agreement[0]  # 13, L2


# --- F2: --overwrite with other ratings orphans the models trained on the old ones -----------


def test_overwrite_with_other_ratings_is_refused_while_models_use_them(tmp_path, capsys):
    """F2: `datasets other.csv --name mine --overwrite` replaced the ratings 'm' was trained on
    (kept nowhere else) without a word; now refused, naming the model, unless --force."""
    csv = _imported_with_model(tmp_path, capsys)
    before = (config.data_dir() / "custom" / "mine" / "ratings.parquet").read_bytes()
    other = _csv(tmp_path, 1)
    assert main(["datasets", str(other), "--name", "mine", "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "Dataset 'mine' was not replaced: this file holds other ratings" in err
    assert "1 saved model (m) was trained on 'mine'" in err
    assert "or pass --force to replace it anyway" in err and "Traceback" not in err
    assert (config.data_dir() / "custom" / "mine" / "ratings.parquet").read_bytes() == before
    with pytest.raises(DataError, match="pass force=True to replace it anyway"):  # Home's way
        from_csv(other, save_as="mine", replace=True)
    # the same ratings again harm no model; --force replaces
    assert main(["datasets", str(csv), "--name", "mine", "--overwrite"]) == 0
    assert main(["datasets", str(other), "--name", "mine", "--overwrite", "--force"]) == 0
    # F4: what changed, not only two fingerprints
    with pytest.raises(DataError) as said:
        dataset_of(store.load_model("m"))
    assert "changed since model 'm' was trained: " in str(said.value)
    n_now, n_then = (len(pd.read_csv(f)) for f in (other, csv))
    assert f"{n_now:,} ratings now, {n_then:,} then" in str(said.value)
    assert "Put back the ratings it was trained on, or retrain the model" in str(said.value)
    # F3: the embedding's verdict could not be checked, and why (was: no word at all)
    _gain, why = dimensions._embedding_gain(store.load_model("m"))
    assert "changed since model 'm' was trained" in why
    imported = SimpleNamespace(**vars(store.load_model("m")))  # no ratings by nature: unsaid
    imported.meta = {**imported.meta, "imported": True}
    assert dimensions._embedding_gain(imported)[1] is None


def test_homes_replacing_import_is_refused_while_models_use_the_old_ratings(tmp_path, capsys):
    """F2 on Home: the 'Replace' box overwrote the ratings 'm' was trained on, unsaid; it now
    says which model would lose them and what to do on this page (no force= or --force)."""
    _imported_with_model(tmp_path, capsys)
    at = run_home()
    at.file_uploader[0].upload("other.csv", _csv(tmp_path, 1).read_bytes(), "text/csv").run()
    at.text_input(key="csv_name").set_value("mine").run()
    at.checkbox(key="csv_replace").check().run()
    next(b for b in at.button if b.label == "Import").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "Dataset 'mine' was not replaced" in errors and "(m) was trained on 'mine'" in errors
    assert "or delete those models first" in errors and "force" not in errors
    assert not at.exception


# --- F4: the folder's own parse error, not "no longer there" ---------------------------------


def test_a_recorded_folder_that_no_longer_parses_says_why(tmp_path, capsys):
    """F4: u.item replaced by another file: "no longer there with the same contents" hid the
    parse error that `datasets` gives for the folder."""
    folder = tmp_path / "myset"
    folder.mkdir()
    rows = pd.read_csv(_csv(tmp_path, 0)).assign(timestamp=978300760)
    rows.columns = ["userId", "movieId", "rating", "timestamp"]
    rows.to_csv(folder / "ratings.csv", index=False)
    (folder / "movies.csv").write_text(MOVIES, encoding="utf-8")
    assert main(["train", str(folder), "--name", "m", "--dim", "2", "--epochs", "1"]) == 0
    (folder / "movies.csv").write_text("a|b\n1|2\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["datasets", str(folder)]) == 1
    parse_error = capsys.readouterr().err.removeprefix("error: ").strip()
    with pytest.raises(DataError) as said:
        dataset_of(store.load_model("m"))
    assert "is still there but cannot be read now: " in str(said.value)
    assert parse_error.splitlines()[0] in str(said.value)
    assert "no longer there" not in str(said.value)


# --- F5: a half-deleted import is listed as damaged ------------------------------------------


@pytest.mark.parametrize("gone", ["ratings.parquet", "dataset.json"])
def test_a_half_deleted_import_is_named_in_the_listing(tmp_path, capsys, gone):
    """F5: with ratings.parquet moved away, `datasets` dropped 'mine' without a word."""
    _ratings_csv = _csv(tmp_path, 0)
    folder = Path(from_csv(_ratings_csv, save_as="mine").source)
    (folder / gone).unlink()
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert f"Left out, damaged: imported dataset(s) 'mine' in {folder} lacks {gone}" in out
    assert "Put the missing file back" in out
