"""AppTest of the Train page: the form, inline validation errors, and a run's live progress.

Jobs run a fake runner (no TensorFlow) that emits training-like progress events; the real
pipeline is exercised by tests/test_jobs.py and tests/test_browser.py.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from apptest_helpers import APP, Event, vega_specs
from streamlit.testing.v1 import AppTest

from movierate.errors import TrainingCancelled
from movierate.jobs import JobRegistry
from movierate.progress import Phase
from movierate.spec import REGULARIZERS, ModelSpec
from movierate.ui import state


@pytest.fixture
def fake_jobs(monkeypatch):
    """A job registry whose runs emit one epoch, then wait for ``release`` before finishing."""
    release = threading.Event()
    submitted = []

    def runner(dataset, spec, name, split_params, progress, cancel):
        submitted.append({"dataset": dataset, "spec": spec, "name": name, "split": split_params})
        epochs = getattr(spec, "epochs", None) or spec.max_epochs  # a ModelSpec or a TuneRequest
        progress(Event(1, epochs, 10, 10, "batch", {"loss": 0.9}))
        progress(
            Event(
                1,
                epochs,
                10,
                10,
                Phase.EPOCH,
                {"train_rmse": 0.95, "stop_rmse": 0.99, "reg_whitening": 0.2},
            )
        )
        while not release.wait(0.02):
            if cancel.is_set():
                raise TrainingCancelled("cancelled by the user")
        progress(
            Event(
                2,
                epochs,
                10,
                10,
                Phase.EPOCH,
                {"train_rmse": 0.9, "stop_rmse": 0.97, "reg_whitening": 0.1},
            )
        )
        kept = {"train_rmse": 0.95, "stop_rmse": 0.96, "best_epoch": 1, "epochs_run": 2}
        progress(Event(1, epochs, 10, 10, Phase.DONE, kept))  # epoch 1 kept, as training does
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    yield registry, submitted, release
    release.set()


def open_train() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def submit(at: AppTest, **values) -> AppTest:
    for label, value in values.items():
        widget = next(w for w in [*at.text_input, *at.selectbox] if w.label == label)
        # the number boxes are text boxes (bad-input round 59, H1)
        widget.set_value(str(value) if widget.type == "text_input" else value)
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_number_boxes_say_their_allowed_range(trained_home, fake_jobs):
    """Views review round 3: the boxes took -3 or 100000 and said the range only after Start."""
    at = open_train()
    dim = next(w for w in at.text_input if w.label == "Embedding dimension")
    assert "Allowed: a whole number from 1 to 1024" in dim.help


def test_form_has_every_option(trained_home, fake_jobs):
    at = open_train()
    labels = {w.label for w in [*at.text_input, *at.selectbox, *at.slider, *at.checkbox]}
    for label in (
        "Dataset",
        "Test split",
        "Test share",
        "Model name",
    ):
        assert label in labels, label
    datasets = next(s for s in at.selectbox if s.label == "Dataset")
    assert datasets.value == "ml-latest-small"
    assert "ml-100k" in datasets.options


def test_form_offers_every_model_spec_field(trained_home, fake_jobs):
    at = open_train()
    keys = {w.key for w in [*at.text_input, *at.selectbox, *at.checkbox]}
    missing = [
        f.name
        for f in dataclasses.fields(ModelSpec)
        if f"spec_{f.name}" not in keys and f.name != "regularizers"
    ]
    assert missing == []
    assert {f"reg_{kind}" for kind in REGULARIZERS} <= keys


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"Embedding dimension": 5000}, "Embedding dimension = 5000 is invalid"),  # its label
        ({"Learning rate": 50.0}, "Learning rate = 50.0 is invalid"),
        ({"Whitening (covariance towards identity)": -0.5}, "whitening"),
        ({"Hidden units (deep only)": "64, lots"}, "Hidden units"),
        ({"Model name": "small-mf"}, "already exists"),
        ({"Model name": "no/slashes"}, "Invalid model name"),
    ],
)
def test_bad_input_is_reported_inline_not_as_a_stack_trace(
    trained_home, fake_jobs, values, message
):
    registry, submitted, _ = fake_jobs
    at = submit(open_train(), **values)
    errors = [e.value for e in at.error]
    assert any(message.lower() in e.lower() for e in errors), errors
    assert all("Something went wrong" not in e for e in errors)
    assert submitted == [] and registry.jobs() == []


def test_a_run_shows_progress_curves_and_survives_leaving_the_page(trained_home, fake_jobs):
    registry, submitted, release = fake_jobs
    at = submit(
        open_train(),
        **{
            "Embedding dimension": 8,
            "Epochs": 2,
            "Whitening (covariance towards identity)": 0.01,
            "Model name": "tiny-white",
        },
    )
    assert not at.error, [e.value for e in at.error]
    job = registry.jobs()[0]
    assert job.name == "tiny-white"
    defaults = ModelSpec()
    assert job.spec == defaults.with_(
        dim=8, epochs=2, regularizers={**defaults.regularizers, "whitening": 0.01}
    )
    _wait(lambda: registry.snapshot(job.id).history.get("epoch") == [1.0])

    # A new session (another tab, or coming back later) sees the same run, still going.
    other = open_train()
    progress = [p for p in other.get("progress")]
    assert progress, "the running job's progress bar is missing"
    assert any("tiny-white" in str(p.proto.text) for p in progress)
    assert "Cancel this run" in [b.label for b in other.button]
    assert len(vega_specs(other)) == 2  # RMSE curves and regularizer losses

    release.set()
    assert registry.wait(job.id, 10).state == "done"
    other.run()
    assert any("Saved as" in s.value and "tiny-white" in s.value for s in other.success)
    # views review round 3: the tiles switched to the kept epoch's numbers without a word
    (bar,) = other.get("progress")
    assert "ran all 2 epochs; kept epoch 1, the best" in str(bar.proto.text)
    tiles = {m.label: m.value for m in other.metric}
    assert tiles["train RMSE, epoch 1"] == "0.9500"
    assert tiles["early-stopping RMSE, epoch 1"] == "0.9600"


def test_cancel_button_stops_the_run(trained_home, fake_jobs):
    registry, _, _ = fake_jobs
    at = submit(open_train(), **{"Model name": "to-cancel", "Epochs": 5})
    job_id = registry.jobs()[0].id
    _wait(lambda: registry.snapshot(job_id).state == "running")
    next(b for b in at.button if b.label == "Cancel this run").click().run()
    assert registry.wait(job_id, 10).state == "cancelled"
    at.run()
    assert any(
        "to-cancel" in str(p.proto.text) and "cancelled" in str(p.proto.text)
        for p in at.get("progress")
    )
    assert any("nothing was saved" in i.value for i in at.info)


def test_no_cancel_button_once_the_model_is_being_saved(trained_home, monkeypatch):
    """Recheck A (s27): a Cancel pressed while the model was being saved was ignored unsaid."""
    release = threading.Event()

    def runner(dataset, spec, name, split_params, progress, cancel):
        kept = {"train_rmse": 0.95, "stop_rmse": 0.96, "best_epoch": 1, "epochs_run": 1}
        progress(Event(1, 1, 10, 10, Phase.DONE, kept))
        release.wait(10)
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    try:
        at = submit(open_train(), **{"Model name": "being-saved", "Epochs": 1})
        job_id = registry.jobs()[0].id
        _wait(
            lambda: registry.snapshot(job_id).phase == "scoring the test rows and saving the model"
        )
        at.run()
        assert "Cancel this run" not in [b.label for b in at.button]
        assert any("too late to cancel" in c.value for c in at.caption)
    finally:
        release.set()
    assert registry.wait(job_id, 10).state == "done"


def _wait(condition, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_a_second_tab_cannot_take_a_name_a_running_job_reserved(trained_home, fake_jobs):
    registry, _, release = fake_jobs
    first = submit(open_train(), **{"Model name": "shared-name"})
    assert not first.error
    second = submit(open_train(), **{"Model name": "shared-name"})
    assert any("already producing" in e.value for e in second.error)
    third = submit(open_train(), **{"Model name": "other-name"})
    assert not third.error
    assert sorted(j.name for j in registry.jobs()) == ["other-name", "shared-name"]
    release.set()
    assert all(registry.wait(j.id, 10).state == "done" for j in registry.jobs())


def test_regularizer_steps_are_the_measured_strengths_and_l2_with_whitening_warns(
    trained_home, fake_jobs
):
    from movierate.advice import DEFAULT_STRENGTHS

    at = open_train()
    helps = {w.key: w.help for w in at.text_input if w.key and w.key.startswith("reg_")}
    assert helps.keys() == {f"reg_{k}" for k in DEFAULT_STRENGTHS}
    for kind, strength in DEFAULT_STRENGTHS.items():
        assert f"Type {strength:g}, the strength measured" in helps[f"reg_{kind}"]
    at = submit(
        at,
        **{
            "Epochs": 1,
            "Whitening (covariance towards identity)": DEFAULT_STRENGTHS["whitening"],
            "Model name": "l2-and-white",
        },
    )
    warnings = [w.value for w in at.warning]
    assert any("L2 and whitening pull in opposite directions" in w for w in warnings), warnings


def test_tune_a_tiny_budget_from_the_train_page_saves_the_winner_with_its_trials(monkeypatch):
    import time

    from movierate import store
    from movierate.tuning import TuneRequest, job_runner

    registry = JobRegistry(runner=job_runner, max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    at = open_train()
    at.multiselect(key="tune_families").set_value(["mf_bias"])
    next(w for w in at.text_input if w.label == "Budget (minutes)").set_value("0,5")
    next(w for w in at.text_input if w.label.startswith("Stop after")).set_value("1")
    at.text_input(key="tune_name").set_value("tiny-tune")
    assert at.checkbox(key="tune_refit").value is True  # refit on train + stop rows by default
    assert at.text_input(key="tune_ensemble").value == "1"
    next(b for b in at.button if b.label == "Start tuning").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (job,) = registry.jobs()
    assert isinstance(job.spec, TuneRequest) and job.spec.n_trials == 1 and job.spec.refit
    deadline = time.monotonic() + 240
    while registry.jobs()[0].active and time.monotonic() < deadline:
        time.sleep(0.5)
    job = registry.jobs()[0]
    assert job.state == "done", job.error
    model = store.load_model("tiny-tune")
    assert model.meta["tuning"]["n_trials"] == 1
    assert model.test_rmse is not None  # measured once, after the search
    # refit on train + stop rows: those rows are training rows now, never reported as held out
    assert model.split_record["stop_rows_trained"] is True
    assert "stop_rmse" not in model.metrics
    at.run()
    assert not at.exception
    assert any("Saved as **tiny-tune**" in s.value for s in at.success)
    assert any(
        "What was tried" in c.value and "refit on the training + early-stopping rows" in c.value
        for c in at.caption
    )


def test_the_tune_form_queues_a_blend_of_autorec_and_mf_bias(trained_home, fake_jobs):
    import time

    from movierate.tuning import DEFAULT_BLEND, TuneRequest

    registry, submitted, release = fake_jobs
    at = open_train()
    assert at.checkbox(key="tune_blend").value is False
    at.checkbox(key="tune_blend").check()
    next(w for w in at.text_input if w.label == "Budget (minutes)").set_value("0.5")
    at.text_input(key="tune_name").set_value("tiny-blend")
    next(b for b in at.button if b.label == "Start tuning").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    deadline = time.monotonic() + 30
    while not submitted and time.monotonic() < deadline:
        time.sleep(0.05)
    release.set()
    (job,) = submitted
    request = job["spec"]
    assert isinstance(request, TuneRequest) and request.blend and request.refit
    assert request.families == DEFAULT_BLEND  # the form's default mf_bias: autorec + mf_bias
    assert job["name"] == "tiny-blend" and registry.jobs()
    (snapshot,) = registry.jobs()
    assert registry.wait(snapshot.id, timeout=30).state == "done"
    # a family that cannot be blended is refused in the form
    at.multiselect(key="tune_families").set_value(["deep"])
    at.text_input(key="tune_name").set_value("bad-blend")
    next(b for b in at.button if b.label == "Start tuning").click().run()
    assert any("blend" in e.value for e in at.error), [e.value for e in at.error]


def test_the_form_offers_ml_100k_s_official_splits(trained_home, fake_jobs):
    """Views round 4b: the CLI's --split official:u1 had no counterpart on the Train page."""
    _, submitted, release = fake_jobs
    at = open_train()
    split = next(w for w in at.selectbox if w.label == "Test split")
    assert "official:ub" in split.options or any("official ub" in o for o in split.options)
    split.set_value("official:u1")
    submit(at, Dataset="ml-100k", **{"Model name": "official-u1"})
    release.set()
    assert submitted[-1]["dataset"] == "ml-100k"
    assert submitted[-1]["split"]["method"] == "official:u1"


