"""Command line interface: ``python -m movierate <command> ...``.

Each subcommand is a :class:`Command` in :data:`COMMANDS` (add one with :func:`register`).
Handlers import what they need when they run, so ``--help`` and the listing commands never
import TensorFlow. User errors print one ``error: ...`` line on stderr and exit with 1 (2 for
bad usage), never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from movierate import spec as spec_module
from movierate.errors import MovierateError, SpecError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True)
class Command:
    """One subcommand: its help line, a function adding its arguments and its handler."""

    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}


def register(name: str, command: Command) -> None:
    """Add a subcommand (e.g. ``study`` or ``bench``) to ``python -m movierate``."""
    COMMANDS[name] = command


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help (0) and on usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[args.command].run(args)
    except MovierateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\nerror: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with one subparser per registered command."""
    parser = argparse.ArgumentParser(
        prog="python -m movierate",
        description="Train movie-rating models with embeddings and manage the model store.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        child = sub.add_parser(name, help=command.help, description=command.help)
        command.configure(child)
    return parser


# --- train -------------------------------------------------------------------------------------

#: ModelSpec field -> (flag, argparse options). Every ModelSpec field has a flag (tested).
SPEC_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "family": ("--family", {"choices": spec_module.FAMILIES, "help": "model family"}),
    "dim": ("--dim", {"type": int, "help": "embedding dimension"}),
    "user_bias": (
        "--user-bias",
        {"action": argparse.BooleanOptionalAction, "help": "learn a bias per user"},
    ),
    "movie_bias": (
        "--movie-bias",
        {"action": argparse.BooleanOptionalAction, "help": "learn a bias per movie"},
    ),
    "hidden_units": (
        "--hidden-units",
        {"metavar": "N,N,...", "help": "deep: hidden layer sizes, e.g. 64,32 ('' for none)"},
    ),
    "batch_norm": (
        "--batch-norm",
        {"action": argparse.BooleanOptionalAction, "help": "deep: batch norm after dense layers"},
    ),
    "dropout": ("--dropout", {"type": float, "help": "deep: dropout after dense layers"}),
    "embedding_dropout": (
        "--embedding-dropout",
        {"type": float, "help": "dropout on the embeddings"},
    ),
    "output": ("--output", {"choices": spec_module.OUTPUTS, "help": "output transform"}),
    "initializer": (
        "--initializer",
        {"choices": spec_module.INITIALIZERS, "help": "embedding initializer"},
    ),
    "regularizers": (
        "--reg",
        {
            "action": "append",
            "metavar": "KIND=STRENGTH",
            "help": f"embedding regularizer, repeatable; KIND is one of "
            f"{', '.join(spec_module.REGULARIZERS)} (e.g. --reg l2=1e-4 --reg "
            "decorrelation=0.1; --reg none for no regularizer)",
        },
    ),
    "dense_l2": ("--dense-l2", {"type": float, "help": "deep: L2 on dense kernels"}),
    "optimizer": ("--optimizer", {"choices": spec_module.OPTIMIZERS, "help": "optimizer"}),
    "learning_rate": ("--learning-rate", {"type": float, "help": "optimizer learning rate"}),
    "batch_size": ("--batch-size", {"type": int, "help": "ratings per batch"}),
    "epochs": ("--epochs", {"type": int, "help": "maximum number of epochs"}),
    "early_stopping_patience": (
        "--patience",
        {"type": int, "help": "stop after this many epochs without a better valid RMSE"},
    ),
    "seed": ("--seed", {"type": int, "help": "random seed of the model"}),
}


