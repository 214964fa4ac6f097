"""Bad-input review round 20, what fixer U left: a link value that passes ``URL_PARAMS`` but
the shown model or data cannot show is said ("Ignored ?name=value from the link: why.") and
left out of the URL, on every page. Streamlit's URL-bound select boxes (the map's and the
title pickers' ``tsne_pick``, ``candidate``, ``an_pick_0..2``) dropped a pick not among their
options unsaid; Explore's users map fell back from a colouring its data lacks unsaid; a
minimum-ratings filter or a "One model per row" switch that the page does not draw for the
model shown stayed in the link while the page ignored it.

The table of every parameter of ``state.URL_PARAMS``, page by page, is in the fix's commit."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_audit_input_round20_links as links
from apptest_helpers import assert_clean, open_page
from test_audit_input_round20_links import notices

home = links.home  # the fixture: the session's models and an imported embedding, own home

MAP = {"view": "Map", "map_method": "PCA"}
#: A pick no title search here offers (a film of another data set, as a box lists it).
ELSEWHERE = "Nowhere Film (1999), 3 ratings"


ANALOGY = {"view": "analogy", "an_a": "star wars", "an_b": "Toy Story", "an_c": "Heat"}

#: (page, link, the parameter ignored, words of the reason): each a well-typed value that the
#: shown model cannot show, which the old pages dropped, replaced or kept unsaid.
CASES = [
    # select boxes bound to the URL whose options depend on the data
    ("embeddings", {"model": "small-mf", "q": "star wars", "tsne_pick": ELSEWHERE, **MAP},
     "tsne_pick", "not among the"),
    ("embeddings", {"model": "small-mf", "q": "jumanji", "tsne_pick": ELSEWHERE, **MAP},
     "tsne_pick", "matches one title on the map, Jumanji (1995)"),
    ("neighbours", {"models": "small-mf", "q": "star wars", "candidate": ELSEWHERE},
     "candidate", "not among the titles that match 'star wars'"),
    ("neighbours", {"models": "small-mf", "q": "jumanji 1995", "candidate": ELSEWHERE},
     "candidate", "'jumanji 1995' names one movie, Jumanji (1995)"),
    ("explore", {"model": "small-mf", **ANALOGY, "an_pick_0": ELSEWHERE},
     "an_pick_0", "not among the titles that match 'star wars'"),
    # Explore's users map: a colouring the data set lacks
    ("explore", {"model": "small-mf", "view": "users", "ucolour": "gender"},
     "ucolour", "small-mf's data set has no gender of its users"),
    # filters and switches the page does not draw for the model shown
    ("embeddings", {"model": "imp", "tsne_min": "20", **MAP},
     "tsne_min", "imp's movies have no rating counts"),
    ("embeddings", {"model": "imp", "cov_min_ratings": "20"},
     "cov_min_ratings", "imp has no rating counts"),
    ("embeddings", {"model": "imp", "view": "Principal components", "pca_min_ratings": "20"},
     "pca_min_ratings", "imp has no rating counts"),
    ("neighbours", {"models": "imp", "q": "Film 12", "min_ratings": "20"},
     "min_ratings", "imp has no rating counts"),
    ("explore", {"model": "imp", **ANALOGY, "an_a": "Film 1", "an_b": "Film 2",
                 "an_c": "Film 3", "an_min": "20"}, "an_min", "imp has no rating counts"),
    ("explore", {"model": "imp", "view": "axes", "xa": "Film 1", "xb": "Film 2",
                 "axes_min": "20"}, "axes_min", "imp has no rating counts"),
    ("neighbours", {"models": "small-mf", "q": "jumanji 1995", "wide": "false"},
     "wide", "one model's table always has a row of its own"),
    ("recommend", {"models": "small-mf", "user": "1", "wide": "false"},
     "wide", "one model's table always has a row of its own"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("page", "link", "key", "why"), CASES, ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)]
)
def test_a_linked_value_the_page_cannot_show_is_said_and_left_out(home, page, link, key, why):
    at = open_page(f"pages/{page}.py", **link)
    said = notices(at)
    assert f"Ignored ?{key}=" in said and why in said, said
    assert key not in dict(at.query_params), dict(at.query_params)
    at.run()  # said once, and the page stays clean
    assert_clean(at)
    assert f"Ignored ?{key}=" not in notices(at)


def test_a_linked_pick_among_the_options_is_used_and_kept(home):
    first = open_page("pages/neighbours.py", models="small-mf", q="star wars")
    second = first.selectbox(key="candidate").options[1]
    at = open_page("pages/neighbours.py", models="small-mf", q="star wars", candidate=second)
    assert at.selectbox(key="candidate").value == second and "Ignored" not in notices(at)
    assert dict(at.query_params)["candidate"] == second


def test_this_sessions_own_pick_is_taken_out_unsaid_when_the_search_changes(home):
    """Not from the link: no notice, but the URL names no pick the page no longer shows."""
    at = open_page("pages/neighbours.py", models="small-mf", q="star wars")
    box = at.selectbox(key="candidate")
    at.query_params["candidate"] = box.options[1]  # as the browser's URL follows the box
    box.select_index(1).run()
    at.text_input(key="q").set_value("jumanji 1995").run()
    at.run()
    assert_clean(at)
    assert "Ignored" not in notices(at) and "candidate" not in dict(at.query_params)


#: Select boxes bound to the URL with a check of their own before them, by key: the map's
#: colouring (``fit_link_to_options``) and genre (a genre the data lacks), Recommend's text
#: user ids (``state.read_url``'s user check).
OWN_CHECK = {"colour", "map_genre", "user"}
#: The model pickers of ``widgets``: ``state.read_url`` checks the names, ``_name_in_link`` the
#: fallback.
PICKERS = {"pick_models", "pick_one"}


def test_every_bound_select_box_says_a_linked_value_it_cannot_show():
    """The class of fault: a select box or multiselect bound to the URL drops a linked value
    outside its options unsaid. Each goes through ``widgets.bound_selectbox`` (or has a check
    of its own), so a new one cannot bring the silent drop back."""
    import ast

    root = Path(__file__).resolve().parents[1]
    scripts = [*(root / "pages").glob("*.py"), *(root / "movierate" / "ui").glob("*.py")]
    unchecked = []
    for script in scripts:
        tree = ast.parse(script.read_text())
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef) or func.name in PICKERS | {"bound_selectbox"}:
                continue
            for node in ast.walk(func):
                if not isinstance(node, ast.Call):
                    continue
                kw = {k.arg: k.value for k in node.keywords}
                bind = kw.get("bind")
                if getattr(node.func, "attr", "") not in ("selectbox", "multiselect"):
                    continue
                if not (isinstance(bind, ast.Constant) and bind.value == "query-params"):
                    continue
                key = kw["key"].value if isinstance(kw.get("key"), ast.Constant) else None
                if key not in OWN_CHECK:
                    unchecked.append(f"{script.name}:{node.lineno} ({func.name}, ?{key})")
    assert not unchecked, unchecked
