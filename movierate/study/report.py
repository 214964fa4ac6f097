"""Write the study's results: results.json/.csv, summary.csv, ablation.csv, prefix.csv and the
study.md tables (mean +- standard deviation over the model seeds)."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from movierate import atomic, spreadsheet
from movierate.errors import DataError, StoreError
from movierate.study.plan import (
    COHERENCE_K,
    EXACT_SUFFIX,
    FULL_PLAN,
    MIN_RATINGS,
    PREFIX_KS,
    RECOMMEND_THRESHOLD,
    StudyPlan,
    Variant,
)

RESULT_FILES = (
    "results.json",
    "results.csv",
    "summary.csv",
    "ablation.csv",
    "prefix.csv",
    "study.md",
)


def existing_results(out_dir: Path) -> list[str]:
    """The :data:`RESULT_FILES` already in ``out_dir`` (none when it does not exist)."""
    return [name for name in RESULT_FILES if (Path(out_dir) / name).exists()]


def check_output_folder(out_dir: Path, overwrite: bool) -> None:
    """StoreError if ``out_dir`` already holds study results and ``overwrite`` is False.

    A study rewrites every result file, so earlier results there (another dataset's, a long
    run's) would be lost; called before any training.
    """
    found = existing_results(out_dir)
    if found and not overwrite:
        raise StoreError(
            f"The study folder {out_dir} already holds results ({', '.join(found)}); a new "
            "study would replace them. Pass --out NEW_FOLDER to keep them, or --overwrite to "
            "replace them."
        )


#: Targets of section 5 (ordered dimensions): Spearman of held-out importance with reversed
#: index at least this, prefix gap to the L2 model's principal basis at most 0, full test RMSE
#: at most this many percent above L2's.
TARGET_SPEARMAN = 0.9
TARGET_COST_PCT = 1.0
KEYS = ("dataset", "dim", "variant")


def _order_beyond_chance(spearman: pd.Series, dim: pd.Series) -> pd.Series:
    """Per row, whether a random order of ``dim`` dimensions reaches ``spearman`` at most
    :data:`movierate.explore.ordering.ORDER_LEVEL` of the time, as the Dimensions page judges
    an order (recheck s29: a Spearman of 0.9 comes from a random order of 2 or 3 dimensions 1
    time in 2 or 6, so the target alone was met by chance there)."""
    from movierate.explore.ordering import ORDER_LEVEL, order_chance

    chances = [order_chance(float(r), int(d)) for r, d in zip(spearman, dim, strict=True)]
    return pd.Series(np.asarray(chances) <= ORDER_LEVEL, index=spearman.index)


#: Columns that mean nothing for the exactly whitened rows, by construction (accuracy round 57,
#: F1: a Spearman of 0.13 ± 0.99 from seeds at -0.57 and +0.83 read as a weak result), and why.
NOT_APPLICABLE_EXACT = (
    "spearman_variance_vs_test_importance",
    "spearman_variance_vs_train_importance",
    "spearman_variance_vs_test_importance_kept",
)
NOT_APPLICABLE_WHY = (
    "an exact whitening gives every dimension the same variance by construction (1 over the "
    "movies it whitens; the small spread left over the movies with >= "
    f"{MIN_RATINGS} ratings is a residue), so ranking its dimensions by variance ranks noise"
)
#: How study.md shows a statistic that does not apply (a missing one is "-").
NOT_APPLICABLE_CELL = "—"


def _exact(frame: pd.DataFrame) -> pd.Series:
    return frame["variant"].astype(str).str.endswith(EXACT_SUFFIX)


def blank_not_applicable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :data:`NOT_APPLICABLE_EXACT` set to NaN on the exactly whitened rows
    (also those of results saved before, when merged)."""
    columns = [c for c in NOT_APPLICABLE_EXACT if c in frame]
    if not columns or "variant" not in frame:
        return frame
    frame = frame.copy()
    frame.loc[_exact(frame), columns] = math.nan
    return frame


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds of every numeric column per (dataset, dim, variant), its sample standard
    deviation as ``<column>_std`` (NaN with one seed), ``n_seeds`` and, where section 5's
    columns exist, ``targets_met`` (seeds meeting all three targets)."""
    frame = frame.copy()
    if {"max_prefix_gap", "full_cost_pct", "spearman_index_vs_test_importance"} <= set(frame):
        spearman = frame["spearman_index_vs_test_importance"]
        frame["targets_met"] = (
            (spearman >= TARGET_SPEARMAN)
            & _order_beyond_chance(spearman, frame["dim"])
            & (frame["max_prefix_gap"] <= 0)
            & (frame["full_cost_pct"] <= TARGET_COST_PCT)
        ).astype(float)
    if {"test_rmse_minus_averages", "test_rmse_minus_averages_ci95"} <= set(frame):
        gap, ci = frame["test_rmse_minus_averages"], frame["test_rmse_minus_averages_ci95"]
        # paired, beyond the draw: the recorded ± is the one the verdict reads (on few test
        # users the sign-flip test's, accuracy round 20), so the count follows that rule too
        frame["below_averages"] = (gap + ci < 0).astype(float)
        frame["above_averages"] = (gap - ci > 0).astype(float)
        # no ± on too few test users (recheck s33): counted apart, never as "not below"
        frame["no_interval_averages"] = (gap.notna() & ci.isna()).astype(float)
    keys = list(KEYS)
    numeric = [
        c
        for c in frame.columns
        if c not in (*keys, "seed", "model") and pd.api.types.is_numeric_dtype(frame[c])
    ]
    grouped = frame.groupby(keys, sort=False)[numeric]
    mean = grouped.mean()
    std = grouped.std(ddof=1).add_suffix("_std")
    out = pd.concat([mean, std], axis=1)
    out["n_seeds"] = frame.groupby(keys, sort=False).size()
    for counted in ("targets_met", "below_averages", "above_averages", "no_interval_averages"):
        if counted in out:
            out[counted] = frame.groupby(keys, sort=False)[counted].sum()
    return out.reset_index()


def write_results(
    frame: pd.DataFrame,
    ablation: pd.DataFrame,
    prefix: pd.DataFrame,
    plan: StudyPlan,
    seconds: float,
    out_dir: Path,
) -> dict[str, Path]:
    """Write the RESULT_FILES into ``out_dir`` (created if missing) as one change
    (:func:`movierate.atomic.write_texts`: an interrupted write leaves the old set); their
    paths."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    atomic.sweep_dead_writers(Path(out_dir), ())  # a killed write's temp files (round 47, F1)
    frame = blank_not_applicable(frame)
    summary = summarize(frame)
    payload = {
        "plan": _plan_dict(plan),
        "seconds": seconds,
        "min_ratings": MIN_RATINGS,
        "recommend_threshold": RECOMMEND_THRESHOLD,
        "not_applicable": [
            {
                "variants": f"*{EXACT_SUFFIX}",
                "columns": list(NOT_APPLICABLE_EXACT),
                "why": NOT_APPLICABLE_WHY,
            }
        ],
        "rows": json.loads(frame.to_json(orient="records")),
        "summary": json.loads(summary.to_json(orient="records")),
        "ablation": json.loads(ablation.to_json(orient="records")),
    }
    texts = {
        "results.json": json.dumps(payload, indent=2) + "\n",
        "results.csv": spreadsheet.csv_text(frame),
        "summary.csv": spreadsheet.csv_text(summary),
        "ablation.csv": spreadsheet.csv_text(ablation),
        "prefix.csv": spreadsheet.csv_text(prefix),
        "study.md": markdown_report(frame, plan, seconds),
    }
    return atomic.write_texts(out_dir, texts)


#: Text fields of a results row; every other field is a number or empty.
_TEXT_FIELDS = ("dataset", "variant", "model")


#: A study's claim on its results folder while it runs (its process id).
OWNER_FILE = ".study-owner"


def live_owner(folder: Path) -> int | None:
    """The process id of a running study that claims ``folder`` (:data:`OWNER_FILE`), or None."""
    with contextlib.suppress(OSError, ValueError):
        pid = int((folder / OWNER_FILE).read_text())
        if atomic.process_state(pid) == "alive":
            return pid
    return None


def load_run(folder: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """(results.json, ablation.csv, prefix.csv) of one study run, checked: DataError naming the
    file and field when a file is missing, damaged or edited (a row of another dataset or
    variant than the plan's, a metric that is no finite number, a dataset without rows), or
    when a study still running claims the folder (its results so far are partial), so a merge
    never writes tables with a column or a dataset silently missing."""
    owner = live_owner(folder)
    if owner is not None:
        raise DataError(
            f"{folder} belongs to a study that is still running (process {owner}): its results "
            "so far are partial. Merge it once that run has finished."
        )
    try:
        payload = json.loads((folder / "results.json").read_text())
        ablation = spreadsheet.plain_frame(pd.read_csv(folder / "ablation.csv"))
        prefix = spreadsheet.plain_frame(pd.read_csv(folder / "prefix.csv"))
    except (OSError, ValueError) as error:
        raise DataError(
            f"{folder} holds no complete study results ({error}); give folders that "
            "`python -m movierate study --out` wrote."
        ) from None
    problem = _results_problem(payload)
    if problem:
        raise DataError(
            f"{folder / 'results.json'} is damaged or edited: {problem}. Run that study again "
            "(`python -m movierate study --out DIR`) rather than editing its results."
        )
    return payload, ablation, prefix


def _results_problem(payload: Any) -> str | None:
    """What is wrong with a results.json payload, or None."""
    plan = payload.get("plan") if isinstance(payload, dict) else None
    if not isinstance(plan, dict):
        return "it holds no study plan (no 'plan' object)"
    try:
        datasets = [str(d) for d in plan["datasets"]]
        names = {str(v["name"]) for v in plan["variants"]}
        dims, seeds = set(plan["dims"]), set(plan["model_seeds"])
    except (KeyError, TypeError) as error:
        return f"its plan is misshapen ({type(error).__name__}: {error})"
    rows = payload.get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return "its 'rows' are not a list of result rows"
    if not isinstance(payload.get("seconds"), int | float):
        return "its 'seconds' is not a number"
    for i, row in enumerate(rows, start=1):
        checks = {
            "dataset": row.get("dataset") in datasets,
            "variant": str(row.get("variant")).removesuffix(EXACT_SUFFIX) in names,
            "dim": row.get("dim") in dims,
            "seed": row.get("seed") in seeds,
        }
        wrong = next((key for key, ok in checks.items() if not ok), None)
        if wrong:
            return f"row {i}'s {wrong} {row.get(wrong)!r} is not one of the plan's"
        for key, value in row.items():
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if (
                key not in _TEXT_FIELDS
                and value is not None
                and not (number and math.isfinite(value))
            ):
                return f"row {i}'s {key} is {value!r}, not a finite number"
    if not rows:
        return "it holds no result rows (a run stopped before its first dataset finished?)"
    if not any(isinstance(r.get("test_rmse"), int | float) for r in rows):
        return "no row has a test_rmse"
    return None  # datasets of the plan without rows: a stopped run, merged as far as it got


def _has_rows(payload: dict[str, Any], dataset: str) -> bool:
    return any(row.get("dataset") == dataset for row in payload["rows"])


def merge_results(folders: list[Path], out_dir: Path) -> dict[str, Path]:
    """Merge the results of several study runs (e.g. one dataset each, run in parallel) into
    ``out_dir``: their rows, ablations and prefix curves; the plan of the first with the
    datasets of all (in the order given); seconds = the longest run's. Raises DataError when a
    folder lacks the result files or the runs disagree on anything but their datasets."""
    payloads, ablations, prefixes = [], [], []
    for folder in folders:
        payload, ablation, prefix = load_run(Path(folder))
        payloads.append(payload)
        ablations.append(ablation)
        prefixes.append(prefix)
    if not payloads:
        raise DataError("Give at least one study result folder to merge.")
    plans = [dict(p["plan"]) for p in payloads]
    for plan, payload in zip(plans, payloads, strict=True):  # a stopped run: its finished ones
        plan["datasets"] = [d for d in plan["datasets"] if _has_rows(payload, d)]
    datasets = [d for plan in plans for d in plan.pop("datasets")]
    if any(plan != plans[0] for plan in plans[1:]) or len(set(datasets)) != len(datasets):
        raise DataError(
            "These study runs differ in more than their datasets (or repeat a dataset), so "
            "their tables cannot be merged; merge runs of one plan on different datasets."
        )
    first = plans[0]
    variants = tuple(
        Variant(**{**v, "regularizers": dict(v["regularizers"])}) for v in first["variants"]
    )
    plan = StudyPlan(
        **{
            **first,
            "datasets": tuple(datasets),
            "dims": tuple(first["dims"]),
            "model_seeds": tuple(first["model_seeds"]),
            "variants": variants,
        }
    )
    frame = pd.concat([pd.DataFrame(p["rows"]) for p in payloads], ignore_index=True)
    seconds = max(float(p["seconds"]) for p in payloads)
    return write_results(
        frame,
        pd.concat(ablations, ignore_index=True),
        pd.concat(prefixes, ignore_index=True),
        plan,
        seconds,
        Path(out_dir),
    )


def merge_into(base: Path, folders: list[Path], out_dir: Path) -> dict[str, Path]:
    """Rerun variants into full results: the rows (and ablations, prefix curves) of the runs in
    ``folders`` replace those of the same dataset, dim, seed and variant in the results in
    ``base``; everything else of ``base`` is kept, and every row's cost and prefix gap against
    L2 are recomputed from the merged curves (so a rerun L2 or comparator reaches every
    variant). The runs must share ``base``'s plan but for their datasets (a subset of base's)
    and variants (a rerun variant takes the run's definition). Written into ``out_dir``;
    ``seconds`` stays ``base``'s. Raises DataError when the plans differ in anything else."""
    from movierate.study.measure import compare_to_baseline

    payload, ablation, prefix = load_run(Path(base))
    shared = {k: v for k, v in payload["plan"].items() if k not in ("datasets", "variants")}
    variants = {v["name"]: v for v in payload["plan"]["variants"]}
    frame = pd.DataFrame(payload["rows"])
    keys = ["dataset", "dim", "seed", "variant"]
    for folder in folders:
        run, run_ablation, run_prefix = load_run(Path(folder))
        plan = {k: v for k, v in run["plan"].items() if k not in ("datasets", "variants")}
        if plan != shared or not set(run["plan"]["datasets"]) <= set(payload["plan"]["datasets"]):
            raise DataError(
                f"The study run in {folder} differs from {base} in more than its variants (or "
                "covers another dataset), so its rows cannot replace those of the full results."
            )
        variants.update({v["name"]: v for v in run["plan"]["variants"]})
        rows = pd.DataFrame(run["rows"])
        replaced = pd.MultiIndex.from_frame(rows[keys].drop_duplicates())
        for name, table, new in (
            ("rows", frame, rows),
            ("ablation", ablation, run_ablation),
            ("prefix", prefix, run_prefix),
        ):
            kept = table[~pd.MultiIndex.from_frame(table[keys]).isin(replaced)]
            merged = pd.concat([kept, new], ignore_index=True)
            if name == "rows":
                frame = merged
            elif name == "ablation":
                ablation = merged
            else:
                prefix = merged
    names = list(variants)
    datasets = list(payload["plan"]["datasets"])

    def rank(table: pd.DataFrame) -> pd.DataFrame:
        source = table["variant"].str.removesuffix(EXACT_SUFFIX)
        order = source.map({n: i for i, n in enumerate(names)}).fillna(len(names)) * 2
        order += (table["variant"] != source).astype(int)
        ds_order = table["dataset"].map({d: i for i, d in enumerate(datasets)})
        table = table.assign(_d=ds_order, _v=order)
        return table.sort_values(["_d", "dim", "seed", "_v"], kind="stable").drop(
            columns=["_d", "_v"]
        )

    frame, ablation, prefix = rank(frame), rank(ablation), rank(prefix)
    records = []
    for (dataset, dim, seed), group in frame.groupby(["dataset", "dim", "seed"], sort=False):
        cell = group.to_dict(orient="records")
        curves = prefix[
            (prefix["dataset"] == dataset) & (prefix["dim"] == dim) & (prefix["seed"] == seed)
        ]
        compare_to_baseline(cell, curves)
        records += cell
    frame = pd.DataFrame(records)
    plan_data = {**payload["plan"], "variants": list(variants.values())}
    plan = StudyPlan(
        **{
            **plan_data,
            "datasets": tuple(datasets),
            "dims": tuple(plan_data["dims"]),
            "model_seeds": tuple(plan_data["model_seeds"]),
            "variants": tuple(
                Variant(**{**v, "regularizers": dict(v["regularizers"])})
                for v in plan_data["variants"]
            ),
        }
    )
    return write_results(
        frame, ablation.reset_index(drop=True), prefix.reset_index(drop=True), plan,
        float(payload["seconds"]), Path(out_dir),
    )  # fmt: skip


def _plan_dict(plan: StudyPlan) -> dict[str, Any]:
    data = asdict(plan)
    data["dataset_epochs"] = dict(plan.dataset_epochs)
    data["variants"] = [{**asdict(v), "regularizers": dict(v.regularizers)} for v in plan.variants]
    return data


TABLE_COLUMNS: dict[str, tuple[str, str]] = {
    "variant": ("variant", "s"),
    "test_rmse": ("test RMSE", ".4f"),
    "test_mae": ("test MAE", ".4f"),
    "train_rmse": ("train RMSE", ".4f"),
    "penalty_l2": ("L2 pen.", ".3g"),
    "penalty_whitening": ("whitening pen.", ".3g"),
    "penalty_decorrelation": ("decorr. pen.", ".3g"),
    "ks_uniform_mean": ("KS U(-1,1) mean", ".3f"),
    "ks_uniform_max": ("KS max", ".3f"),
    "mean_abs_offdiag_cov": ("mean abs off-diag cov", ".3g"),
    "mean_abs_offdiag_corr": ("mean abs off-diag corr", ".3f"),
    "variance_cv": ("variance CV", ".3f"),
    "genre_coherence_at_10": ("genre coh.@10", ".3f"),
    "top10_median_n_ratings": ("top-10 median n_ratings", ".1f"),  # a median's .5 kept
    f"top10_median_n_ratings_min{RECOMMEND_THRESHOLD}": (f"same, min {RECOMMEND_THRESHOLD}", ".1f"),
    "spearman_variance_vs_test_importance": ("Spearman var/test importance", ".2f"),
    "spearman_variance_vs_train_importance": ("Spearman var/train importance", ".2f"),
    "spearman_index_vs_test_importance": ("Spearman -index/test importance", ".2f"),
    "train_seconds": ("train s", ".1f"),
}
#: Section 5's table (ordered dimensions): columns beyond TABLE_COLUMNS.
ORDER_COLUMNS: dict[str, tuple[str, str]] = {
    "variant": ("variant", "s"),
    "kept_dims": ("kept dims", ".1f"),
    "spearman_index_vs_test_importance": ("Spearman -index/test importance", ".2f"),
    "spearman_variance_vs_test_importance": ("Spearman variance/test importance", ".2f"),
    "spearman_index_vs_test_importance_kept": ("-index, kept dims", ".2f"),
    "spearman_variance_vs_test_importance_kept": ("variance, kept dims", ".2f"),
    "spearman_index_vs_train_importance": ("-index/train rows", ".2f"),
    "test_rmse": ("full test RMSE", ".4f"),
    "full_cost_pct": ("cost vs l2 %", "+.2f"),
    **{f"prefix_rmse_k{k}": (f"k={k}", ".4f") for k in PREFIX_KS},
    "max_prefix_gap": ("max gap vs l2 (pca)", "+.4f"),
    "max_prefix_gap_test_chosen": ("same, weighting chosen on test rows", "+.4f"),
    "targets_met": ("seeds meeting all targets", "d"),
}
ORDER_VARIANTS = ("l2", "l2+decorrelation", "l2+ordered")
PCA_ROW = "l2 (pca)"

#: The study's questions: (title, variants compared, measures shown).
QUESTIONS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "Q1. Does whitening reach a near-zero loss without costing test RMSE? (trained vs "
        "exact post-hoc whitening)",
        (
            "none",
            "none" + EXACT_SUFFIX,
            "whitening",
            "l2",
            "l2" + EXACT_SUFFIX,
            "l2+whitening",
        ),
        (
            "penalty_whitening",
            "penalty_l2",
            "train_rmse",
            "test_rmse",
            "genre_coherence_at_10",
            "top10_median_n_ratings",
        ),
    ),
    (
        "Q2. With decorrelation, does per-dimension variance rank dimensions by importance?",
        ("none", "decorrelation", "l2", "l2+decorrelation"),
        (
            "penalty_decorrelation",
            "mean_abs_offdiag_corr",
            "variance_cv",
            "spearman_variance_vs_test_importance",
            "spearman_variance_vs_train_importance",
        ),
    ),
    (
        "Q3. Does the adversarial regularizer make rows iid U(-1, 1), and at what cost?",
        ("none", "adversarial", "l2", "l2+adversarial"),
        ("ks_uniform_mean", "ks_uniform_max", "train_rmse", "test_rmse", "train_seconds"),
    ),
    (
        f"Q4. Obscure recommendations: L2 without a threshold vs no L2 with min "
        f"{RECOMMEND_THRESHOLD} ratings",
        ("none", "l2"),
        (
            "top10_median_n_ratings",
            f"top10_median_n_ratings_min{RECOMMEND_THRESHOLD}",
            "test_rmse",
        ),
    ),
)
Q5_TITLE = "Q5. Does the ordered regularizer put dimensions in order of importance?"


