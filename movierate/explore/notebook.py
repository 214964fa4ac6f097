"""Export a saved model for a notebook: every array with the ids and split rows it belongs to
(views round 24, F2: no export held the user side, the biases or the split).

:func:`write_notebook_export` writes one folder, atomically (filled under a hidden name, then
renamed), holding:

- ``movies.csv``: one row per movie in model order (movie_idx, movie_id, title, year, genres,
  n_ratings and mean_rating over every rating, n_train_ratings over the rows the model was fit
  on, bias); ``movie_vectors.npy``: the movie vectors, row i = movies.csv row i;
- ``users.csv`` (user_idx, user_id, n_ratings, n_train_ratings, bias) and ``user_vectors.npy``
  in the same order;
- ``ratings.csv``: every rating (user_idx, movie_idx, user_id, movie_id, rating, timestamp)
  with ``part``: train, stop (early-stopping rows), test, valid (a model saved before splits
  had test rows) or unused;
- ``arrays.npz``: every array of the model (the dense layers of a ``deep`` model too);
- ``meta.json`` and ``README.txt``: the model, data set, split, recorded metrics, what each
  file holds and how to recompute a prediction.

An imported embedding (movie vectors only) gets movies.csv and movie_vectors.npy; meta.json's
``lacks`` names what it has not.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from movierate import atomic, scoring, spreadsheet
from movierate.data.movies import TRAINING_COUNTS
from movierate.errors import StoreError
from movierate.explore.export import count_columns, label_columns
from movierate.explore.validation import genre_lists, takes_models

#: meta.json's ``format`` value: what tells a folder this export wrote (one --overwrite may
#: replace) from any other folder (never replaced).
FORMAT = "movierate-notebook-export/1"
#: The hidden folder an export is written in, next to its final folder, before the rename.
STAGING_PREFIX = ".export-"
#: What an imported embedding does not hold, as meta.json's ``lacks`` lists it.
IMPORTED_LACKS = ("users.csv", "user_vectors.npy", "ratings.csv", "biases", "global mean")

#: The output transform every family applies to its score ``z`` (recheck 2: a deep export
#: pointed at "the other families" for it, and its README had none).
_OUTPUT_RECIPE = (
    "then the output transform with g = global_mean and the rating scale [lo, hi]: none: "
    "z + g; clip: clip(z + g, lo, hi); sigmoid: with lo' = lo - 0.5, hi' = hi + 0.5 and "
    "p = (g - lo') / (hi' - lo'), lo' + (hi' - lo') / (1 + exp(-(z + log(p / (1 - p)))))."
)
_DOT_RECIPE = (
    "z = user_vectors[u] @ movie_vectors[m] + users.bias[u] + movies.bias[m] (a missing bias "
    "column counts 0); " + _OUTPUT_RECIPE
)
#: What a model whose score unit is not 1 does differently (``{unit}``: its score unit).
_UNIT_RECIPE = (
    " Here z is in score units of {unit:g} rating points (meta.json's score_unit, s; the "
    "rating scale is not 3 to 6 points wide, so training measured errors in quarters of it): "
    "none: g + s * z; clip: clip(g + s * z, lo, hi)."
)
_DEEP_RECIPE = (
    "z = MLP([user_vectors[u], movie_vectors[m]]) + users.bias[u] + movies.bias[m]: the layers "
    "are arrays.npz's dense_<i>_kernel / dense_<i>_bias (ReLU after each) and output_kernel / "
    "output_bias (no activation); + u @ m when spec.dot_product; " + _OUTPUT_RECIPE
)


@takes_models("model")
def write_notebook_export(
    model: Any, folder: str | Path, *, ds: Any = None, overwrite: bool = False
) -> dict[str, Any]:
    """Write ``model``'s notebook export into the new folder ``folder`` (``ds``: its dataset,
    loaded when None; an imported embedding needs none). StoreError before any work when
    ``folder`` exists and is not empty, unless ``overwrite`` and it holds an earlier export.
    Returns the written meta.json's contents."""
    final = Path(folder)
    check_target(final, overwrite=overwrite)
    imported = bool(model.meta.get("imported"))
    if not imported and ds is None:
        from movierate.pipeline import dataset_of

        ds = dataset_of(model)
    files = _files(model, ds, imported)
    meta = _meta(model, ds, imported, sorted([*files, "meta.json", "README.txt"]))
    files["meta.json"] = json.dumps(meta, indent=2, allow_nan=False) + "\n"
    files["README.txt"] = _readme(meta)
    final.parent.mkdir(parents=True, exist_ok=True)
    # bad-input round 47, F1: a killed export's staging folder is removed by the next one
    atomic.sweep_dead_writers(final.parent, ((STAGING_PREFIX, "notebook export"),))
    with atomic.staging_folder(final.parent, STAGING_PREFIX) as staged:
        for name, content in files.items():
            path = staged / name
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(content)
        try:
            atomic.publish_folder(staged, final, replace=final.exists())
        except FileExistsError:
            raise StoreError(f"{final} appeared while the export was written; nothing was "
                             "replaced. Pick another --out.") from None  # fmt: skip
    return meta