def _configure_train(parser: argparse.ArgumentParser) -> None:
    defaults = spec_module.ModelSpec()
    parser.add_argument("dataset", help="dataset name (see 'datasets') or a folder path")
    parser.add_argument("--name", help="model name (default: dataset-family-dim, made unique)")
    parser.add_argument("--overwrite", action="store_true", help="replace a model of that name")
    model = parser.add_argument_group("model (defaults in brackets)")
    for field, (flag, options) in SPEC_FLAGS.items():
        default = getattr(defaults, field)
        shown = _default_text(default)
        options = {**options, "help": f"{options['help']} [{shown}]", "dest": f"spec_{field}"}
        if "type" in options:
            options.setdefault("metavar", flag.lstrip("-").upper().replace("-", "_"))
        model.add_argument(flag, default=None, **options)
    split = parser.add_argument_group("validation split")
    split.add_argument(
        "--split",
        default="random",
        help="random, per_user, temporal or official:NAME (ml-100k: official:u1 ... ub) [random]",
    )
    split.add_argument("--valid-fraction", type=float, default=0.1, help="share held out [0.1]")
    split.add_argument("--split-seed", type=int, default=42, help="seed of the split [42]")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _run_train(args: argparse.Namespace) -> int:
    from movierate import store
    from movierate.pipeline import split_settings, train_and_save

    spec = spec_from_args(args).validate()
    if args.name:
        name = store.validate_name(args.name)
    else:
        name = store.unique_name(f"{_short(args.dataset)}-{spec.family}-{spec.dim}")
    split = split_settings(
        {"method": args.split, "valid_fraction": args.valid_fraction, "seed": args.split_seed}
    )
    bar = None if args.quiet else ProgressBar(sys.stderr)
    if bar is not None:
        print(f"training {name!r} on {args.dataset} ({_spec_text(spec)})", file=sys.stderr)
    started = time.perf_counter()
    try:
        saved = train_and_save(
            args.dataset, spec, name, split, progress=bar, overwrite=args.overwrite
        )
    finally:
        if bar is not None:
            bar.close()
    metrics = store.read_meta(saved)["metrics"]
    print(
        f"saved {saved!r} in {time.perf_counter() - started:.1f} s: "
        f"valid RMSE {_num(metrics.get('valid_rmse'))}, MAE {_num(metrics.get('valid_mae'))} "
        f"(best epoch {metrics.get('best_epoch', '?')} of {metrics.get('epochs_run', '?')})"
    )
    print(f"folder: {store.model_path(saved)}")
    return EXIT_OK


def spec_from_args(args: argparse.Namespace) -> spec_module.ModelSpec:
    """The ModelSpec described by the train flags (unset flags keep ModelSpec's defaults)."""
    values: dict[str, Any] = {}
    for field in SPEC_FLAGS:
        value = getattr(args, f"spec_{field}")
        if value is None:
            continue
        if field == "hidden_units":
            value = _parse_units(value)
        elif field == "regularizers":
            value = _parse_regularizers(value)
        values[field] = value
    return spec_module.ModelSpec(**values)


def _default_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return " ".join(f"{k}={v:g}" for k, v in value.items()) or "none"
    return "family default" if value is None else str(value)