def markdown_report(frame: pd.DataFrame, plan: StudyPlan, seconds: float) -> str:
    """The study's tables in markdown (mean +- std over seeds): the questions, one table per
    dataset and dim, then the trained losses."""
    frame = blank_not_applicable(frame)
    summary = summarize(frame)
    seeds = ", ".join(map(str, plan.model_seeds))
    lines = [
        "# Regularizer study: results",
        "",
        f"Datasets {', '.join(plan.datasets)}; dims {', '.join(map(str, plan.dims))}; random "
        f"train / stop / test split (make_split, seed {plan.split_seed}); model seeds {seeds} "
        f"(cells: mean ± standard deviation over them); {_epochs(plan)} on the training "
        f"rows, always: neither the stop nor the test rows steer training (the stop rows "
        f"serve only the ordered option's rank selection and the choice of the comparator's "
        f"PCA weighting); every RMSE, "
        f"ablation and prefix curve below is on the test rows unless it says train. "
        f"Covariance, variance and genre statistics over movies with >= {MIN_RATINGS} ratings; "
        f"penalties (unit strength) and KS over the movies with a training rating. Top-10 "
        f"obscurity: median "
        f"n_ratings of the pooled top-10 of {plan.n_users} fixed users. '{EXACT_SUFFIX.strip()}'"
        f": the model above it re-expressed with an exactly white movie embedding (same "
        f"predictions). Whole run: {seconds:.0f} s.",
        "",
        "Strengths: "
        + "; ".join(
            f"{v.name}: {v.family}"
            + "".join(f", {k}={s:g}" for k, s in v.regularizers.items())
            + (f", dense_l2={v.dense_l2:g}" if v.dense_l2 else "")
            for v in plan.variants
        )
        + ".",
    ]
    missing = [d for d in plan.datasets if d not in set(frame["dataset"])]
    if missing:  # recheck: a study stopped by Ctrl-C left a study.md that read as finished
        lines += [
            "",
            f"**No results for {', '.join(missing)}**: this run stopped before finishing "
            f"{'it' if len(missing) == 1 else 'them'} (the tables below are the datasets it "
            "finished; a study writes its results after each dataset).",
        ]
    lines += _smoke_note(plan)
    lines += _no_coherence(frame)
    if _exact(frame).any():
        lines += [
            "",
            f"**{NOT_APPLICABLE_CELL}** (Spearman of variance with importance on the "
            f"'{EXACT_SUFFIX.strip()}' rows): does not apply, left empty in results.csv and "
            f"summary.csv: {NOT_APPLICABLE_WHY}.",
        ]
    lines += _findings_against(frame)
    keys = {"dataset": ("dataset", "s"), "dim": ("dim", "d"), "variant": ("variant", "s")}
    for title, variants, measures in QUESTIONS:
        chosen = _ordered(summary, variants)
        if chosen["variant"].nunique() > 1:
            columns = keys | {c: TABLE_COLUMNS[c] for c in measures}
            lines += ["", f"## {title}", "", _table(chosen, columns)]
    order = order_table(summary)
    if len(order):
        lines += [
            "",
            f"## {Q5_TITLE}",
            "",
            f"Targets: Spearman >= {TARGET_SPEARMAN:g} (reversed index against test-row "
            f"importance, every dimension), and beyond chance as the Dimensions page judges it "
            f"(a random order of the dimensions reaches it at most 5% of the time: never at 2 or "
            f"3 dimensions); prefix test RMSE no worse than '{PCA_ROW}' (the L2 "
            f"model of the same seed in its principal basis; at each k the weighting, unweighted "
            f"or by training counts, with the lower RMSE on the stop rows) at every k = 1 .. dim "
            f"(max gap <= 0); full test RMSE within {TARGET_COST_PCT:g}% of l2. 'kept dims': the "
            f"ordered option's rank selection on the stop rows (the k of the lowest stop-row error; the "
            f"other dimensions are zero, so their test importance is exactly 0). 'same, "
            f"weighting chosen on test rows': the gap to the better weighting on the test rows "
            f"themselves (an optimistic comparator chosen on test rows, for comparison only).",
            "",
            _table(order, keys | ORDER_COLUMNS),
        ]
    for (dataset, dim), group in summary.groupby(["dataset", "dim"], sort=False):
        lines += ["", f"## {dataset}, dim {dim}", "", _table(group, TABLE_COLUMNS)]
        lines += _references(group)
    trained = [c for c in summary.columns if c.startswith("final_") and not c.endswith("_std")]
    if trained:
        lines += [
            "",
            "## Penalties logged by training at the kept epoch (raw; reg_l2 = users + movies, "
            "over the rows with a training rating)",
            "",
        ]
        columns = dict(keys)
        columns |= {c: (c.removeprefix("final_"), ".4g") for c in trained}
        lines.append(_table(summary, columns))
    return "\n".join(lines) + "\n"


