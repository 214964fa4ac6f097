"""The regularizer study: train every regularizer on the same split and measure what it does.

For each dataset and embedding dim, on the three-part split of :func:`movierate.data.make_split`
(train / stop / test, ``plan.split_seed``) and for every model seed of the plan (default 0, 1,
2), for a fixed number of epochs on the training rows (neither the stop nor the test rows steer
training: no early stopping; the weights kept are the last epoch's; the stop rows serve only the ``ordered`` option's final rank
selection and the choice of the comparator's PCA weighting, the test rows choose nothing): ``mf_bias`` with no regularizer, l2,
whitening, decorrelation and adversarial (each alone and each on top of l2), ordered (on top of
l2), and ``deep`` with and without L2 on its dense layers; the exact post-hoc whitening of the
"none" and "l2" models (:mod:`movierate.explore.whitening`: same predictions, white movie
embedding) is analysed beside them. For every model: test RMSE and MAE, training RMSE, each
regularizer's raw penalty on the final movie embedding (and the ``reg_<kind>`` penalties
training logged), the mean absolute off-diagonal covariance and correlation, the spread of the
per-dimension variance, genre coherence@10, how obscure the top-10 recommendations of fixed
users are (with and without a min-ratings threshold), a dimension ablation (Spearman
correlation of each dimension's variance with the RMSE increase when it is zeroed, and of that
increase with reversed dimension index, on test and training rows), the test-row prefix curve
(first k dimensions only, k = 1 .. dim, as trained and in the principal basis), the ordered
model's kept dimensions and its Spearman correlations over them alone, its largest gap to the
L2 model's principal-basis curve (weighting chosen per k on the stop rows) and the test RMSE
cost against L2 (section 5 of
docs/regularizer-study.md), the Kolmogorov-Smirnov distance of each dimension from U(-1, 1),
and the train time. The report gives the mean and standard deviation over the model seeds.

The default plan (``FULL_PLAN``: ml-100k, ml-latest-small, ml-1m-sample; dim 32 only; 20
epochs, 5 on ml-1m-sample; 3 seeds; 99 models) is sized to finish within 30 minutes on a shared 2-core machine;
earlier versions also ran dim 8 with one seed (``--dims 8,32`` restores it, at twice the time).

Penalties and KS distances use the movie rows the spread penalties shape (those with a
training rating, :func:`movierate.explore.verdicts.shaped_rows`);
covariance, variance and genre statistics use the movies with at least :data:`MIN_RATINGS`
ratings (the dashboard's default view). Results go to ``results.json``, ``results.csv`` (one
row per model and seed), ``summary.csv`` (mean and std over seeds), ``ablation.csv``,
``prefix.csv`` and ``study.md`` in the output folder (rewritten after each dataset, so a
stopped run keeps what it finished); with ``save_models`` each model of the
first seed is also saved in the store as ``study-<dataset>-d<dim>-<variant>`` (replacing an
older one of that name) so the dashboard can open it. TensorFlow is imported only when
training starts.

Modules: :mod:`~movierate.study.plan` (variants and plans), :mod:`~movierate.study.measure`
(train in memory, measure), :mod:`~movierate.study.report` (result files); the numpy
penalties live in :mod:`movierate.explore.penalties`.

>>> run_study(QUICK_PLAN, Path("study-out"))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from movierate import config, schema, store
from movierate.baselines import baseline_metrics
from movierate.data import load_dataset, make_split
from movierate.data.acquire import locate
from movierate.data.splits import training_scale
from movierate.errors import DataError, StoreError
from movierate.explore.whitening import exact_whitening
from movierate.study.measure import (
    Fitted,
    analyse,
    compare_to_baseline,
    dimension_ablation,
    fit_in_memory,
    fixed_users,
    genre_coherence_note,
    pca_spearman,
    prefix_curves,
    recommendation_obscurity,
    rmse_mae,
)
from movierate.study.plan import (
    ABLATION_TRAIN_ROWS,
    EXACT_SUFFIX,
    EXACT_WHITENED,
    FULL_PLAN,
    L2,
    MIN_RATINGS,
    ORDERED,
    PREFIX_KS,
    QUICK_PLAN,
    RECOMMEND_THRESHOLD,
    VARIANTS,
    StudyPlan,
    Variant,
    check_plan,
)
from movierate.study.report import (
    ORDER_COLUMNS,
    OWNER_FILE,
    QUESTIONS,
    RESULT_FILES,
    TABLE_COLUMNS,
    TARGET_COST_PCT,
    TARGET_SPEARMAN,
    blank_not_applicable,
    check_output_folder,
    existing_results,
    live_owner,
    markdown_report,
    merge_into,
    merge_results,
    order_table,
    summarize,
    write_results,
)

__all__ = [
    "ABLATION_TRAIN_ROWS",
    "EXACT_SUFFIX",
    "EXACT_WHITENED",
    "FULL_PLAN",
    "L2",
    "MIN_RATINGS",
    "ORDERED",
    "ORDER_COLUMNS",
    "PREFIX_KS",
    "QUESTIONS",
    "QUICK_PLAN",
    "RECOMMEND_THRESHOLD",
    "RESULT_FILES",
    "TABLE_COLUMNS",
    "TARGET_COST_PCT",
    "TARGET_SPEARMAN",
    "VARIANTS",
    "Fitted",
    "StudyPlan",
    "StudyResult",
    "Variant",
    "analyse",
    "check_output_folder",
    "check_plan",
    "check_distinct_datasets",
    "check_saved_models",
    "compare_to_baseline",
    "dimension_ablation",
    "existing_results",
    "fit_in_memory",
    "fixed_users",
    "markdown_report",
    "merge_into",
    "merge_results",
    "model_name",
    "order_table",
    "pca_spearman",
    "prefix_curves",
    "recommendation_obscurity",
    "rmse_mae",
    "run_study",
    "summarize",
    "write_results",
]


@dataclass(frozen=True)
class StudyResult:
    """One row per trained model and seed, one row per (model, seed, dimension) of the ablation,
    one per (model, seed, basis, k) of the prefix curves."""

    rows: pd.DataFrame
    ablation: pd.DataFrame
    prefix: pd.DataFrame
    plan: StudyPlan
    seconds: float
    files: dict[str, Path]
    #: where the results went: the folder asked for, or the next free one (:class:`Output`)
    out_dir: Path | None = None
    #: saved model names taken by another run meanwhile -> the names used instead
    renamed: dict[str, str] = field(default_factory=dict)
    #: why the folder asked for could not take the results (they went to ``out_dir``), or None
    rescued: str | None = None


def model_name(plan: StudyPlan, dataset: str, dim: int, variant: str) -> str:
    """The store name a study model is saved under (first model seed only); a dataset given as
    a path names it by its last part (recheck A, s25: ``./folder`` made a name with ``/``)."""
    part = dataset.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return store.name_like(f"{plan.model_prefix}-{part}-d{dim}-{variant.replace('+', '-')}")


def check_distinct_datasets(plan: StudyPlan) -> None:
    """StoreError, before any training, when two of the plan's datasets would take the same
    model names (``ml-100k`` and ``/x/ml-100k``): the second's models replaced the first's, or
    the study failed after training the first (recheck B, s26)."""
    seen: dict[str, str] = {}
    for dataset in plan.datasets:
        part = model_name(plan, dataset, 0, "v")
        if part in seen:
            raise StoreError(
                f"The study's datasets {seen[part]!r} and {dataset!r} would name their models "
                f"alike ({part.rsplit('-d0-', 1)[0]}-d<dim>-<variant>): "
                "give one of them a folder of another name, or study them in two runs with "
                "their own --out."
            )
        seen[part] = dataset


def check_saved_models(plan: StudyPlan, datasets: Sequence[str], overwrite: bool) -> None:
    """StoreError naming the saved models the study would replace, unless ``overwrite``."""
    if not plan.save_models or overwrite:
        return
    names = [
        model_name(plan, dataset, dim, variant.name)
        for dataset in datasets
        for dim in plan.dims
        for variant in plan.variants
    ]
    taken = [name for name in names if store.model_exists(name)]
    if taken:
        shown = ", ".join(repr(n) for n in taken[:5]) + (
            f" and {len(taken) - 5} more" if len(taken) > 5 else ""
        )
        raise StoreError(
            f"The study saves its models as {plan.model_prefix}-<dataset>-d<dim>-<variant>, and "
            f"{shown} already exist{'s' if len(taken) == 1 else ''}: a study would replace "
            f"{'it' if len(taken) == 1 else 'them'}. Rename or delete them, pass --overwrite "
            "to replace them, or --no-save to keep the study's models out of the store."
        )


def run_study(
    plan: StudyPlan,
    out_dir: Path,
    progress: Callable[[str], None] | None = None,
    *,
    overwrite: bool = False,
) -> StudyResult:
    """Train and analyse every model of ``plan``; write the result files into ``out_dir``.
    Saved models of the same names are replaced only with ``overwrite``
    (:func:`check_saved_models`, before any training)."""
    overwrite = schema.flag(overwrite, "overwrite", StoreError)
    check_plan(plan)
    check_distinct_datasets(plan)
    if plan.save_models:
        store.check_writable()  # a store that cannot take the models: now, not hours later
        check_saved_models(plan, plan.datasets, overwrite)
    for dataset in plan.datasets:  # a misspelt or unreachable set fails now, not after the
        locate(dataset)  # others' runs (CLI round 3: a typo in the second cost the first's)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda message: None)
    started = time.perf_counter()
    rows, ablations, prefixes = [], [], []
    renamed: dict[str, str] = {}
    with Output(out_dir, overwrite) as target:
        unwritten: list[str] = []  # models saved whose dataset's results are not written yet
        try:
            for dataset in plan.datasets:
                ds = load_dataset(dataset)
                if note := genre_coherence_note(ds.movies):  # views round 12: said, not a stop
                    report(f"note: {ds.name}: genre coherence is left out (NaN). {note}")
                if ds.name != dataset:  # loaded under another name: its models' names differ
                    check_saved_models(plan, [ds.name], overwrite)
                split = make_split(ds, method="random", seed=plan.split_seed)
                users = fixed_users(ds, plan.n_users)
                scale = training_scale(ds, split)  # the models' scale: no test rating sets it
                scored = baseline_metrics(ds, split.train, split.test, scale)  # no embedding
                references = {
                    k: scored[k]
                    for k in ("test_rmse_of_mean", "test_rmse_of_averages", "averages_sweeps")
                }
                for dim in plan.dims:
                    for seed in plan.model_seeds:
                        cell_rows, cell_curves = [], []
                        for variant in plan.variants:
                            spec = variant.spec(plan, dim, seed, ds.name)
                            name = model_name(plan, ds.name, dim, variant.name)
                            fitted = fit_in_memory(ds, split, spec, name)
                            save = plan.save_models and seed == plan.model_seeds[0]
                            if save:  # checked free at the start; taken since: the next free name
                                folder = store.save_model(
                                    name, fitted.result, ds, split, spec, overwrite=overwrite,
                                    name_base=name,
                                )  # fmt: skip
                                if folder.name != name:
                                    renamed[name] = folder.name
                                    report(
                                        f"note: the model name {name!r} was taken (another run's save "
                                        f"or a rename) while this study ran, so it is saved as "
                                        f"{folder.name!r}"
                                    )
                                    name = folder.name
                                unwritten.append(name)
                            models = [(variant.name, fitted.model)]
                            if variant.name in EXACT_WHITENED:
                                try:
                                    white = exact_whitening(fitted.model)
                                except DataError as error:  # a singular covariance: say so, go on
                                    report(f"{ds.name} d{dim} seed {seed} {variant.name}: {error}")
                                else:
                                    models.append((variant.name + EXACT_SUFFIX, white))
                            for label, model in models:
                                row, ablation, curves = analyse(model, ds, split, users)
                                key = {
                                    "dataset": ds.name,
                                    "dim": dim,
                                    "seed": seed,
                                    "variant": label,
                                }
                                cell_rows.append(
                                    {**key, "model": name if save else None, **row, **references}
                                )
                                ablations.append(ablation.assign(**key))
                                cell_curves.append(curves.assign(**key))
                            report(
                                f"{ds.name} d{dim} seed {seed} {variant.name}: test RMSE "
                                f"{cell_rows[-1]['test_rmse']:.4f}, {fitted.train_seconds:.1f} s "
                                f"({time.perf_counter() - started:.0f} s in all)"
                            )
                        curves = pd.concat(cell_curves, ignore_index=True)
                        compare_to_baseline(cell_rows, curves)
                        rows += cell_rows
                        prefixes.append(curves)
                if dataset != plan.datasets[-1]:  # a stopped run keeps the datasets it finished
                    _write(rows, ablations, prefixes, plan, time.perf_counter() - started, target)
                unwritten.clear()
        except KeyboardInterrupt:  # bad-input round 15: a Ctrl-C said nothing of these
            if unwritten:
                report(
                    f"interrupted: {', '.join(unwritten)} {'is' if len(unwritten) == 1 else 'are'} "
                    f"saved, but no results of {dataset} were written (a study writes them per "
                    "dataset). Run that dataset again with --datasets and another --out (its "
                    "models then need --overwrite, or delete them first), and merge the two "
                    "folders with --merge."
                )
            raise
        seconds = time.perf_counter() - started
        result = _write(rows, ablations, prefixes, plan, seconds, target)
        return replace(result, out_dir=target.folder, renamed=renamed, rescued=target.rescued)


def _write(
    rows: list[dict],
    ablations: list[pd.DataFrame],
    prefixes: list[pd.DataFrame],
    plan: StudyPlan,
    seconds: float,
    target: Output,
) -> StudyResult:
    frame = blank_not_applicable(pd.DataFrame(rows))  # as the files hold it
    ablation = pd.concat(ablations, ignore_index=True)
    prefix = pd.concat(prefixes, ignore_index=True)
    try:
        files = write_results(frame, ablation, prefix, plan, seconds, target.claim())
    except OSError as error:  # the folder went read-only, full or away during the run
        files = write_results(frame, ablation, prefix, plan, seconds, target.rescue(error))
    return StudyResult(frame, ablation, prefix, plan, seconds, files, target.folder)


class Output:
    """The folder a study writes its results to: the one asked for, checked free at the start
    (:func:`check_output_folder`); if another run wrote results there meanwhile (two cron jobs
    with one ``--out``: the second replaced the first's), the next free ``NAME-2``, ... instead,
    unless ``overwrite``. A folder is claimed by creating its :data:`OWNER_FILE` exclusively,
    so two runs finishing at once never both take it, and a live run's claim holds against
    ``overwrite`` too (recheck 2: an --overwrite run replaced a running study's results, both
    exiting 0); the claim goes on leaving the ``with`` block."""

    def __init__(self, folder: Path, overwrite: bool) -> None:
        self.asked = self.folder = Path(folder).resolve()  # "." has no name to add "-2" to
        self.overwrite = overwrite
        self.claimed: Path | None = None
        self.rescued: str | None = None

    def rescue(self, error: OSError) -> Path:
        """A new folder of this run's own, for results the claimed folder cannot take now (made
        read-only, full or unmounted during the run; recheck 2: hours of results were lost),
        under ``$MOVIERATE_HOME`` or else the system's temporary folder; the first error is
        raised when none can be made."""
        if self.rescued is not None:  # the rescue folder failed too
            raise error
        self.__exit__()
        self.rescued = f"{error.strerror or error}: {error.filename or self.folder}"
        for root in (config.home_dir(), Path(tempfile.gettempdir())):
            with contextlib.suppress(OSError):
                root.mkdir(parents=True, exist_ok=True)
                self.folder = Path(tempfile.mkdtemp(prefix="study-rescued-", dir=root))
                self.claimed = None
                if self._take(self.folder):
                    return self.folder
        raise error

    def claim(self) -> Path:
        """The folder to write to now."""
        n = 2
        while self.claimed is None:
            free = self.overwrite or not existing_results(self.folder)
            if free and self._take(self.folder):
                break
            self.folder = self.asked.with_name(f"{self.asked.name}-{n}")
            n += 1
        return self.folder

    def _take(self, folder: Path) -> bool:
        """Create ``folder``'s owner file exclusively; False when another live run holds it."""
        folder.mkdir(parents=True, exist_ok=True)
        owner = folder / OWNER_FILE
        try:
            fd = os.open(owner, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if live_owner(folder) is not None:
                return False
            owner.unlink(missing_ok=True)  # a killed run's: taken over
            return self._take(folder)
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        self.claimed = owner
        return True

    def __enter__(self) -> Output:
        return self

    def __exit__(self, *exc: object) -> None:
        """Remove this run's claim (where the folder still lets it)."""
        if self.claimed is not None:
            with contextlib.suppress(OSError):
                self.claimed.unlink(missing_ok=True)
