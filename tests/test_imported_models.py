"""Embeddings made elsewhere: save_imported, the ``import`` command, loading and listing an
imported model, the Explore page on it, and one clear error for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from movierate import explore, store
from movierate.cli import main
from movierate.errors import DataError, StoreError
from movierate.imported_models import is_imported, read_embedding, save_imported

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def synthetic(n: int = 240, dim: int = 8, seed: int = 0) -> tuple[np.ndarray, pd.DataFrame]:
    """Movies whose first dimension separates Comedy from Drama."""
    rng = np.random.default_rng(seed)
    comedy = np.arange(n) % 2 == 0
    x = rng.normal(size=(n, dim)).astype(np.float32)
    x[:, 0] += np.where(comedy, 2.5, -2.5)
    movies = pd.DataFrame(
        {
            "movie_idx": np.arange(n),
            "movie_id": np.arange(n) + 1,
            "title": [f"Film {i}" for i in range(n)],
            "year": pd.array(1950 + np.arange(n) % 60, dtype="Int64"),
            "genres": [["Comedy"] if c else ["Drama"] for c in comedy],
            "n_ratings": 10 + np.arange(n),
            "mean_rating": np.full(n, 3.5),
        }
    )
    return x, movies


def write_projector(folder: Path) -> tuple[Path, Path, np.ndarray]:
    x, movies = synthetic()
    vectors, metadata = explore.projector_text(x, movies)
    (folder / "v.tsv").write_text(vectors)
    (folder / "m.tsv").write_text(metadata)
    return folder / "v.tsv", folder / "m.tsv", x


def test_save_imported_then_list_and_load(tmp_path):
    vectors, metadata, x = write_projector(tmp_path)
    folder = save_imported("ext", read_embedding(vectors, metadata=metadata), "v.tsv")
    assert not (folder / store.KERAS_FILE).exists()
    infos, broken = store.list_models()
    assert [i.name for i in infos] == ["ext"] and not broken
    # CLI round 2: Home's table said "mf" where `list` said "imported"
    from movierate.ui.text import models_table

    assert models_table(infos)["family"].tolist() == ["imported"]
    assert infos[0].test_rows_text == "none (imported)"  # onboarding review: "old model"
    assert infos[0].scale is None  # recheck C (s26): its placeholder scale made "0.5-5, 1-5"
    model = store.load_model("ext")
    assert is_imported(model) and model.meta["imported"]["format"] == "projector"
    np.testing.assert_allclose(model.movie_embedding, x, rtol=1e-6)
    assert model.user_embedding.shape == (0, 8) and model.n_movies == 240
    assert model.movies["title"].iloc[3] == "Film 3"
    assert list(model.movies["genres"].iloc[0]) == ["Comedy"]
    # the explore analyses work on it
    near = explore.neighbour_index(model).nearest(0, k=5)
    assert len(near) == 5
    assert explore.model_dimension_importance(model)["user_variance"].isna().all()
    with pytest.raises(StoreError):
        save_imported("ext", read_embedding(vectors, metadata=metadata), "again")


def test_cli_import_npy_and_word2vec(tmp_path, capsys):
    x, movies = synthetic(60)
    np.save(tmp_path / "x.npy", x)
    movies[["movie_id", "title", "year"]].to_csv(tmp_path / "labels.csv", index=False)
    args = ["import", str(tmp_path / "x.npy"), "--labels", str(tmp_path / "labels.csv")]
    assert main([*args, "--name", "from-npy"]) == 0
    assert "imported 60 movie vectors of 8 dims" in capsys.readouterr().out
    model = store.load_model("from-npy")
    assert model.movies["movie_id"].tolist() == movies["movie_id"].tolist()
    (tmp_path / "w.txt").write_text(explore.word2vec_text(x, movies))
    assert main(["import", str(tmp_path / "w.txt"), "--name", "from-w2v"]) == 0
    assert store.load_model("from-w2v").n_movies == 60
    # the name is taken now: one error line, exit 1
    assert main([*args, "--name", "from-npy"]) == 1
    assert capsys.readouterr().err.count("error:") == 1


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"x.csv": "a,b\n1,2\n"}, "cannot tell the format"),
        ({"x.tsv": "1\t2\n3\tnot-a-number\n"}, "line 2"),
        ({"x.tsv": "1\t2\n3\t4\t5\n"}, "line 2"),
        ({"x.txt": "garbage"}, ""),
        ({"x.npy": b"not an npy"}, "not a readable .npy"),
        ({"x.tsv": "0\t0\n0\t0\n0\t0\n"}, "All 3 vectors in x.tsv are the same point"),
        ({"x.tsv": "1\t2\n1\t2\n"}, "All 2 vectors in x.tsv are the same point"),
    ],
)
def test_bad_files_give_one_clear_error(tmp_path, capsys, files, message):
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["import", str(path), "--name", "bad"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message.lower() in err[0].lower()
    assert "Traceback" not in err[0]
    assert not (store.model_path("bad")).exists()
    with pytest.raises(DataError):
        save_imported("bad", read_embedding(path), path.name)


def test_missing_file_is_one_error(tmp_path, capsys):
    assert main(["import", str(tmp_path / "nope.tsv"), "--name", "x"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_explore_and_rate_pages_open_an_imported_model(tmp_path):
    vectors, metadata, _ = write_projector(tmp_path)
    save_imported("ext", read_embedding(vectors, metadata=metadata), "v.tsv")
    at = open_page("pages/explore.py", model="ext", view="axes", xa="Comedy", xb="Drama")
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: float(m.value) for m in at.metric}
    assert metrics["x: AUC leave-one-out"] > 0.9  # the synthetic direction is real
    at = open_page("pages/explore.py", model="ext", view="users")
    assert any("movie vectors only" in i.value for i in at.info)
    at = open_page("pages/rate.py", model="ext", rated="1:5")
    assert not at.error
    assert any("imported from elsewhere" in i.value for i in at.info)


def open_page(page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.query_params.update(query)
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


class Uploaded:
    """A stand-in for Streamlit's UploadedFile."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.name = name or path.name
        self._data = path.read_bytes()

    def getvalue(self) -> bytes:
        return self._data