def _smoke_note(plan: StudyPlan) -> list[str]:
    """A warning that a run with fewer epochs or other dims than the full study's is a smoke
    run whose results can point the other way (accuracy round 57, F2: a quick run's
    decorrelation ended more correlated than none, unsaid); [] for the full configuration."""
    short = [d for d in plan.datasets if plan.epochs_on(d) < FULL_PLAN.epochs_on(d)]
    if not short and tuple(plan.dims) == FULL_PLAN.dims:
        return []
    return [
        "",
        f"**A smoke run, not the study**: {_epochs(plan)} at dim "
        f"{', '.join(map(str, plan.dims))}, where the full study (`python -m movierate study`, "
        f"the README's and docs/regularizer-study.md's findings) trains dim "
        f"{', '.join(map(str, FULL_PLAN.dims))} for {_epochs(FULL_PLAN)}. It checks that the "
        "study runs; its numbers do not test the full study's findings and can contradict "
        "them: where they do, the section 'Against the full study's findings' says so.",
    ]


#: Findings a run's own numbers can go against: (variant, reference variant, column, the sign
#: the variant's minus the reference's should have, what says so).
FINDINGS: tuple[tuple[str, str, str, int, str], ...] = (
    ("l2", "none", "penalty_l2", -1, "a regularizer lowers what it penalises"),
    ("whitening", "none", "penalty_whitening", -1, "a regularizer lowers what it penalises"),
    ("whitening", "none", "test_rmse", 1, "whitening costs test RMSE (README item 1)"),
    ("l2+whitening", "l2", "penalty_whitening", -1, "a regularizer lowers what it penalises"),
    (
        "l2+whitening",
        "l2",
        "test_rmse",
        1,
        "whitening costs test RMSE on top of l2, +0.02 to +0.06 (README item 1)",
    ),
    (
        "decorrelation",
        "none",
        "penalty_decorrelation",
        -1,
        "a regularizer lowers what it penalises",
    ),
    (
        "decorrelation",
        "none",
        "mean_abs_offdiag_corr",
        -1,
        "decorrelation lowers the correlation between dimensions",
    ),
    (
        "l2+decorrelation",
        "l2",
        "penalty_decorrelation",
        -1,
        "a regularizer lowers what it penalises",
    ),
    (
        "l2+decorrelation",
        "l2",
        "mean_abs_offdiag_corr",
        -1,
        "decorrelation lowers the correlation between dimensions",
    ),
    (
        "adversarial",
        "none",
        "ks_uniform_mean",
        -1,
        "adversarial pushes each dimension towards U(-1, 1) (README item 3)",
    ),
    (
        "l2+adversarial",
        "l2",
        "ks_uniform_mean",
        -1,
        "adversarial pushes each dimension towards U(-1, 1) (README item 3)",
    ),
    (
        "l2+adversarial",
        "l2",
        "test_rmse",
        1,
        "adversarial costs test RMSE on top of l2, +0.05 to +0.07 (README item 3)",
    ),
)


