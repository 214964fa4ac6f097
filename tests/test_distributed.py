"""Training under MultiWorkerMirroredStrategy: two localhost workers match one process."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from movierate.data import make_split, synthetic_dataset
from movierate.spec import ModelSpec

pytestmark = pytest.mark.slow

SPEC = {
    "dim": 8,
    "epochs": 2,
    "batch_size": 1000,
    "early_stopping_patience": 0,
    "seed": 5,
    "learning_rate_decay": 0.5,  # epoch 2 at half the rate, on every worker
}
DATA = {"n_ratings": 6_000, "n_users": 120, "n_movies": 90, "seed": 4}

WORKER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from movierate.nn.distributed import make_strategy, train_distributed
    strategy = make_strategy()
    from movierate.data import make_split, synthetic_dataset
    from movierate.spec import ModelSpec
    ds = synthetic_dataset(**{data})
    split = make_split(ds, "random", 0.1, seed=1)
    result = train_distributed(strategy, ds, split, ModelSpec(**{spec}))
    np.savez(sys.argv[1], loss=np.array(result.history["loss"]), **result.arrays)
    """
)


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_match_one_process(tmp_path):
    from movierate.nn.training import train

    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    script = WORKER.format(data=repr(DATA), spec=repr(SPEC))
    procs = []
    for index in range(2):
        env = dict(
            os.environ,
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
        )
        env["TF_CPP_MIN_LOG_LEVEL"] = "2"
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", script, str(tmp_path / f"w{index}.npz")],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    ds = synthetic_dataset(**DATA)
    split = make_split(ds, "random", 0.1, seed=1)
    alone = train(ds, split, ModelSpec(**SPEC))
    try:
        outputs = [p.communicate(timeout=150)[0].decode(errors="replace") for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, out in zip(procs, outputs, strict=True):
        assert p.returncode == 0, out[-3000:]
    workers = [np.load(tmp_path / f"w{i}.npz") for i in range(2)]
    np.testing.assert_allclose(workers[0]["loss"], alone.history["loss"], rtol=1e-4)
    for key, value in alone.arrays.items():
        # Both workers hold the same weights, and they match one process at the same batch.
        np.testing.assert_allclose(workers[0][key], workers[1][key], atol=1e-6, err_msg=key)
        np.testing.assert_allclose(workers[0][key], value, atol=2e-4, rtol=1e-3, err_msg=key)
    # The test can fail: training moved the weights away from their initial values.
    assert alone.history["loss"][1] < alone.history["loss"][0]


def test_a_worker_without_a_spec_trains_what_train_gives_a_set_this_size(tmp_path):
    """README review (s26): without --spec a worker trained a 2 M-rating set at batch 1,024, lr
    0.005, L2 0.1, where `train` gives it batch 32,768, lr 0.02 x 0.7, L2 0.02, and said nothing."""
    from movierate.defaults import LARGE_DATA
    from movierate.nn.distributed import worker_spec
    from movierate.spec import ModelSpec

    spec, note = worker_spec(None, "my-set", 2_000_000)
    large = LARGE_DATA[-1][1]
    assert spec.batch_size == large["batch_size"] and spec.learning_rate == large["learning_rate"]
    assert note.startswith("2,000,000 ratings and no --spec") and "Batch size = 32768" in note
    assert "--batch-size" not in note  # a worker has no such flag (recheck B, s26)
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(ModelSpec(dim=8).to_dict()))
    assert worker_spec(str(path), "my-set", 2_000_000) == (ModelSpec(dim=8), None)