def _parse_units(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise SpecError(
            f"--hidden-units takes whole numbers separated by commas, e.g. 64,32; got {text!r}."
        ) from None


def _parse_regularizers(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        if item.strip().lower() == "none":
            continue
        kind, sep, strength = item.partition("=")
        try:
            if not sep or not kind.strip():
                raise ValueError
            out[kind.strip()] = float(strength)
        except ValueError:
            raise SpecError(
                f"--reg takes KIND=STRENGTH, e.g. --reg l2=1e-4; got {item!r}."
            ) from None
    return out


#: ``ProgressEvent.phase`` of the event sent when an epoch ends (movierate.training).
EPOCH_PHASE = "epoch"


class ProgressBar:
    """Training progress on a stream: a live bar on terminals, one line per epoch otherwise."""

    WIDTH = 24
    REFRESH_SECONDS = 0.1

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._epoch_started = time.perf_counter()
        self._line_open = False

    def __call__(self, event: Any) -> None:
        phase = str(getattr(event, "phase", "") or "")
        epoch, epochs = int(getattr(event, "epoch", 0) or 0), int(getattr(event, "epochs", 0) or 0)
        metrics = getattr(event, "metrics", None) or {}
        if phase == EPOCH_PHASE:
            seconds = time.perf_counter() - self._epoch_started
            self._write(f"epoch {epoch}/{epochs} done in {seconds:.1f} s  {_metric_text(metrics)}")
            self._finish_line()
            self._epoch_started = time.perf_counter()
            return
        if not self.live or phase == "done":
            return
        now = time.perf_counter()
        if now - self._last_draw < self.REFRESH_SECONDS:
            return
        self._last_draw = now
        batch, batches = (
            int(getattr(event, "batch", 0) or 0),
            int(getattr(event, "batches", 0) or 0),
        )
        if batches:
            filled = round(self.WIDTH * min(batch / batches, 1.0))
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            text = f"epoch {epoch}/{epochs} [{bar}] batch {batch}/{batches}"
        else:
            text = phase or "working"
        self._write(f"{text}  {_metric_text(metrics)}".rstrip())

    def close(self) -> None:
        """End an open progress line."""
        if self._line_open:
            self._finish_line()

    def _write(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\033[K" + text)
            self._line_open = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _finish_line(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
        self._line_open = False


def _metric_text(metrics: dict[str, Any]) -> str:
    return "  ".join(
        f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, int | float) and k != "epoch"
    )


# --- list / show / delete / evaluate -----------------------------------------------------------


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
            _regularizers_text(info.spec.regularizers),
            info.dataset,
            _num(info.valid_rmse),
            _seconds(info.train_seconds),
            info.created[:19].replace("T", " "),
        ]
        for info in infos
    ]
    header = ["name", "family", "dim", "regularizers", "dataset", "valid RMSE", "train", "created"]
    if rows:
        print(format_table(header, rows))
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
        f"training  {_seconds(timings.get('train_seconds'))}, "
        f"{_num(timings.get('ratings_per_second'), '.0f')} ratings/s"
    )
    versions = meta.get("versions", {})
    print("versions  " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print("\nspec")
    for key, value in meta["spec"].items():
        print(f"  {key:<24} {value}")
    print("\nmetrics")
    for key, value in meta["metrics"].items():
        print(f"  {key:<24} {_num(value) if isinstance(value, float) else value}")
    history = meta["history"]
    if history:
        columns = list(history)
        n_epochs = max(len(v) for v in history.values())
        rows = [
            [str(i + 1)] + [_num(history[c][i]) if i < len(history[c]) else "" for c in columns]
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
    from movierate.pipeline import evaluate_model

    model = store.load_model(args.name)
    result = evaluate_model(model)
    recorded = model.metrics
    rows = [
        [
            part,
            str(result[f"n_{part}"]),
            _num(result[f"{part}_rmse"]),
            _num(result[f"{part}_mae"]),
            _num(recorded.get(f"{part}_rmse")),
            _num(recorded.get(f"{part}_mae")),
        ]
        for part in ("train", "valid")
    ]
    print(f"{model.name}: recomputed in numpy on {model.dataset_name} (recorded at training time)")
    print(format_table(["rows", "n", "RMSE", "MAE", "recorded RMSE", "recorded MAE"], rows))
    return EXIT_OK


# --- datasets / download -----------------------------------------------------------------------


def _run_datasets(args: argparse.Namespace) -> int:
    from movierate.data import dataset_status

    rows = [
        [
            s.name,
            "yes" if s.available else "no",
            "yes" if s.cached else "no",
            f"{s.approx_ratings:,}" if s.approx_ratings else "?",
            str(s.location) if s.location else f"download: python -m movierate download {s.name}",
        ]
        for s in dataset_status()
    ]
    print(format_table(["dataset", "available", "cached", "ratings", "location"], rows))
    return EXIT_OK


def _configure_download(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="GroupLens dataset name, e.g. ml-latest-small")


def _run_download(args: argparse.Namespace) -> int:
    from movierate.data import download_dataset

    progress = DownloadProgress(args.name, sys.stderr)
    location = download_dataset(args.name, progress=progress)
    progress.close()
    print(f"{args.name} is ready" + (f": {location}" if location else ""))
    return EXIT_OK


class DownloadProgress:
    """``cb(done_bytes, total_bytes)`` printing a byte counter on a stream (live on terminals)."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label, self.stream = label, stream
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        now = time.perf_counter()
        if now - self._last < 0.1 and not (total and done >= total):
            return
        self._last = now
        text = f"downloading {self.label}: {done / 1e6:.1f} MB"
        if total:
            text += f" of {total / 1e6:.1f} MB ({100 * done / total:.0f}%)"
        if self.live:
            self.stream.write("\r\033[K" + text)
            self._drawn = True
        elif total and done >= total:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


# --- formatting --------------------------------------------------------------------------------


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain-text table with left-aligned columns sized to fit."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=False)).rstrip()
        for line in lines
    )


def _num(value: Any, fmt: str = ".4f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int | float):
        return format(value, fmt)
    return str(value)


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1f} s"


def _spec_text(spec: Any) -> str:
    return f"{spec.family}, dim {spec.dim}, regularizers {_regularizers_text(spec.regularizers)}"


def _regularizers_text(regularizers: dict[str, float] | None) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in (regularizers or {}).items()) or "-"


def _short(dataset: str) -> str:
    """A dataset argument as a name part (a folder path becomes its last component)."""
    return dataset.rstrip("/").rsplit("/", 1)[-1] or "data"


def _no_options(parser: argparse.ArgumentParser) -> None:
    """Configure a subcommand that takes no arguments."""


# --- study -------------------------------------------------------------------------------------


def _configure_study(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick", action="store_true", help="tiny run: ml-100k, dim 8, 2 epochs (about a minute)"
    )
    parser.add_argument(
        "--out", help="folder for results.json/.csv, ablation.csv, study.md [$MOVIERATE_HOME/study]"
    )
    parser.add_argument("--datasets", metavar="A,B", help="datasets [ml-100k,ml-latest-small]")
    parser.add_argument("--dims", metavar="N,N", help="embedding dims [8,32]")
    parser.add_argument("--epochs", type=int, help="epochs per model [20; --quick: 2]")
    parser.add_argument(
        "--no-save", action="store_true", help="do not keep the models in the store"
    )


def _run_study(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from movierate import config, study

    plan = study.QUICK_PLAN if args.quick else study.FULL_PLAN
    changes: dict[str, Any] = {}
    if args.datasets:
        changes["datasets"] = tuple(d.strip() for d in args.datasets.split(",") if d.strip())
    if args.dims:
        changes["dims"] = _parse_units(args.dims)
    if args.epochs is not None:
        changes["epochs"] = args.epochs
    if args.no_save:
        changes["save_models"] = False
    out = Path(args.out) if args.out else config.home_dir() / "study"
    progress = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    result = study.run_study(replace(plan, **changes), out, progress=progress)
    print(f"study done in {result.seconds:.0f} s; results in {out}:")
    for path in result.files.values():
        print(f"  {path}")
    return EXIT_OK


register("train", Command("train a model and save it", _configure_train, _run_train))
register("list", Command("list saved models (and broken folders)", _no_options, _run_list))
register("show", Command("show a model's spec, metrics and history", _configure_name, _run_show))
register("delete", Command("delete saved models", _configure_delete, _run_delete))
register(
    "evaluate",
    Command("recompute RMSE/MAE on the recorded split", _configure_name, _run_evaluate),
)
register("datasets", Command("show which datasets are available", _no_options, _run_datasets))
register("download", Command("download a GroupLens dataset", _configure_download, _run_download))
register("study", Command("run the regularizer study", _configure_study, _run_study))