def _findings_against(frame: pd.DataFrame) -> list[str]:
    """Where this run's own numbers (mean over seeds, and per seed against the reference of
    the same seed) go against :data:`FINDINGS`, per dataset, dim and variant; a line saying
    none do; [] when the run has none of their variants."""
    said, checked = [], False
    for (dataset, dim), group in frame.groupby(["dataset", "dim"], sort=False):
        table = group.set_index(["variant", "seed"])
        for variant, reference, column, sign, source in FINDINGS:
            if column not in group or not {variant, reference} <= set(group["variant"]):
                continue
            diff = (table.loc[variant, column] - table.loc[reference, column]).dropna()
            if not len(diff):
                continue
            checked = True
            if sign * diff.mean() > 0:
                continue
            label, fmt = TABLE_COLUMNS.get(column, (column, ".4g"))
            mine = table.loc[variant, column].mean()
            theirs = table.loc[reference, column].mean()
            wrong = int((sign * diff <= 0).sum())
            way = "lower" if sign > 0 else "higher"
            said.append(
                f"- {dataset}, dim {dim}, **{variant}**: {label} {format(mine, fmt)} against "
                f"{reference}'s {format(theirs, fmt)} (not {'higher' if sign > 0 else 'lower'}"
                f"; {way} or equal in {wrong} of {len(diff)} seeds); expected: {source}."
            )
    if not checked:
        return []
    lines = ["", "## Against the full study's findings", ""]
    if not said:
        return [
            *lines,
            "None of this run's means goes against the findings checked here (each "
            "regularizer lowers what it penalises; whitening and adversarial cost test RMSE).",
        ]
    return [*lines, "This run's own numbers go against them here:", "", *said]