def check_target(folder: Path, *, overwrite: bool) -> None:
    """StoreError when ``folder`` cannot take an export: a file, a non-empty folder without
    ``overwrite``, or one that holds anything but an earlier export (never replaced)."""
    if folder.is_symlink():  # recheck 2: "Not a directory: ../.export-..." for a dead link
        raise StoreError(f"{folder} is a link; pass the folder it points to, or a new path.")
    _check_place(folder)
    if not folder.exists():
        return
    if Path.cwd().resolve().is_relative_to(folder.resolve()):  # recheck 2: "--out ." failed
        raise StoreError(  # with "Device or resource busy" and left a stray file
            f"{folder} is the current folder or holds it, and an export replaces its whole "
            "folder; pass a new folder's path (e.g. --out ./export) from elsewhere."
        )
    if not folder.is_dir():  # bad-input round 63, F4: /dev/null was "a file"
        what = "a file" if folder.is_file() else "not a folder (a device or other special file)"
        raise StoreError(f"{folder} is {what}; pass a folder path for the export.")
    if not any(folder.iterdir()):
        return
    if not _is_export(folder):
        raise StoreError(
            f"{folder} holds other files, not an earlier export; nothing was written. Pass a "
            "new or empty folder."
        )
    if not overwrite:
        raise StoreError(
            f"{folder} holds an earlier export; pass --overwrite to replace it, or another --out."
        )
    if added := _added_files(folder):  # recheck 2: --overwrite deleted a notebook put there
        shown = ", ".join(added[:5]) + (f" and {len(added) - 5:,} more" if len(added) > 5 else "")
        raise StoreError(
            f"{folder} holds an earlier export and files it did not write ({shown}); "
            "--overwrite replaces the whole folder, so nothing was written. Move those files "
            "out, or pass another --out."
        )


def _check_place(folder: Path) -> None:
    """StoreError when ``folder`` lies inside a folder movierate manages (an export in the
    models folder was listed as a damaged model), or below a file (bad-input round 63, F4)."""
    from movierate import store

    store.check_outside_managed(folder, "--out ./export")
    above = next((parent for parent in folder.parents if parent.exists()), None)
    if above is not None and not above.is_dir():
        raise StoreError(
            f"{above} is a file, so {folder} cannot be made inside it; pass a path whose "
            "parent is a folder."
        )


def _added_files(folder: Path) -> list[str]:
    """The entries of the export ``folder`` that its meta.json's file list does not name."""
    try:
        written = set(json.loads((folder / "meta.json").read_text("utf-8")).get("files") or ())
    except (OSError, ValueError, AttributeError):
        written = set()
    return sorted(entry.name for entry in folder.iterdir() if entry.name not in written)


