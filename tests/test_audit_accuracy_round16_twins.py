"""Accuracy review round 16, F3: seed twins were judged on declared settings, so a --patience
that never acted (every run reached its epoch cap, best epoch last: bit-identical weights) made
"only the seed differs" read "more than the draw". Twins are now judged on the settings that
could have acted, by replaying each run's recorded history, and the verdict names the rest."""

from __future__ import annotations

from types import SimpleNamespace

from movierate import paired
from movierate.spec import ModelSpec

IMPROVING = [1.2 - 0.02 * e for e in range(10)]  # every epoch better: best epoch last
#: better until epoch 6, then worse: patience 3 stops after epoch 10 keeping epoch 6
TURNING = [1.2, 1.1, 1.05, 1.0, 0.98, 0.97, 0.99, 1.0, 1.01, 1.02, 1.03, 1.04]


def _model(name: str, seed: int, watched: list[float], run: int, best: int, **spec):
    """A trained model whose early stopping watched ``watched`` and ran ``run`` epochs."""
    return SimpleNamespace(
        name=name,
        spec=ModelSpec(seed=seed, **spec),
        meta={
            "split": {"method": "random", "seed": 42, "n_test": 10, "digest": "d"},
            "dataset": {"name": "s1_10", "fingerprint": "f"},
            "history": {"stop_rmse": watched[:run], "train_rmse": watched[:run]},
        },
        metrics={"test_rmse": 1.4, "epochs_run": run, "best_epoch": best, "settled_epoch": 1},
    )


def test_a_patience_that_never_acted_leaves_seed_twins_twins():
    """The review's case: epochs 10, every run at its cap with the best epoch last."""
    a = _model("r3_s8", 8, IMPROVING, 10, 10, epochs=10)
    b = _model("r3_p4", 5, IMPROVING, 10, 10, epochs=10, early_stopping_patience=4)
    draws = paired.seed_twins(a, b)
    assert draws == (paired.SEED_DRAW,) and draws.inert == ("early_stopping_patience",)
    assert paired.twin_verdict(draws) == "only the seed differs; patience differs but never acted"
    note = paired.seed_twins_text([a, b])
    assert "r3_s8 and r3_p4 have the same settings (patience differs but never acted)" in note
    difference = paired.PairedDifference(
        "r3_p4", "r3_s8", 2000, 1.45, 1.39, 0.01, 0.5, n_users=500, twin=draws
    )
    assert difference.short().endswith("only the seed differs; patience differs but never acted)")
    assert "patience differs but never acted" in difference.sentence()
    plain = paired.seed_twins(a, _model("s", 5, IMPROVING, 10, 10, epochs=10))
    assert paired.twin_verdict(plain) == "only the seed differs"  # the old wording unchanged


def test_a_patience_that_stopped_a_run_or_chose_its_epoch_still_counts():
    stopped = _model("p3", 1, TURNING, 10, 6, epochs=12)  # patience 3 ended it at epoch 10
    longer = _model("p5", 2, TURNING, 12, 6, epochs=12, early_stopping_patience=5)
    assert paired.seed_twins(stopped, longer) == ()
    off = _model("p0", 2, TURNING, 12, 12, epochs=12, early_stopping_patience=0)
    at_cap = _model("p3cap", 1, TURNING, 10, 6, epochs=10)  # reached its cap, kept epoch 6
    assert paired.seed_twins(at_cap, off) == ()  # patience 0 keeps the last epoch instead
    wider = _model("p4cap", 2, TURNING, 10, 6, epochs=10, early_stopping_patience=4)
    assert paired.seed_twins(at_cap, wider).inert == ("early_stopping_patience",)


def test_an_epoch_cap_counts_only_where_a_run_reached_it():
    short = _model("e12", 1, TURNING, 10, 6, epochs=12)  # stopped at 10: the cap never acted
    long = _model("e40", 2, TURNING, 10, 6, epochs=40)
    assert paired.seed_twins(short, long).inert == ("epochs",)
    capped = _model("e10", 1, IMPROVING, 10, 10, epochs=10)
    more = _model("e40b", 2, IMPROVING + [1.0] * 4, 14, 10, epochs=40)
    assert paired.seed_twins(capped, more) == ()  # the cap of 10 ended a run


def test_a_learning_rate_decay_counts_once_a_run_reached_a_second_epoch():
    a = _model("d1", 1, IMPROVING, 10, 10, epochs=10)
    b = _model("d07", 2, IMPROVING, 10, 10, epochs=10, learning_rate_decay=0.7)
    assert paired.seed_twins(a, b) == ()
    one = [
        _model(f"o{s}", s, [1.0], 1, 1, epochs=1, learning_rate_decay=d)
        for s, d in ((1, 1.0), (2, 0.7))
    ]
    assert paired.seed_twins(*one).inert == ("learning_rate_decay",)


def test_settings_that_act_whatever_the_history_and_unreplayable_runs_stay_apart():
    a = _model("a", 1, IMPROVING, 10, 10, epochs=10)
    assert (
        paired.seed_twins(
            a, _model("l2", 2, IMPROVING, 10, 10, epochs=10, regularizers={"l2": 0.3})
        )
        == ()
    )
    b = _model("b", 2, IMPROVING, 10, 10, epochs=10, early_stopping_patience=4)
    b.meta["history"] = {}  # an old record: nothing to replay
    assert paired.seed_twins(a, b) == ()
    c = _model("c", 2, IMPROVING, 10, 10, epochs=10, early_stopping_patience=4)
    c.metrics["epochs_run"] = 7  # stopped by its time budget: not what the replay gives
    assert paired.seed_twins(a, c) == ()
