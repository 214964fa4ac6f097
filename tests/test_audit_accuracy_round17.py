"""Accuracy review round 17: a combined model (seed ensemble, family blend) is described as
what it is wherever it is shown, and numbers that treat it as one plain model say so."""

from __future__ import annotations

import re

import pytest
from apptest_helpers import movierate_env

from movierate import cli, store
from movierate.spec import ModelSpec


@pytest.fixture(scope="module")
def combined_home(tmp_path_factory, movielens_dir):
    """A refit blend whose mf_bias member is 2 seeds, a no-refit blend and a 2-seed ensemble."""
    from movierate.tuning import tune

    home = tmp_path_factory.mktemp("combined-home")
    quick = {"budget_seconds": 300, "n_trials": 1, "max_epochs": 1, "base_spec": ModelSpec(dim=8)}
    with movierate_env(home, movielens_dir):
        tune("ml-latest-small", "blend", blend=True, ensemble=2, **quick)
        tune("ml-latest-small", "blend-nr", blend=True, refit=False, **quick)
        tune("ml-latest-small", "ens", families=("mf_bias",), ensemble=2, **quick)
    return home


@pytest.fixture
def home(combined_home, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(combined_home))
    return combined_home


def _run(args, capsys) -> str:
    assert cli.main(args) == 0
    return capsys.readouterr().out


# --- 1: show on a blend lists each member's settings --------------------------------------------


def test_show_lists_each_blend_members_family_settings_and_weight(home, capsys):
    out = _run(["show", "blend"], capsys)
    spec = out.split("\nspec", 1)[1].split("\nmetrics", 1)[0]
    assert "a blend of 2 models of different families" in spec
    assert "member 1: autorec, weight" in spec and "member 2: mf_bias, weight" in spec
    assert "2 seeds averaged" in spec  # the mf_bias member is itself a seed ensemble
    autorec, mf = spec.split("member 2:")
    assert "family                   autorec" in autorec
    assert "family                   mf_bias" in mf
    metrics = out.split("\nmetrics", 1)[1].split("\nhistory", 1)[0]
    assert "ensemble" not in metrics and "best_epoch" not in metrics  # the first member's
    assert "\n  kept epoch  " not in metrics and "epochs run" not in metrics  # as labelled now


def test_show_on_an_ensemble_says_it_is_one_and_counts_its_seeds(home, capsys):
    out = _run(["show", "ens"], capsys)
    assert "spec (a seed ensemble: these settings fit with 2 seeds" in out
    assert re.search(r"seeds averaged \(seed ensemble\) +2\n", out)  # values line up (N6)
    assert "2.0000" not in out


# --- 2: evaluate labels the stop rows of a model tuned on them as optimistic --------------------


def test_evaluate_labels_a_no_refit_blends_stop_rows_optimistic(home, capsys):
    out = _run(["evaluate", "blend-nr"], capsys)
    assert "early-stopping (chose settings: optimistic)" in out
    assert "they chose the blend weight, its members' settings" in out and "optimistic" in out


def test_evaluate_leaves_refit_models_stop_rows_alone(home, capsys):
    assert store.stop_rows_tuning_chose(store.load_model("ens").meta) is None
    assert "optimistic" not in _run(["evaluate", "ens"], capsys)


# --- 3: a seed ensemble is named as one, and Dimensions says its dims are seed blocks ------------


def test_the_model_summary_and_list_name_a_seed_ensemble(home, capsys):
    from movierate.ui.text import model_summary

    model = store.load_model("ens")
    each = model.dim // 2
    assert store.ensemble_seeds(model) == 2 and model.dim == 2 * each
    summary = model_summary(model)
    assert summary.startswith(f"mf_bias ensemble of 2 seeds, dim {each} each (vectors side by side")
    assert "mf_bias ensemble of 2 seeds" in _run(["list"], capsys)
    info = next(i for i in store.list_models()[0] if i.name == "ens")
    assert store.family_shown(info) == "mf_bias ensemble of 2 seeds"
    # a first-k view of it keeps k dims, not "k/2 each"
    from movierate.explore.ordering import first_k_view

    assert ", dim 6, " in model_summary(first_k_view(model, 6))


def test_dimensions_says_an_ensembles_first_k_dims_are_one_seeds(home):
    from apptest_helpers import open_page

    dim = store.load_model("ens").dim
    at = open_page("pages/dimensions.py", model="ens")
    caption = " ".join(c.value for c in at.caption)
    assert f"is a seed ensemble: its {dim} dims are 2 separately trained seeds' vectors" in caption
    assert f"0-{dim // 2 - 1} seed" in caption and f"{dim // 2}-{dim - 1} seed" in caption
    assert f"The first k dims as trained are one seed's first ones (for k up to {dim // 2})" in (
        caption
    )
    assert "mixes unrelated seeds' bases" in caption


# --- 4: a blend's embedding views say whose columns their geometry follows ----------------------


def _blend_caption_parts(name: str) -> list[str]:
    from movierate import explore

    kind, blocks = explore.column_blocks(store.load_model(name))
    assert kind == "blend" and [b.label.split()[0] for b in blocks] == ["autorec", "mf_bias"]
    return [
        f"is a blend: its {blocks[-1].stop} dims are its members' movie vectors side by side, "
        "each scaled by sqrt(its weight)",
        f"0-{blocks[0].stop - 1} autorec: ",
        f"{blocks[1].start}-{blocks[1].stop - 1} mf_bias (2 seeds of ",
        "of the prediction weight, ",
        "of the squared vector length",
        "neighbours, distances, maps and principal directions here ",
    ]


def test_a_blends_column_blocks_share_the_vector_length(home):
    from movierate import explore

    model = store.load_model("blend")
    _, blocks = explore.column_blocks(model)
    assert sum(b.length_share for b in blocks) == pytest.approx(1.0)
    assert sum(b.weight for b in blocks) == pytest.approx(1.0)
    assert explore.column_blocks(store.load_model("blend-nr"))[0] == "blend"


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("pages/embeddings.py", {"model": "blend"}),
        ("pages/neighbours.py", {"models": "blend", "q": "Toy Story (1995)"}),
    ],
)
def test_the_embedding_views_name_a_blends_column_blocks(home, page, query):
    from apptest_helpers import open_page

    at = open_page(page, **query)
    caption = " ".join(c.value for c in at.caption)
    for part in _blend_caption_parts("blend"):
        assert part in caption, part
