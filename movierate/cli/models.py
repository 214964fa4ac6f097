"""The model store commands: list, show, delete, evaluate."""

from __future__ import annotations

import argparse

from movierate.cli.command import EXIT_OK, Command, register
from movierate.cli.tables import format_table, no_options, num, seconds
from movierate.spec import format_regularizers


def _run_list(args: argparse.Namespace) -> int:
    from movierate import config, store

    infos, broken = store.list_models()
    if not infos and not broken:
        print(
            f"No models in {config.models_dir()}. Train one, e.g.: "
            "python -m movierate train ml-latest-small --name first"
        )
        return EXIT_OK
    rows = [
        [
            info.name,
            info.family,
            str(info.dim),
            format_regularizers(info.spec.regularizers),
            info.dataset,
            num(info.test_rmse),
            num(info.test_mae),
            "" if info.has_test_rows else f"{num(info.reported_rmse)} (steered early stopping)",
            seconds(info.train_seconds),
            info.created[:19].replace("T", " "),
        ]
        for info in infos
    ]
    header = [
        "name",
        "family",
        "dim",
        "regularizers",
        "dataset",
        "test RMSE",
        "test MAE",
        "old valid RMSE",
        "train",
        "created",
    ]
    if rows:
        print(format_table(header, rows))
        if not all(info.has_test_rows for info in infos):
            print(
                "\n'old valid RMSE': models saved before splits had test rows were scored on "
                "the rows that also chose their best epoch; retrain them for a test RMSE."
            )
    if broken:
        print(f"\n{len(broken)} broken model folder(s):")
        for item in broken:
            print(f"  {item.name}: {item.reason}")
    return EXIT_OK


def _configure_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name (see 'list')")


def _run_show(args: argparse.Namespace) -> int:
    from movierate import store

    meta = store.read_meta(args.name)
    ds = meta["dataset"]
    print(f"model     {meta['name']}  (created {meta['created']})")
    print(f"folder    {store.model_path(args.name)}")
    print(
        f"dataset   {ds.get('name')}  ({ds.get('n_ratings')} ratings, {ds.get('n_users')} users, "
        f"{ds.get('n_movies')} movies, fingerprint {ds.get('fingerprint')})"
    )
    split = meta["split"]
    print("split     " + ", ".join(f"{k} {v}" for k, v in split.items() if k != "digest"))
    timings = meta.get("timings", {})
    print(
        f"training  {seconds(timings.get('train_seconds'))}, "
        f"{num(timings.get('ratings_per_second'), '.0f')} ratings/s"
    )
    versions = meta.get("versions", {})
    print("versions  " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print("\nspec")
    for key, value in meta["spec"].items():
        print(f"  {key:<24} {value}")
    if "n_test" not in split:
        print(
            "          (saved before splits had test rows: its validation rows also steered "
            "early stopping, so there is no test RMSE)"
        )
    print("\nmetrics")
    for key, value in meta["metrics"].items():
        shown = num(value) if isinstance(value, float) else value
        print(f"  {store.metric_label(key):<36} {shown}")
    history = meta["history"]
    if history:
        columns = list(history)
        n_epochs = max(len(v) for v in history.values())
        rows = [
            [str(i + 1)] + [num(history[c][i]) if i < len(history[c]) else "" for c in columns]
            for i in range(n_epochs)
        ]
        print("\nhistory")
        print(format_table(["epoch", *columns], rows))
    return EXIT_OK


def _configure_delete(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="+", metavar="NAME", help="model(s) to delete")


def _run_delete(args: argparse.Namespace) -> int:
    from movierate import store

    for name in args.names:
        store.delete_model(name)
        print(f"deleted {name}")
    return EXIT_OK


def _run_evaluate(args: argparse.Namespace) -> int:
    from movierate import store
    from movierate.pipeline import evaluate_model, split_parts

    model = store.load_model(args.name)
    result = evaluate_model(model)
    recorded = model.metrics
    names = {
        "train": "train",
        "stop": "early-stopping",
        "test": "test",
        "valid": "valid (steered early stopping)",
    }
    rows = [
        [
            names[part],
            str(result[f"n_{part}"]),
            num(result[f"{part}_rmse"]),
            num(result[f"{part}_mae"]),
            num(recorded.get(f"{part}_rmse")),
            num(recorded.get(f"{part}_mae")),
        ]
        for part in split_parts(model)
    ]
    print(f"{model.name}: recomputed in numpy on {model.dataset_name} (recorded at training time)")
    print(format_table(["rows", "n", "RMSE", "MAE", "recorded RMSE", "recorded MAE"], rows))
    if model.has_test_rows:
        print("test rows: seen by neither training, early stopping nor any choice of settings.")
    else:
        print(
            "This model was saved before splits had test rows: its validation rows also chose "
            "its best epoch, so their RMSE flatters it. Retrain it for a test RMSE."
        )
    return EXIT_OK


register("list", Command("list saved models (and broken folders)", no_options, _run_list))
register("show", Command("show a model's spec, metrics and history", _configure_name, _run_show))
register("delete", Command("delete saved models", _configure_delete, _run_delete))
register(
    "evaluate",
    Command("recompute RMSE/MAE on the recorded split", _configure_name, _run_evaluate),
)