def _no_coherence(frame: pd.DataFrame) -> list[str]:
    """A note on the datasets whose genre coherence is left out (views round 12: a dataset
    without genres stopped the study after training)."""
    column = "genre_coherence_at_10"
    if column not in frame:
        return []
    none = [d for d, g in frame.groupby("dataset", sort=False) if g[column].isna().all()]
    if not none:
        return []
    return [
        "",
        f"**No genre coherence for {', '.join(none)}** ('-' in its column): at most {COHERENCE_K} "
        f"of the movies with >= {MIN_RATINGS} ratings have a genre (a dataset without genres has "
        f"none), too few for the {COHERENCE_K} nearest neighbours.",
    ]


def _references(group: pd.DataFrame) -> list[str]:
    """What predictors without an embedding score on the same test rows, and which variants'
    mean test RMSE is no better (views round 8: the study's files had no reference, and its
    whitening and adversarial rows were worse than user and movie averages alone)."""
    if "test_rmse_of_averages" not in group or group["test_rmse_of_averages"].isna().all():
        return []  # a run saved before they were recorded
    averages = float(group["test_rmse_of_averages"].iloc[0])
    mean = float(group["test_rmse_of_mean"].iloc[0])
    worse = group.loc[group["test_rmse"] >= averages, "variant"].tolist()
    said = (
        f" Variants whose mean test RMSE is no better than that: {', '.join(worse)}."
        if worse
        else " Every variant's mean test RMSE is below it."
    )
    return [
        "",
        f"On the same test rows, without an embedding (fit on the training rows): the training "
        f"mean for every rating gives RMSE {mean:.4f}; user and movie averages (the damped "
        f"baseline of `movierate.baselines`, {_averages_fit(group)}) give RMSE "
        f"{averages:.4f}.{said}{_paired(group)}",
    ]


