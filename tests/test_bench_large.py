"""benchmarks/bench_large.py's Compare steps on small synthetic models: the page's tabs and
widgets the benchmark drives must exist (a renamed key or a lazy tab once broke the step)."""

from __future__ import annotations

from apptest_helpers import movierate_env

from benchmarks import bench_large as bench


def test_compare_page_step_opens_both_tabs_and_changes_k_and_min_ratings(tmp_path):
    with movierate_env(tmp_path / "home", tmp_path / "data"):
        names = bench.synthetic_models(n_movies=400, n_users=300, n_ratings=40_000, dim=8)
        detail = bench.compare_page(names, timeout_s=120)
    assert detail.startswith("first open (Accuracy tab) ")
    assert "a link to the Movie-by-movie tab" in detail
    assert "k 10 -> 20 there" in detail and "min ratings 10 -> 20" in detail