def test_home_upload_helper(tmp_path):
    from movierate.ui.import_embeddings import import_uploaded, suggested_name

    vectors, metadata, x = write_projector(tmp_path)
    name = suggested_name("movies_vectors.tsv")
    assert name == "imported-movies"
    folder = import_uploaded(Uploaded(vectors), Uploaded(metadata), name)
    assert folder.name == name
    assert store.load_model(name).movies["title"].iloc[0] == "Film 0"
    with pytest.raises(DataError, match="cannot tell the format"):
        import_uploaded(Uploaded(metadata, "m.csv"), None, "other")


@pytest.mark.parametrize(
    ("extra_name", "content", "message"),
    [
        ("my labels.csv", "title,n_ratings\nA,1\nB,-1\n", "Column 'n_ratings', row 2"),
        ("my labels.csv", '"unclosed\n', "my labels.csv"),
    ],
)
def test_upload_errors_name_the_uploaded_file(tmp_path, extra_name, content, message):
    from movierate.ui.import_embeddings import import_uploaded

    np.save(tmp_path / "x.npy", np.ones((2, 3), dtype=np.float32))
    (tmp_path / "labels").write_text(content)
    with pytest.raises(DataError, match=message) as caught:
        import_uploaded(
            Uploaded(tmp_path / "x.npy", "emb.npy"), Uploaded(tmp_path / "labels", extra_name), "u"
        )
    assert "side-" not in str(caught.value)