def _averages_fit(group: pd.DataFrame) -> str:
    """How the averages of ``group`` were fit: by least squares, or in one damped pass for rows
    saved before (no ``averages_sweeps``; accuracy round 15)."""
    if "averages_sweeps" in group and group["averages_sweeps"].notna().all():
        return "biases fit by least squares"
    return "one damped pass"


def _paired(group: pd.DataFrame) -> str:
    """Each variant's seeds whose test RMSE the paired interval against the averages puts
    below (or above) them: the mean alone said which variants beat them without an interval
    (s27's closing note, left alone then)."""
    if "below_averages" not in group:
        return ""  # a run saved before the paired difference was recorded
    counts = [
        f"{row.variant} {row.below_averages:.0f} of {row.n_seeds:.0f}"
        + (f" (above in {row.above_averages:.0f})" if row.above_averages else "")
        + (
            f" (no interval in {row.no_interval_averages:.0f}: too few test users)"
            if getattr(row, "no_interval_averages", 0)
            else ""
        )
        for row in group.itertuples()
    ]
    return (
        " Seeds whose test RMSE is below the averages' beyond the test rows' draw (paired over "
        "those rows, 95%, users counted together): " + ", ".join(counts) + "."
    )


def _epochs(plan: StudyPlan) -> str:
    special = {d: plan.epochs_on(d) for d in plan.datasets if plan.epochs_on(d) != plan.epochs}
    text = f"{plan.epochs} epochs"
    if special:
        text += " (" + ", ".join(f"{n} on {d}" for d, n in special.items()) + ")"
    return text


