"""Trainings in a row print no TensorFlow retracing warning (README review s31: `study --quick`
printed two). Each loop traces its functions once; TensorFlow counted those first traces of new
loops as retracing, since it keys its count by code object, not by loop."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    from dataclasses import replace

    import numpy as np

    from movierate.data import make_split, synthetic_dataset
    from movierate.nn.training import train
    from movierate.spec import ModelSpec

    ds = synthetic_dataset(2_000, n_users=60, n_movies=50, seed=0)
    # as `study` trains: no early-stopping rows, 2 epochs (--quick), so few calls per loop
    split = replace(make_split(ds, "random", 0.1, seed=1), stop=np.empty(0, np.int64))
    for dim in range(2, 10):  # another shape each: no loop comes back from the pool
        spec = ModelSpec(family="mf_bias", dim=dim, epochs=2, early_stopping_patience=2)
        train(ds, split, spec.validate())
    print("trained")
    """
)


def test_models_trained_in_a_row_print_no_retracing_warning():
    # a fresh process: TensorFlow warns at most twice per function and process
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "trained" in done.stdout
    assert "retracing" not in done.stderr, done.stderr[-2000:]