def test_upload_with_the_same_name_twice_and_odd_names(tmp_path):
    from movierate.ui.import_embeddings import import_uploaded

    (tmp_path / "v.tsv").write_text("1\t2\n3\t4\n")
    (tmp_path / "m.tsv").write_text("Alien (1979)\nBrazil (1985)\n")
    folder = import_uploaded(
        Uploaded(tmp_path / "v.tsv", "same.tsv"), Uploaded(tmp_path / "m.tsv", "same.tsv"), "s1"
    )
    assert store.load_model(folder.name).movies["title"].tolist() == ["Alien", "Brazil"]
    odd = Uploaded(tmp_path / "m.tsv", "x" * 300 + ".tsv")
    folder = import_uploaded(Uploaded(tmp_path / "v.tsv", "../../v.tsv"), odd, "s2")
    assert store.load_model(folder.name).movies["title"].tolist() == ["Alien", "Brazil"]


def _no_count_home(home: Path) -> None:
    labels = explore.movies_like(
        pd.DataFrame(
            {
                "title": [f"Film {i} (1990)" for i in range(40)],
                "genres": ["Drama" if i % 2 else "Comedy" for i in range(40)],
            }
        )
    )
    for name, dim in (("emb-a", 4), ("emb-b", 4), ("emb-1d", 1)):
        vectors = np.random.default_rng(dim + len(name)).normal(size=(40, dim)).astype(np.float32)
        save_imported(name, explore.ImportedEmbedding(vectors, labels, "npy"), "x.npy")


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("embeddings", {"model": "emb-a"}),
        ("embeddings", {"model": "emb-a", "view": "Principal components"}),
        ("embeddings", {"model": "emb-1d", "view": "Principal components"}),
        ("embeddings", {"model": "emb-a", "view": "Norms & popularity"}),
        ("compare", {"models": ["emb-a", "emb-b"], "section": "Embedding spaces"}),
        ("compare", {"models": ["emb-a", "emb-b"], "section": "Spectra"}),
        ("compare", {"models": ["emb-a", "emb-b"], "section": "Movie by movie"}),
        ("neighbours", {"models": "emb-a", "q": "film 3"}),
    ],
)
def test_an_embedding_without_rating_counts_opens_without_a_filter(page, params, isolated_home):
    """Imported counts are 0: a min-ratings filter of 10 left no movie ("Only 0 row(s)…")."""
    from movierate.ui import shell

    _no_count_home(isolated_home)
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(shell.PAGES[page].script).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_two_imported_models_have_no_prediction_agreement(tmp_path):
    vectors, metadata, _ = write_projector(tmp_path)
    save_imported("ext-a", read_embedding(vectors, metadata=metadata), "v.tsv")
    save_imported("ext-b", read_embedding(vectors, metadata=metadata), "v.tsv")
    a, b = store.load_model("ext-a"), store.load_model("ext-b")
    assert a.n_users == 0
    assert explore.model_prediction_agreement(a, b) is None  # no users: nothing to predict


def test_list_and_show_do_not_call_an_imported_model_old(tmp_path, capsys):
    vectors, metadata, _ = write_projector(tmp_path)
    save_imported("ext", read_embedding(vectors, metadata=metadata), "v.tsv")
    assert main(["list"]) == 0 and main(["show", "ext"]) == 0
    out = capsys.readouterr().out
    assert "steered early stopping" not in out and "before splits had test rows" not in out
    assert "imported from elsewhere: no ratings, so no accuracy" in out


def test_import_arguments_that_do_not_fit_the_file_are_named(tmp_path, capsys):
    vectors, metadata, _ = write_projector(tmp_path)
    assert main(["import", str(vectors), "--labels", str(metadata), "--name", "x"]) == 1
    assert "--labels" in capsys.readouterr().err
    assert main(["import", str(vectors), "--metadata", str(metadata), "--name", "x"]) == 0
    assert main(["import", str(vectors), "--metadata", str(metadata), "--name", "x"]) == 1
    assert "pass --overwrite to replace it" in capsys.readouterr().err


def test_a_folder_given_as_the_embedding_file_is_named_as_a_folder(tmp_path):
    from movierate.imported_models import read_embedding

    with pytest.raises(DataError, match="is a folder; give the embedding file itself"):
        read_embedding(tmp_path)