def order_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Section 5's rows: l2, its principal-basis truncation ('l2 (pca)'), l2+decorrelation and
    l2+ordered per dataset and dim (empty without the columns)."""
    if "max_prefix_gap" not in summary:
        return pd.DataFrame()
    parts = []
    for _, group in summary.groupby(["dataset", "dim"], sort=False):
        for variant in ORDER_VARIANTS:
            row = group[group["variant"] == variant]
            if not len(row):
                continue
            parts.append(row)
            if variant == "l2":
                pca = row.copy()
                pca["variant"] = PCA_ROW
                for suffix in ("", "_std"):
                    pca[f"spearman_index_vs_test_importance{suffix}"] = pca[
                        f"spearman_pca_vs_test_importance{suffix}"
                    ]
                    for k in PREFIX_KS:
                        if f"pca_prefix_rmse_k{k}" in pca:
                            pca[f"prefix_rmse_k{k}{suffix}"] = pca[f"pca_prefix_rmse_k{k}{suffix}"]
                for column in (
                    "max_prefix_gap",
                    "max_prefix_gap_test_chosen",
                    "full_cost_pct",
                    "targets_met",
                    "kept_dims",
                    "spearman_variance_vs_test_importance",
                    "spearman_index_vs_test_importance_kept",
                    "spearman_variance_vs_test_importance_kept",
                    "spearman_index_vs_train_importance",
                ):
                    pca[column] = pca[f"{column}_std"] = math.nan
                pca["max_prefix_gap"] = 0.0
                parts.append(pca)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _ordered(summary: pd.DataFrame, variants: tuple[str, ...]) -> pd.DataFrame:
    chosen = summary[summary["variant"].isin(variants)].copy()
    rank = {v: i for i, v in enumerate(variants)}
    chosen["_rank"] = chosen["variant"].map(rank)
    dataset_rank = {d: i for i, d in enumerate(dict.fromkeys(summary["dataset"]))}
    chosen["_dataset"] = chosen["dataset"].map(dataset_rank)
    return chosen.sort_values(["_dataset", "dim", "_rank"], kind="stable")


def _table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, str]]) -> str:
    present = [c for c in columns if c in frame.columns]
    lines = [
        "| " + " | ".join(columns[c][0] for c in present) + " |",
        "|" + "---|" * len(present),
    ]
    for _, row in frame.iterrows():
        exact = str(row.get("variant", "")).endswith(EXACT_SUFFIX)
        cells = [
            NOT_APPLICABLE_CELL
            if exact and c in NOT_APPLICABLE_EXACT
            else _cell(row[c], columns[c][1], row.get(f"{c}_std"))
            for c in present
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: Any, fmt: str, spread: Any = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if fmt == "d":
        return str(int(value))
    text = format(value, fmt)
    if spread is not None and isinstance(spread, float | np.floating) and np.isfinite(spread):
        text += " ± " + format(spread, fmt.lstrip("+"))
    return text
