"""Speed of the Explore and Rate pages as a user meets them: each view opened once (cold: the
analysis runs and is cached), then rerun (warm) and one typical interaction, through Streamlit's
AppTest (the page script's own time; the browser adds drawing).

Target: every warm rerun and interaction < 1 s on an ml-latest-small model. Compare's rows
open it afresh each time (its analyses are cached in the process, so only the first row is
cold); AppTest reruns the whole page for a widget inside a fragment, where the browser reruns
only that fragment, so these interaction times are an upper bound.

    MOVIERATE_HOME=... python -m benchmarks.bench_explore_pages --model demo --model-b demo2
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def seconds(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def bench(label: str, page: str, query: dict, interact: Callable[[AppTest], Any]) -> None:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.query_params.update(query)
    cold = seconds(lambda: at.switch_page(page).run())
    warm = seconds(at.run)
    act = seconds(lambda: interact(at))
    problems = [e.message for e in at.exception] + [e.value for e in at.error]
    note = f" ({problems[0][:60]})" if problems else ""
    print(f"| {label} | {cold:.2f} | {warm:.2f} | {act:.2f}{note} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="demo")
    parser.add_argument("--model-b", default="demo2")
    args = parser.parse_args()
    m, b = args.model, args.model_b
    print("| view | cold s | warm rerun s | interaction s |\n|---|---|---|---|")
    bench(
        "custom axes (Comedy → Drama); then set B = Horror (new axis)",
        "pages/explore.py",
        {"model": m, "view": "axes", "xa": "Comedy", "xb": "Drama"},
        lambda at: at.text_input(key="xb").set_value("Horror").run(),
    )
    bench(
        "analogy (3 popular titles); then k = 20",
        "pages/explore.py",
        {"model": m, "view": "analogy"},
        lambda at: at.slider(key="an_k").set_value(20).run(),
    )
    bench(
        "linear probes, 2 models; then rerun",
        "pages/explore.py",
        {"models": [m, b], "view": "probes"},
        lambda at: at.run(),
    )
    bench(
        "users map; then colour by mean rating",
        "pages/explore.py",
        {"model": m, "view": "users"},
        lambda at: at.button_group[1].set_value("mean_rating").run(),
    )

    for label, interact in (
        ("matrix = correlation", lambda at: at.segmented_control(key="matrix").set_value(
            "correlation").run()),
        ("min. ratings = 20 (reruns two sections)", lambda at: at.slider(
            key="min_ratings").set_value(20).run()),
        ("k = 20", lambda at: at.slider(key="pair_k").set_value(20).run()),
        ("add the exact whitenings", lambda at: at.toggle(key="exact").set_value(True).run()),
    ):  # fmt: skip
        bench(f"compare two models; then {label}", "pages/compare.py", {"models": [m, b]},
              interact)  # fmt: skip

    first = _first_moved(m, b)

    def pick_moved(at: AppTest) -> None:
        at.selectbox(key="al_pick").set_value(first).run()

    bench(
        "two models one frame; then pick a moved movie",
        "pages/explore.py",
        {"model": m, "model_b": b, "view": "align"},
        pick_moved,
    )
    bench(
        "rate page, 5 ratings; then k = 20",
        "pages/rate.py",
        {"model": m, "rated": "1:5,260:4.5,2571:5,318:4,296:1"},
        lambda at: at.slider(key="k").set_value(20).run(),
    )


def _first_moved(name_a: str, name_b: str) -> str:
    """The Movie box's label of the film that moved most."""
    from movierate import explore, store
    from movierate.ui.text import with_year

    layout = explore.model_align(
        store.load_model(name_a),
        store.load_model(name_b),
        min_ratings=explore.DEFAULT_MIN_RATINGS,
        top=15,
    )
    first = layout.moved_most.iloc[0]
    return with_year(first["title"], first["year"])


if __name__ == "__main__":
    main()
