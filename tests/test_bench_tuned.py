"""benchmarks/bench_tuned.py's tables: every run of a protocol listed (a rerun never replaces a
run), every figure against the SVD row, the search time's ratio to the SVD grid's, and each
pre-declared column against the SVD (never the best of our columns)."""

from __future__ import annotations

from benchmarks import bench_tuned as bench


def _blend_rows(file: int, saved: float, ensemble: float, search: float) -> list[dict]:
    common = {"key": "u1", "_file": file, "weights": [0.6, 0.4], "member_trials": [2, 9]}
    return [
        {
            **common,
            "kind": "member-autorec",
            "model": "a",
            "test_rmse": 0.95,
            "stop_rmse": 0.93,
            "train_s": 9,
        },
        {
            **common,
            "kind": "member-mf_bias",
            "model": "m",
            "test_rmse": 0.94,
            "stop_rmse": 0.92,
            "train_s": 3,
        },
        {
            **common,
            "kind": "refit",
            "model": "b",
            "test_rmse": saved,
            "train_s": 50,
            "search_s": search,
            "load": 4.0,
        },
        {**common, "kind": "ensemble", "model": "e", "test_rmse": ensemble, "train_s": 80},
    ]


SVD = {
    "key": "u1",
    "model": "Surprise SVD grid",
    "test_rmse": 0.92,
    "search_s": 100.0,
    "protocol": "official u1",
    "dataset": "ml-100k",
}


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip("|").split("|")]


def test_every_run_of_a_protocol_is_listed_and_ratios_are_against_its_svd():
    default = {"key": "u1", "model": "default mf_bias", "test_rmse": 0.93}
    later_svd = {**SVD, "_file": 1, "search_s": 50.0}  # re-timed in the later run
    rows = [{**SVD, "_file": 0}, default, *_blend_rows(0, 0.94, 0.935, 350.0), later_svd]
    rows += _blend_rows(1, 0.90, 0.89, 140.0)
    first, second = (_cells(line) for line in bench.compact_blend(rows).splitlines()[2:])
    assert first[8] == f"{100 * (0.94 / 0.92 - 1):+.2f}%"  # the losing run stays in the table
    assert first[12] == "350 / 100 = 3.50x (over 3x: not counted)"
    assert second[2:8] == ["0.9200", "0.9300", "0.9500", "0.9400", "0.9000", "0.8900"]
    assert second[8] == f"{100 * (0.90 / 0.92 - 1):+.2f}%"
    assert second[9] == f"{100 * (0.89 / 0.92 - 1):+.2f}%"
    assert second[10] == f"{100 * (0.90 / 0.94 - 1):+.2f}%"  # against the better member
    assert second[12] == "140 / 50 = 2.80x"  # against the SVD timed in the same run


def test_the_plain_table_compares_the_saved_model_not_the_best_column():
    common = {"key": "u1", "trials": 9, "search_s": 300.0}
    rows = [
        SVD,
        {**common, "model": "tuned mf_bias", "test_rmse": 0.90},  # as trained: better than SVD
        {**common, "model": "tuned mf_bias refit", "test_rmse": 0.94},  # what tune saves
    ]
    (line,) = bench.compact(rows).splitlines()[2:]
    cells = _cells(line)
    assert cells[8] == f"{100 * (0.94 / 0.92 - 1):+.2f}%" and cells[9] == "-"
