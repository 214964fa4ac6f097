"""Views round 24: a data scientist takes every export to a notebook (F1 the counts an export
writes, F2 the notebook export of both sides, F3 the first-k export's name and basis, F4
``evaluate --json``)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import open_page

from movierate import cli, store
from movierate.explore import ordering
from movierate.explore.export import projector_text
from movierate.explore.selection import selection_csv
from movierate.explore.validation import eligible_rows
from movierate.imported_models import read_embedding, save_imported


def _movies(n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    total = rng.integers(5, 60, n)
    return pd.DataFrame(
        {
            "movie_idx": np.arange(n),
            "movie_id": np.arange(n) + 100,
            "title": [f"Film {i}" for i in range(n)],
            "year": [1990 + i for i in range(n)],
            "genres": [["Drama"]] * n,
            "n_ratings": total,
            "n_train_ratings": (total * 0.7).astype(np.int64),  # test rows are the rest
            "mean_rating": np.full(n, 3.5),
        }
    )


# --- F1: which count a file holds --------------------------------------------------------------


def test_projector_export_writes_training_counts_and_a_reimport_filters_alike(tmp_path):
    movies = _movies()
    vectors = np.random.default_rng(1).normal(size=(len(movies), 4)).astype(np.float32)
    kept = eligible_rows(movies, 20)
    text, metadata = projector_text(vectors, movies, min_ratings=20)
    table = pd.read_csv(io.StringIO(metadata), sep="\t")
    assert list(table.columns[3:5]) == ["n_ratings", "n_train_ratings"]
    # the file repeats the dashboard's filter from its own columns; n_ratings would not
    assert table["movie_id"].tolist() == movies["movie_id"].iloc[kept].tolist()
    assert (table["n_train_ratings"] >= 20).all()
    assert (movies["n_ratings"] >= 20).sum() > len(kept)
    every_vectors, every = projector_text(vectors, movies)
    (tmp_path / "v.tsv").write_text(every_vectors)
    (tmp_path / "m.tsv").write_text(every)
    embedding = read_embedding(tmp_path / "v.tsv", metadata=tmp_path / "m.tsv")
    save_imported("again", embedding, "v.tsv")
    again = store.load_model("again").movies
    assert again["n_train_ratings"].tolist() == movies["n_train_ratings"].tolist()
    assert again["n_ratings"].tolist() == movies["n_ratings"].tolist()
    assert eligible_rows(again, 20).tolist() == kept.tolist()  # the same view of it


def test_selection_csv_writes_both_counts():
    movies = _movies()
    table = pd.read_csv(io.StringIO(selection_csv(movies, [1, 3])))
    assert table["n_ratings"].tolist() == movies["n_ratings"].iloc[[1, 3]].tolist()
    assert table["n_train_ratings"].tolist() == movies["n_train_ratings"].iloc[[1, 3]].tolist()
    older = movies.drop(columns="n_train_ratings")  # a model saved before those counts
    assert "n_train_ratings" not in pd.read_csv(io.StringIO(selection_csv(older, [1])))


# --- F2: python -m movierate export -------------------------------------------------------------


def test_export_rebuilds_the_test_rmse_from_its_files_alone(trained_home, tmp_path, capsys):
    out = tmp_path / "nb"
    assert cli.main(["export", "small-mf", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "README.txt" in said
    meta = json.loads((out / "meta.json").read_text())
    movies, users = pd.read_csv(out / "movies.csv"), pd.read_csv(out / "users.csv")
    ratings = pd.read_csv(out / "ratings.csv")
    u_vec, m_vec = np.load(out / "user_vectors.npy"), np.load(out / "movie_vectors.npy")
    assert len(u_vec) == len(users) and len(m_vec) == len(movies)
    test = ratings[ratings["part"] == "test"]
    u, m = test["user_idx"].to_numpy(), test["movie_idx"].to_numpy()
    z = (u_vec[u].astype(np.float64) * m_vec[m]).sum(1)
    z += users["bias"].to_numpy()[u] + movies["bias"].to_numpy()[m]
    assert meta["output"] == "clip"
    predicted = np.clip(z + meta["global_mean"], *meta["rating_scale"])
    rmse = np.sqrt(np.mean((predicted - test["rating"].to_numpy()) ** 2))
    assert rmse == pytest.approx(meta["metrics"]["test_rmse"], abs=1e-5)
    assert len(test) == meta["split"]["n_test"]
    # ids tie rows to MovieLens; the training counts are the train rows'
    model = store.load_model("small-mf")
    assert movies["movie_id"].tolist() == model.movies["movie_id"].tolist()
    train = ratings[ratings["part"] == "train"]
    assert users["n_train_ratings"].sum() == len(train) == movies["n_train_ratings"].sum()
    assert {"train", "stop", "test"} == set(ratings["part"])
    assert "meta['metrics'].get('test_rmse')" in (out / "README.txt").read_text()


def test_export_refuses_to_overwrite_and_never_replaces_other_folders(
    trained_home, tmp_path, capsys
):
    out = tmp_path / "nb"
    assert cli.main(["export", "small-deep", "--out", str(out)]) == 0
    assert "dense_0_kernel" in np.load(out / "arrays.npz")  # the network for deep
    before = (out / "meta.json").read_text()
    assert cli.main(["export", "small-deep", "--out", str(out)]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "meta.json").read_text() == before
    assert cli.main(["export", "small-mf", "--out", str(out), "--overwrite", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "small-mf"
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    assert cli.main(["export", "small-mf", "--out", str(other), "--overwrite"]) == 1
    assert "not an earlier export" in capsys.readouterr().err
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export-")]


def test_an_imported_embedding_exports_what_it_has_and_says_what_it_lacks(tmp_path, capsys):
    movies = _movies()
    points = np.random.default_rng(2).normal(size=(len(movies), 3)).astype(np.float32)
    vectors, metadata = projector_text(points, movies)
    (tmp_path / "v.tsv").write_text(vectors)
    (tmp_path / "m.tsv").write_text(metadata)
    assert cli.main(["import", str(tmp_path / "v.tsv"), "--metadata", str(tmp_path / "m.tsv"),
                     "--name", "imp"]) == 0  # fmt: skip
    capsys.readouterr()
    assert cli.main(["export", "imp", "--out", str(tmp_path / "out")]) == 0
    said = capsys.readouterr().out
    assert "movie vectors only" in said and "user_vectors.npy" in said
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert files == {"movies.csv", "movie_vectors.npy", "meta.json", "README.txt"}
    assert "user_vectors.npy" in json.loads((tmp_path / "out" / "meta.json").read_text())["lacks"]
    assert np.load(tmp_path / "out" / "movie_vectors.npy").shape == (len(movies), 3)


# --- F4: evaluate --json -----------------------------------------------------------------------


def test_evaluate_json_holds_the_numbers_it_prints(trained_home, capsys):
    assert cli.main(["evaluate", "small-mf", "--against", "small-deep", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    meta = store.read_meta("small-mf")
    assert record["parts"]["test"]["rmse"] == pytest.approx(meta["metrics"]["test_rmse"])
    assert record["parts"]["test"]["recorded_rmse"] == meta["metrics"]["test_rmse"]
    assert set(record["parts"]) == {"train", "stop", "test"}
    assert {"hit_rate", "ndcg", "popular_ndcg", "chance_ndcg"} <= set(record["ranking"])
    assert "test_rmse_of_averages" in record["metrics"]
    assert sorted(d["name"] for d in record["paired"]) == ["small-deep", "small-mf"]
    assert all("verdict" in d and "se" in d for d in record["paired"])


def test_evaluate_json_carries_the_warnings_the_text_prints(
    small_model_home, tmp_path, monkeypatch, capsys
):
    """A script reading --json learns what a reader of the text is warned about: here a model
    whose recorded test RMSE is not what its arrays give (an edited meta.json)."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(small_model_home / "models" / "small-mf", home / "models" / "small-mf")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    meta_path = home / "models" / "small-mf" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["metrics"]["test_rmse"] += 0.05
    meta_path.write_text(json.dumps(meta))
    assert cli.main(["evaluate", "small-mf"]) == 0
    printed = [
        line.removeprefix("warning: ")
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("warning: ")
    ]
    assert cli.main(["evaluate", "small-mf", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert any("is not the" in text and "recorded at training time" in text for text in printed)
    assert record["warnings"] == printed
    assert all(isinstance(text, str) and text for text in record["notes"])


# --- F3: the first-k export's name and what its basis is ---------------------------------------


def test_first_k_export_has_a_plain_name_and_says_what_principal_means(trained_home):
    from movierate.explore.export import basis_note, file_stem

    model = store.load_model("small-mf")
    view = ordering.first_k_view(model, 3, "pca")
    assert file_stem(view) == "small-mf_pca3"
    assert file_stem(ordering.first_k_view(model, 3, "index")) == "small-mf_first3"
    assert file_stem(model) == "small-mf" and basis_note(model) is None
    note = basis_note(view)
    assert "not a PCA" in note and "training ratings" in note and "u·m is kept" in note
    # as it says: every prediction of the whole principal basis is the model's
    full = ordering.pca_arrays(model.arrays, model.spec, None, model.movies["n_train_ratings"])
    assert np.allclose(full["user_embedding"] @ full["movie_embedding"].T,
                       model.arrays["user_embedding"] @ model.arrays["movie_embedding"].T,
                       atol=1e-4)  # fmt: skip
    at = open_page("pages/embeddings.py", model="small-mf", view="Export", emb_k="3",
                   emb_basis="PCA")  # fmt: skip
    assert len(at.get("download_button")) == 3  # named by file_stem (no name in AppTest)
    captions = " ".join(c.value for c in at.caption)
    assert "not a PCA of the movie vectors" in captions
    assert "n_train_ratings counts the ratings the model was fit on" in captions


# --- recheck 2 ---------------------------------------------------------------------------------


def test_overwrite_refuses_an_export_holding_files_it_did_not_write(
    trained_home, tmp_path, monkeypatch, capsys
):
    """--overwrite replaced the whole folder, deleting a notebook put into an earlier export;
    a dead link and the current folder as --out failed with the system's words."""
    out = tmp_path / "nb"
    assert cli.main(["export", "small-mf", "--out", str(out)]) == 0
    (out / "analysis.ipynb").write_text("{}")
    assert cli.main(["export", "small-mf", "--out", str(out), "--overwrite"]) == 1
    assert "files it did not write (analysis.ipynb)" in capsys.readouterr().err
    assert (out / "analysis.ipynb").read_text() == "{}"
    (tmp_path / "dead").symlink_to(tmp_path / "nowhere")
    assert cli.main(["export", "small-mf", "--out", str(tmp_path / "dead")]) == 1
    assert "is a link" in capsys.readouterr().err
    (out / "analysis.ipynb").unlink()
    monkeypatch.chdir(out)
    assert cli.main(["export", "small-mf", "--out", ".", "--overwrite"]) == 1
    assert "is the current folder" in capsys.readouterr().err
    assert not [p for p in out.iterdir() if p.name.startswith(".movierate")]


def test_a_deep_export_states_its_output_transform(trained_home, tmp_path):
    """Its recipe said "the output transform as for the other families", which its README
    never gave."""
    assert cli.main(["export", "small-deep", "--out", str(tmp_path / "d")]) == 0
    readme = (tmp_path / "d" / "README.txt").read_text()
    assert "clip: clip(z + g, lo, hi)" in readme and "other families" not in readme


def test_an_import_without_counts_exports_them_blank(tmp_path):
    """Written as 0 with "count every rating of the data set" (round 34 made them blank)."""
    from movierate.explore.notebook import write_notebook_export

    movies = _movies().assign(n_ratings=0)
    points = np.random.default_rng(3).normal(size=(len(movies), 3)).astype(np.float32)
    vectors, metadata = projector_text(points, movies)
    (tmp_path / "v.tsv").write_text(vectors)
    (tmp_path / "m.tsv").write_text(metadata)
    save_imported("nocounts", read_embedding(tmp_path / "v.tsv", metadata=tmp_path / "m.tsv"),
                  "v.tsv")  # fmt: skip
    meta = write_notebook_export(store.load_model("nocounts"), tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "movies.csv")
    assert table["n_ratings"].isna().all()
    assert "blank where unknown" in meta["counts"]