def test_an_official_split_on_a_dataset_without_it_is_refused_in_the_form(trained_home, fake_jobs):
    """Recheck 2: the run was queued on ml-latest-small, then failed naming the CLI's split
    values (random, per_user, temporal) instead of the form's."""
    _, submitted, _ = fake_jobs
    at = open_train()
    next(w for w in at.selectbox if w.label == "Test split").set_value("official:u1")
    at = submit(at, Dataset="ml-latest-small", **{"Model name": "no-official"})
    errors = [e.value for e in at.error]
    assert any(
        "ml-latest-small has no official split u1" in e and "'Random ratings'" in e for e in errors
    ), errors
    assert not submitted


def test_official_splits_are_found_in_a_zip_not_yet_extracted(tmp_path, monkeypatch):
    """Recheck 3: with ml-100k only as its zip, the form's check found no official split and
    would refuse 'ml-100k has no official split u1'."""
    import zipfile

    from movierate.data import official_split_names

    with zipfile.ZipFile(tmp_path / "ml-100k.zip", "w") as archive:
        for name in ("u.data", "u1.base", "u1.test", "ua.base", "ua.test"):
            archive.writestr(f"ml-100k/{name}", "1\t1\t5\t881250949\n")
    monkeypatch.setenv("MOVIERATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    assert official_split_names("ml-100k") == ["u1", "ua"]


def _submitted_spec(at: AppTest, submitted: list, n: int) -> ModelSpec:
    deadline = time.monotonic() + 30
    while len(submitted) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    return submitted[-1]["spec"]


def test_use_exactly_keeps_a_value_equal_to_the_form_s(trained_home, fake_jobs):
    """A value typed equal to the form's (dim 32 for autorec) was taken as left unchanged and
    replaced by the family's default, with no way to keep it: the form now has a tick for it."""
    registry, submitted, release = fake_jobs
    release.set()
    at = submit(open_train(), **{"Model family": "autorec", "Model name": "auto-filled"})
    assert any("autorec uses its own defaults" in i.value for i in at.info)
    assert _submitted_spec(at, submitted, 1).dim == 500
    at = open_train()
    next(c for c in at.checkbox if c.label == "Use exactly the values above").check()
    submit(at, **{"Model family": "autorec", "Model name": "auto-exact"})
    spec = _submitted_spec(at, submitted, 2)
    assert submitted[-1]["name"] == "auto-exact" and spec.family == "autorec" and spec.dim == 32


def test_whole_number_boxes_keep_what_was_typed_and_refuse_fractions(trained_home, fake_jobs):
    """Bad-input round 13: Streamlit's integer boxes read "1e4" as 1 and "64.9" as 64 in the
    browser (a dimension of 1e30 trained a dim-1 model), and turned red past 2^53 with Start
    doing nothing. The boxes now hold floats, checked as whole numbers on Start."""
    registry, submitted, release = fake_jobs
    release.set()
    for value, message in [
        (64.9, "Embedding dimension = 64.9 is not a whole number"),
        (1e30, "Embedding dimension = 1e+30 is too large: use a whole number from 1 to 1024"),
        (5000.0, "Embedding dimension = 5000 is invalid"),
    ]:
        at = submit(open_train(), **{"Embedding dimension": value})
        assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert submitted == []
    submit(open_train(), **{"Batch size": 1e4, "Model name": "batch-1e4"})
    assert _submitted_spec(None, submitted, 1).batch_size == 10_000
