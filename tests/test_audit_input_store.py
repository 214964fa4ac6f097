"""Model folders edited by hand and imported embeddings, as ``show`` and ``list`` present them:
a folder that cannot be loaded is never shown as a healthy model, and an imported embedding
is never shown with a training spec it never had."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from movierate import config, store
from movierate.cli import main


def import_model(tmp_path: Path, name: str, capsys) -> Path:
    """Import 5 random 4-dim vectors with labels as model ``name``; returns its folder."""
    np.save(tmp_path / "v.npy", np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32))
    (tmp_path / "labels.csv").write_text("movieId,title\n1,A\n2,B\n3,C\n4,D\n5,E\n")
    code = main(
        [
            "import",
            str(tmp_path / "v.npy"),
            "--labels",
            str(tmp_path / "labels.csv"),
            "--name",
            name,
        ]
    )
    capsys.readouterr()
    assert code == 0
    return config.models_dir() / name


def _drop_movies(folder: Path) -> None:
    (folder / store.MOVIES_FILE).unlink()


def _empty_movies(folder: Path) -> None:
    (folder / store.MOVIES_FILE).write_bytes(b"")


def _truncate_npz(folder: Path) -> None:
    path = folder / store.EMBEDDINGS_FILE
    path.write_bytes(path.read_bytes()[:200])


def _fewer_rows(folder: Path) -> None:
    path = folder / store.EMBEDDINGS_FILE
    arrays = dict(np.load(path))
    arrays["movie_embedding"] = arrays["movie_embedding"][:3]
    with path.open("wb") as f:
        np.savez(f, **arrays)


def _wider_rows(folder: Path) -> None:
    path = folder / store.EMBEDDINGS_FILE
    arrays = dict(np.load(path))
    arrays["movie_embedding"] = np.zeros((5, 7), dtype=np.float32)
    with path.open("wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_drop_movies, "missing movies.parquet"),
        (_empty_movies, "movies.parquet is damaged"),
        (_truncate_npz, "embeddings.npz is damaged"),
        (_fewer_rows, "3 rows"),
        (_wider_rows, "shape mismatch"),
    ],
)
def test_show_of_a_broken_folder_says_so_and_fails(tmp_path, capsys, damage, reason):
    folder = import_model(tmp_path, "hand-edited", capsys)
    damage(folder)
    code = main(["show", "hand-edited"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "broken" in err and reason in err and "Traceback" not in err + out
    assert main(["list"]) == 0
    assert reason in capsys.readouterr().out  # the same reason as the listing gives


def test_show_of_a_whole_model_exits_zero(tmp_path, capsys):
    import_model(tmp_path, "whole", capsys)
    assert main(["show", "whole"]) == 0
    out, err = capsys.readouterr()
    assert "broken" not in out + err


def test_an_imported_model_is_shown_as_imported_not_with_a_training_spec(tmp_path, capsys):
    import_model(tmp_path, "outside", capsys)
    assert main(["show", "outside"]) == 0
    out = capsys.readouterr().out
    assert "5 movie vectors of 4 dims from 'v.npy'" in out
    for setting in ("learning_rate", "epochs", "hidden_units", "optimizer"):
        assert setting not in out
    assert main(["list"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("outside"))
    assert row.split()[1] == "imported"


def test_delete_checks_every_name_before_deleting_any(tmp_path, capsys):
    first = import_model(tmp_path, "keep-me", capsys)
    assert main(["delete", "keep-me", "no-such-model"]) == 1
    err = capsys.readouterr().err
    assert "no-such-model" in err and "Traceback" not in err
    assert first.is_dir()
    assert main(["delete", "keep-me", "keep-me"]) == 0  # a repeated name is deleted once
    out, err = capsys.readouterr()
    assert out.count("deleted keep-me") == 1 and not err and not first.exists()