def _is_export(folder: Path) -> bool:
    try:
        return json.loads((folder / "meta.json").read_text("utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _files(model: Any, ds: Any, imported: bool) -> dict[str, str | bytes]:
    arrays = {key: np.asarray(value) for key, value in model.arrays.items()}
    files: dict[str, str | bytes] = {
        "movies.csv": _movies_csv(model.movies, arrays.get("movie_bias")),
        "movie_vectors.npy": _npy(arrays["movie_embedding"]),
    }
    if imported:  # its other arrays are empty stand-ins
        return files
    files["arrays.npz"] = _npz(arrays)
    from movierate.pipeline import model_rows

    rows = model_rows(ds, model.meta["split"])
    ratings = ds.ratings
    part = np.full(len(ratings), "unused", dtype=object)
    part[rows.trained] = "train"
    part[rows.steered] = "stop" if model.has_test_rows else "valid"
    part[rows.test] = "test"
    users = ratings["user_idx"].to_numpy(np.int64)
    n_users = len(arrays["user_embedding"])
    frame = pd.DataFrame(
        {
            "user_idx": np.arange(n_users, dtype=np.int64),
            "user_id": np.asarray(ds.user_ids)[:n_users],
            "n_ratings": np.bincount(users, minlength=n_users),
            "n_train_ratings": np.bincount(users[rows.trained], minlength=n_users),
        }
    )
    if "user_bias" in arrays:
        frame["bias"] = arrays["user_bias"]
    files["users.csv"] = spreadsheet.csv_text(frame)
    files["user_vectors.npy"] = _npy(arrays["user_embedding"])
    movie_ids = model.movies["movie_id"].to_numpy()
    table = pd.DataFrame(
        {
            "user_idx": users,
            "movie_idx": ratings["movie_idx"].to_numpy(np.int64),
            "user_id": np.asarray(ds.user_ids)[users],
            "movie_id": movie_ids[ratings["movie_idx"].to_numpy(np.int64)],
            "rating": ratings["rating"].to_numpy(),
            **({"timestamp": ratings["timestamp"]} if "timestamp" in ratings else {}),
            "part": part,
        }
    )
    files["ratings.csv"] = spreadsheet.csv_text(table)
    return files


def _movies_csv(movies: pd.DataFrame, bias: Any) -> str:
    rows = np.arange(len(movies))
    frame = pd.DataFrame(
        {
            "movie_idx": rows,
            "movie_id": movies["movie_id"].to_numpy(),
            "title": movies["title"].astype(str).to_numpy(),
            "year": pd.array(movies["year"], dtype="Int64"),
            "genres": ["|".join(g) for g in genre_lists(movies)],
            "n_ratings": _counts(movies),
        }
    )
    for name, values in count_columns(movies, rows).items():
        frame[name] = pd.array(values, dtype="Int64")
    if "mean_rating" in movies.columns:
        frame["mean_rating"] = pd.to_numeric(movies["mean_rating"], errors="coerce").to_numpy()
    if bias is not None:
        frame["bias"] = np.asarray(bias)
    frame = pd.concat([frame, label_columns(movies, rows)], axis=1)
    return spreadsheet.csv_text(frame)


def _counts(movies: pd.DataFrame) -> Any:
    """The movies' rating counts, blank where unknown: an import without counts holds 0 for
    each (recheck 2: written as 0, as the Projector export stopped doing in round 34)."""
    from movierate.explore.imported import has_rating_counts

    counts = pd.to_numeric(movies["n_ratings"], errors="coerce").astype("Int64")
    return counts if has_rating_counts(movies) else pd.array([pd.NA] * len(movies), "Int64")


def _npy(values: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(values), allow_pickle=False)
    return buffer.getvalue()


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _meta(model: Any, ds: Any, imported: bool, files: list[str]) -> dict[str, Any]:
    from movierate import store

    arrays = model.arrays
    meta = {
        "format": FORMAT,
        "model": model.name,
        "family": "imported" if imported else model.spec.family,
        "spec": model.spec.to_dict(),
        "dataset": dict(model.meta.get("dataset") or {}),
        "split": dict(model.meta.get("split") or {}),
        "metrics": dict(model.metrics or {}),
        "files": files,
        "n_movies": int(len(arrays["movie_embedding"])),
        "dim": int(np.shape(arrays["movie_embedding"])[1]),
        "counts": "n_ratings and mean_rating count every rating of the data set (test rows "
        f"included); {TRAINING_COUNTS} only the rows the model was fit on (part 'train').",
    }
    if imported:
        meta["counts"] = "n_ratings: the counts the imported files gave, blank where unknown."
        meta["lacks"] = list(IMPORTED_LACKS)
        meta["imported"] = dict(model.meta["imported"])
        return store.json_safe(meta)
    meta["global_mean"] = float(np.asarray(arrays["global_mean"]).reshape(-1)[0])
    meta["rating_scale"] = list(model.rating_scale[:2])
    meta["output"] = model.spec.output
    meta["n_users"] = int(len(arrays["user_embedding"]))
    meta["prediction"] = _DEEP_RECIPE if model.spec.family == "deep" else _DOT_RECIPE
    unit = scoring.score_unit(arrays)
    if unit != 1.0:  # accuracy round 44, F1: z is in score units on this rating scale
        meta["score_unit"] = unit
        meta["prediction"] += _UNIT_RECIPE.format(unit=unit)
    meta["data_set_rows"] = int(len(ds.ratings))
    return store.json_safe(meta)


def _readme(meta: dict[str, Any]) -> str:
    lines = [
        f"movierate export of model {meta['model']!r} ({meta['family']}, "
        f"{meta['dim']} dims), data set {meta['dataset'].get('name')!r} (fingerprint "
        f"{meta['dataset'].get('fingerprint')}).",
        "",
        "movies.csv        one row per movie, in model order: movie_idx, movie_id, title, "
        "year, genres, counts, bias",
        "movie_vectors.npy the movie vectors; row i belongs to movies.csv row i",
        f"  {meta['counts']}",
    ]
    if "lacks" in meta:
        lines += [
            "",
            "An imported embedding holds movie vectors only: no "
            + ", ".join(meta["lacks"])
            + ", so it cannot predict ratings.",
        ]
        return "\n".join(lines) + "\n"
    lines += [
        "users.csv         one row per user: user_idx, user_id, n_ratings, n_train_ratings, bias",
        "user_vectors.npy  the user vectors; row i belongs to users.csv row i",
        "ratings.csv       every rating with its part of the recorded split: train (fit on), "
        "stop (early-stopping rows), test (seen by nothing before scoring), valid (older "
        "models' held-out rows), unused",
        "arrays.npz        every array of the model (embeddings.npz in its folder)",
        "meta.json         the model's spec, data set, split, recorded metrics and this recipe",
        "",
        f"global mean {meta['global_mean']!r}, rating scale {meta['rating_scale']}, output "
        f"transform {meta['output']!r}.",
        f"Prediction for user row u and movie row m: {meta['prediction']}",
        "",
        "Test RMSE in numpy (mf, mf_bias, svdpp, autorec; output 'clip'):",
        "  import json, numpy as np, pandas as pd",
        "  meta = json.load(open('meta.json')); r = pd.read_csv('ratings.csv')",
        "  U, M = np.load('user_vectors.npy'), np.load('movie_vectors.npy')",
        "  users, movies = pd.read_csv('users.csv'), pd.read_csv('movies.csv')",
        "  bu = users['bias'].to_numpy() if 'bias' in users else np.zeros(len(users))",
        "  bm = movies['bias'].to_numpy() if 'bias' in movies else np.zeros(len(movies))",
        "  t = r[r.part == 'test']; u, m = t.user_idx.to_numpy(), t.movie_idx.to_numpy()",
        "  z = (U[u] * M[m]).sum(1) + bu[u] + bm[m]",
        "  p = np.clip("
        + ("meta['score_unit'] * z" if "score_unit" in meta else "z")
        + " + meta['global_mean'], *meta['rating_scale'])",
        "  print(np.sqrt(np.mean((p - t.rating) ** 2)), meta['metrics'].get('test_rmse'))",
    ]
    return "\n".join(lines) + "\n"