def test_a_byte_order_mark_is_no_value_and_huge_values_are_named(tmp_path):
    from movierate.explore.imported import read_npy, read_projector_tsv

    bom = tmp_path / "bom.tsv"
    bom.write_bytes("\ufeff0.1\t0.2\n0.3\t0.4\n".encode())
    meta = tmp_path / "meta.tsv"
    meta.write_bytes("\ufefftitle\nHeat\nUp\n".encode())
    imported = read_projector_tsv(bom, meta)
    assert imported.vectors.shape == (2, 2) and list(imported.movies["title"]) == ["Heat", "Up"]
    big = tmp_path / "big.tsv"
    big.write_text("1e300\t0\n0\t1\n")
    with pytest.raises(DataError, match="Line 1 of big.tsv holds values beyond"):
        read_projector_tsv(big)
    wide = tmp_path / "wide.npy"
    np.save(wide, np.array([[1e300, 0.0], [0.0, 1.0]]))
    with pytest.raises(DataError, match="wide.npy holds values beyond"):
        read_npy(wide)


def test_an_import_wider_than_a_trainable_model_still_loads(tmp_path):
    """The recheck of bad-input round 12's load-time spec check: an imported 4,096-wide
    embedding (beyond train's 1,024) was listed as broken. The check is for trained models."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 1100)).astype(np.float32)
    (tmp_path / "v.tsv").write_text("\n".join("\t".join(f"{v:.4f}" for v in row) for row in x))
    save_imported("wide", read_embedding(tmp_path / "v.tsv"), "v.tsv")
    infos, broken = store.list_models()
    assert [i.name for i in infos] == ["wide"] and not broken
    assert store.load_model("wide").dim == 1100


def test_an_overwrite_import_never_replaces_a_folder_moved_in_meanwhile(tmp_path, monkeypatch):
    """Recheck D (s26): `import --overwrite` checked the name once, before staging; a folder
    moved into the model's folder meanwhile was deleted with the old model."""
    vectors, metadata, _ = write_projector(tmp_path)
    save_imported("ext", read_embedding(vectors, metadata=metadata), "v.tsv")
    folder = store.model_path("ext")
    real_write = store._write_npz

    def move_in(path, arrays):
        (folder / "backup").mkdir(exist_ok=True)
        (folder / "backup" / "thesis.tex").write_text("mine")
        return real_write(path, arrays)

    monkeypatch.setattr(store, "_write_npz", move_in)
    with pytest.raises(StoreError, match="'ext' is not replaced: it holds 'backup/'"):
        save_imported("ext", read_embedding(vectors, metadata=metadata), "v.tsv", overwrite=True)
    assert (folder / "backup" / "thesis.tex").read_text() == "mine"


def test_neighbours_of_an_embedding_without_counts_does_not_offer_the_most_rated(isolated_home):
    """Bad-input round 39: "Try one of the most rated movies" over the first 8 rows of an
    import whose page says it has no rating counts."""
    from movierate.ui import shell

    _no_count_home(isolated_home)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["models"] = "emb-a"
    at.switch_page(shell.PAGES["neighbours"].script).run()
    shown = " ".join(m.value for m in at.markdown)
    assert "Try one of these movies" in shown and "most rated" not in shown, shown


def test_an_imports_arrays_replaced_by_others_of_the_same_size_are_refused(tmp_path):
    """Recheck 7: an import recorded no file fingerprints, so its movie vectors reversed in place
    (a file of the same size) labelled every vector with another movie's title, unsaid."""
    vectors, metadata, _x = write_projector(tmp_path)
    folder = save_imported("ext", read_embedding(vectors, metadata=metadata), "v.tsv")
    path = folder / store.EMBEDDINGS_FILE
    with np.load(path) as saved:
        arrays = dict(saved)
    size = path.stat().st_size
    arrays["movie_embedding"] = arrays["movie_embedding"][::-1].copy()
    np.savez(path, **arrays)
    assert path.stat().st_size == size
    with pytest.raises(StoreError, match="embeddings.npz is not the file this model saved"):
        store.load_model("ext")
