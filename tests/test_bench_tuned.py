"""benchmarks/bench_tuned.py's blend table: one line per protocol from its latest run, every
figure against the same SVD row, and the search time's ratio to the SVD grid's."""

from __future__ import annotations

from benchmarks import bench_tuned as bench


def _blend_rows(file: int, saved: float, ensemble: float, search: float) -> list[dict]:
    common = {"key": "u1", "_file": file, "weights": [0.6, 0.4], "member_trials": [2, 9]}
    return [
        {**common, "kind": "member-autorec", "model": "a", "test_rmse": 0.95, "train_s": 9},
        {**common, "kind": "member-mf_bias", "model": "m", "test_rmse": 0.94, "train_s": 3},
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


def test_the_latest_run_of_a_protocol_wins_and_ratios_are_against_its_svd():
    svd = {
        "key": "u1",
        "model": "Surprise SVD grid",
        "test_rmse": 0.92,
        "search_s": 100.0,
        "protocol": "official u1",
        "dataset": "ml-100k",
    }
    default = {"key": "u1", "model": "default mf_bias", "test_rmse": 0.93}
    rows = [svd, default, *_blend_rows(0, 0.91, 0.905, 350.0), *_blend_rows(1, 0.90, 0.89, 280.0)]
    (line,) = bench.compact_blend(rows).splitlines()[2:]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[2:8] == ["0.9200", "0.9300", "0.9500", "0.9400", "0.9000", "0.8900"]
    assert cells[8] == f"{100 * (0.90 / 0.92 - 1):+.2f}%"  # saved vs SVD, from the later run
    assert cells[9] == f"{100 * (0.89 / 0.92 - 1):+.2f}%"
    assert cells[10] == f"{100 * (0.90 / 0.94 - 1):+.2f}%"  # against the better member
    assert cells[12] == "280 / 100 = 2.80x"
