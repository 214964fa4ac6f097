"""Links that name what they show (views round 7: a workshop link copied from a page showing
the newest model did not name it, and later opened whichever model was newest; a link naming
the newest model lost its ``?model=``; a Recommend link with a sampled user was refused)."""

from __future__ import annotations

from apptest_helpers import assert_clean, open_page

from movierate import store


def linked(at, key: str) -> list[str]:
    """The link's values of ``key`` (AppTest keeps one as a text, several as a list)."""
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def test_a_first_view_names_its_model_in_the_link(trained_home):
    newest = store.list_models()[0][0].name
    at = open_page("pages/embeddings.py")
    assert linked(at, "model") == [newest]
    assert at.selectbox(key="model").value == newest
    at = open_page("pages/neighbours.py")
    assert linked(at, "models") == at.multiselect(key="models").value  # the newest ones
    assert linked(at, "models")


def test_a_link_naming_the_newest_model_keeps_it(trained_home):
    newest = store.list_models()[0][0].name
    older = store.list_models()[0][1].name
    for name in (newest, older):
        at = open_page("pages/embeddings.py", model=name)
        assert at.selectbox(key="model").value == name
        assert linked(at, "model") == [name]


def test_a_recommend_link_keeps_its_sampled_user(trained_home):
    """The user box is a float box (bad-input round 13), so a sampled user is "155.0" in the
    link; reopening the link refused it as "not in ml-latest-small"."""
    at = open_page("pages/recommend.py", user="155.0")
    assert not at.warning or all("Ignored" not in w.value for w in at.warning)
    assert float(at.text_input(key="user").value) == 155  # a text box (round 59, H1)


def test_wide_movie_tables_put_the_numbers_before_the_text(trained_home):
    """Views round 7: at 1024 px a wide table scrolls, and its right-aligned numbers were cut
    to their first digit (Pulp Fiction's 307 ratings read "3"); the text columns now come last,
    but the title, pinned first, which stays in view beside the numbers."""
    at = open_page("pages/embeddings.py", view="Principal components")
    tables = [t.value for t in at.dataframe if "score" in t.value.columns]
    assert tables
    for table in tables:
        assert list(table.columns[:2]) == ["rank", "title"]  # pinned (views round 13)
        assert list(table.columns[-1:]) == ["genres"]
        assert {"score", "n_ratings"} <= set(table.columns[2:-1])


def test_the_views_settings_are_in_the_link(trained_home):
    """Views round 7: "Components" 5 went back to 3 on a reload; a worksheet question on the
    fifth component could not be handed out as a link."""
    at = open_page(
        "pages/embeddings.py", model="small-mf", view="Principal components",
        pca_components="5", pca_movies="4", pca_min_ratings="20",
    )  # fmt: skip
    assert at.slider(key="pca_components").value == 5
    assert at.slider(key="pca_movies").value == 4
    assert at.slider(key="pca_min_ratings").value == 20
    headings = [m.value for m in at.markdown if str(m.value).startswith("**Component")]
    assert len(headings) == 5
    at = open_page(
        "pages/embeddings.py", model="small-mf", view="Covariance", matrix="correlation",
        weighting="log_n_ratings", cov_min_ratings="50",
    )  # fmt: skip
    assert at.segmented_control(key="matrix").value == "correlation"
    assert at.selectbox(key="weighting").value == "log_n_ratings"  # a link saved before 19b
    assert at.slider(key="cov_min_ratings").value == 50
    # the label the URL keeps since accuracy round 19b
    at = open_page(
        "pages/embeddings.py", model="small-mf", view="Covariance",
        weighting="log(1 + training ratings)",
    )  # fmt: skip
    assert at.selectbox(key="weighting").value == "log_n_ratings"
    assert_clean(at)


def test_a_pick_follows_the_session_across_pages_and_an_emptied_box_stays_empty(trained_home):
    """Recheck: a page opened from a link lost its model on the first sidebar move (the next
    page showed the newest model, its link naming none); emptying a multi-model box refilled it
    with the newest models."""
    older = store.list_models()[0][1].name
    at = open_page("pages/dimensions.py", model=older)
    at.switch_page("pages/embeddings.py").run()  # a sidebar move: no link parameters
    assert at.selectbox(key="model").value == older
    assert linked(at, "model") == [older]
    at = open_page("pages/compare.py")
    at.multiselect(key="models").set_value([]).run()
    assert at.multiselect(key="models").value == []  # (AppTest keeps the URL as opened)
    assert any("Pick" in i.value for i in at.info)


def test_explore_s_model_b_is_named_in_the_link(trained_home):
    """Recheck: "Two models, one frame" left Model B out of the link, so the link later opened
    another model B."""
    names = [info.name for info in store.list_models()[0]]
    at = open_page("pages/explore.py", view="align", model=names[0])
    partner = at.selectbox(key="model_b").value
    assert partner in names and partner != names[0]
    assert linked(at, "model_b") == [partner]


def test_a_map_link_keeps_every_setting_it_names(trained_home):
    """Explorer review (s28), finding 3: ?map_method=pca&colour=year opened the PCA map by
    year but dropped both from the URL, so the copied link opened t-SNE; the genre, the
    Regions switch and the focused movie were never in the link."""
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="pca",
                   colour="year", map_regions="false")  # fmt: skip
    assert linked(at, "map_method") == ["PCA"] and linked(at, "colour") == ["Release year"]
    assert at.segmented_control(key="map_method").value == "pca"
    assert at.selectbox(key="colour").value == "year"
    assert linked(at, "map_regions") == ["false"] and at.toggle(key="map_regions").value is False
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="PCA",
                   colour="one_genre", map_genre="Comedy", focus="1")  # fmt: skip
    assert at.selectbox(key="map_genre").value == "Comedy" and linked(at, "map_genre") == ["Comedy"]
    assert any("Nearest to _Toy Story_**" in m.value for m in at.markdown)
    assert linked(at, "focus") == ["1"]
    link = next(c.value for c in at.code)
    assert "map_genre=Comedy" in link and "focus=1" in link and "map_method=PCA" in link
    # the colouring's old label, in links saved before it was shortened, still opens it
    at = open_page("pages/embeddings.py", model="small-mf", view="Map", map_method="PCA",
                   colour="All genres (each movie's rarest)")  # fmt: skip
    assert at.selectbox(key="colour").value == "genre"
