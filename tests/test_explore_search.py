"""movierate.explore.search: titles found the way people type them."""

from __future__ import annotations

import time

import pytest
from test_explore_helpers import movies_table

from movierate.errors import DataError
from movierate.explore import TitleIndex, find_movie, search_titles
from movierate.explore.search import normalise_title, split_year

CATALOGUE = [
    ("Toy Story", 1995, 215),
    ("Toy Story 2", 1999, 97),
    ("Toy Story 3", 2010, 55),
    ("Tokyo Story (Tôkyô monogatari)", 1953, 7),
    ("Matrix, The", 1999, 278),
    ("Matrix Reloaded, The", 2003, 96),
    ("Amelie (Fabuleux destin d'Amélie Poulain, Le)", 2001, 120),
    ("City of Lost Children, The (Cité des enfants perdus, La)", 1995, 40),
    ("Hamlet", 1996, 25),
    ("Hamlet", 1990, 15),
    ("Godfather, The", 1972, 192),
    ("Godfather: Part II, The", 1974, 129),
    ("Seven (a.k.a. Se7en)", 1995, 203),
    ("1984 (Nineteen Eighty-Four)", 1984, 10),
    ("Schindler's List", 1993, 220),
    ("Die Hard", 1988, 145),
    ("Hard Target", 1993, 12),
]


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    titles, years, counts = zip(*CATALOGUE, strict=True)
    return TitleIndex(movies_table(len(CATALOGUE), titles=titles, years=years, n_ratings=counts))


def _found(index: TitleIndex, query: str) -> tuple[str, int]:
    row = index.resolve(query)
    return CATALOGUE[row][0], CATALOGUE[row][1]


@pytest.mark.parametrize(
    ("query", "title", "year"),
    [
        ("The Matrix", "Matrix, The", 1999),
        ("matrix", "Matrix, The", 1999),
        ("MATRIX, THE", "Matrix, The", 1999),
        ("amelie", "Amelie (Fabuleux destin d'Amélie Poulain, Le)", 2001),
        ("Amélie", "Amelie (Fabuleux destin d'Amélie Poulain, Le)", 2001),
        ("fabuleux destin d amelie poulain", "Amelie (Fabuleux destin d'Amélie Poulain, Le)", 2001),
        ("toy story 1995", "Toy Story", 1995),
        ("Toy Story (1999)", "Toy Story 2", 1999),
        ("Toy Stroy", "Toy Story", 1995),
        ("toy story 3", "Toy Story 3", 2010),
        (
            "la cite des enfants perdus",
            "City of Lost Children, The (Cité des enfants perdus, La)",
            1995,
        ),
        ("godfather part ii", "Godfather: Part II, The", 1974),
        ("godfather 2", "Godfather: Part II, The", 1974),
        ("se7en", "Seven (a.k.a. Se7en)", 1995),
        ("1984", "1984 (Nineteen Eighty-Four)", 1984),
        ("schindlers list", "Schindler's List", 1993),
        ("hamlet 1990", "Hamlet", 1990),
        ("die hard", "Die Hard", 1988),
    ],
)
def test_queries_people_type(index, query, title, year):
    assert _found(index, query) == (title, year)


def test_ambiguous_query_offers_ranked_candidates(index):
    result = index.search("hamlet")
    assert list(result["title"][:2]) == ["Hamlet", "Hamlet"]
    assert list(result["year"][:2]) == [1996, 1990]  # equal scores: the more rated first
    with pytest.raises(DataError, match=r"several movies.*Hamlet 1996.*Hamlet 1990"):
        index.resolve("hamlet")


def test_search_ranks_and_scores(index):
    result = index.search("toy story", limit=3)
    assert list(result["title"]) == ["Toy Story", "Toy Story 2", "Toy Story 3"]
    assert list(result["rank"]) == [1, 2, 3]
    assert result["score"].iloc[0] == 1.0 > result["score"].iloc[1]
    assert {"movie_idx", "year", "genres", "n_ratings"} <= set(result.columns)


def test_foreign_articles_are_not_dropped(index):
    result = index.search("hard", limit=2)
    assert list(result["title"]) == ["Hard Target", "Die Hard"]  # a prefix beats a last word
    assert result["score"].max() < 1.0  # "Die Hard" is not "Hard"


def test_no_match_and_empty_query(index):
    with pytest.raises(DataError, match="No movie title matches"):
        index.resolve("qwxzv plonk")
    with pytest.raises(DataError, match="Type part of a movie title"):
        index.search("  ?! ")


def test_helpers():
    assert normalise_title("Matrix, The") == "the matrix"
    assert normalise_title("Amélie & Co.") == "amelie and co"
    assert split_year("toy story 1995") == ("toy story", 1995)
    assert split_year("1984") == ("1984", None)
    assert split_year("blade runner 2049") == ("blade runner 2049", None)
    movies = movies_table(2, titles=["Heat", "Alien"], years=[1995, 1979])
    assert find_movie(movies, "alien") == 1
    assert search_titles(movies, "heat")["movie_idx"].iloc[0] == 0


def test_a_series_name_lists_the_best_known_film_first():
    """ "star wars" names every film of the series equally well (a part of each subtitled
    title): the most rated comes first, not the shortest title; a year settles it."""
    titles = [
        "Star Wars: The Last Jedi",
        "The Star Wars Holiday Special",
        "Star Wars: Episode IV - A New Hope",
        "Star Wars: Episode V - The Empire Strikes Back",
        "Star Wars: The Clone Wars",
    ]
    movies = movies_table(
        len(titles),
        titles=titles,
        years=[2017, 1978, 1977, 1980, 2008],
        n_ratings=[12, 1, 251, 211, 7],
    )
    found = search_titles(movies, "star wars", limit=5)
    assert list(found["title"][:2]) == [titles[2], titles[3]]
    assert found["score"].iloc[0] == found["score"].iloc[1]  # equally good: ratings decide
    assert found["title"].iloc[-1] == "The Star Wars Holiday Special"
    with pytest.raises(DataError, match="several movies"):
        find_movie(movies, "star wars")
    assert find_movie(movies, "star wars 1977") == 2
    assert find_movie(movies, "the empire strikes back") == 3


def test_titles_in_any_script_and_emoji_are_found():
    """Views round 6: a lecturer's Japanese, Arabic and emoji titles gave "Type part of a movie
    title" whatever was typed, the pages' own suggestions included (only a-z and 0-9 were
    kept of a title)."""
    titles = ["ノルウェイの森", "こころ", "砂の女", "باب الشمس", "الأيام", "Robot ロボット 🤖"]
    titles += ["🦊 Fox", "Toy Story", "Amélie"]
    index = TitleIndex(movies_table(len(titles), titles=titles))
    for query, title in [
        *((t, t) for t in titles),
        ("森", "ノルウェイの森"),  # a word of a script written without spaces
        ("باب", "باب الشمس"),
        ("🦊", "🦊 Fox"),
        ("ロボット", "Robot ロボット 🤖"),
        ("amelie", "Amélie"),
    ]:
        assert titles[index.resolve(query)] == title, query


def test_marks_that_are_part_of_a_letter_are_kept():
    """The recheck: marks were stripped in every script, so カメラ (camera) resolved to ガメラ
    (Gamera), an exact ゴジラ was ambiguous with コジラ, and दिल and दाल read alike; Latin
    accents may still be left out."""
    titles = ["ガメラ", "ゴジラ", "コジラ", "दिल", "दाल", "Amélie", "Москва́"]
    index = TitleIndex(movies_table(len(titles), titles=titles))
    assert titles[index.resolve("ゴジラ")] == "ゴジラ"
    assert titles[index.resolve("दिल")] == "दिल"
    assert index.search("カメラ", limit=3)["score"].max() < 1.0  # no exact match: no camera
    assert titles[index.resolve("amelie")] == "Amélie"
    assert titles[index.resolve("москва")] == "Москва́"
    assert normalise_title("हिंदी मीडियम") == "हिंदी मीडियम"


def test_containing_finds_every_title_holding_the_text(index):
    """Explorer review s28, finding 1: a title set is the titles that contain the text (case,
    accents, punctuation and a moved article aside), a year at the end keeping that year's."""
    titles = [t for t, _, _ in CATALOGUE]

    def held(query: str, **kwargs) -> list[str]:
        return [titles[i] for i in index.containing(query, **kwargs)]

    assert held("toy story") == ["Toy Story", "Toy Story 2", "Toy Story 3"]
    assert held("TOY STORY 1995") == ["Toy Story"]  # the year filters ...
    assert held("1984") == ["1984 (Nineteen Eighty-Four)"]  # ... a year alone is a title
    assert held("the matrix") == ["Matrix, The", "Matrix Reloaded, The"]
    assert held("amélie") == held("AMELIE") == [titles[6]]
    assert held("schindlers") == ["Schindler's List"]
    assert held("toy stroy") == []  # no fuzzy matches here
    with pytest.raises(DataError, match="Type part of a movie title"):
        index.containing(" !? ")


def test_containing_with_a_regular_expression(index):
    """Explorer review s28, finding 9: a regex option, matched in the title as written and
    without accents, ignoring case; a bad pattern says what is wrong."""
    titles = [t for t, _, _ in CATALOGUE]
    found = [titles[i] for i in index.containing(r"^toy story \d$", regex=True)]
    assert found == ["Toy Story 2", "Toy Story 3"]
    assert [titles[i] for i in index.containing("Poulain", regex=True)] == [titles[6]]
    assert list(index.containing("amelie poulain", regex=True)) == [6]  # accents optional
    assert list(index.containing("d'amélie", regex=True)) == [6]
    assert len(index.containing("amelie, le", regex=True)) == 0  # the title as written
    with pytest.raises(DataError, match=r"'\(' is not a valid regular expression \(missing \)"):
        index.containing("(", regex=True)


def test_a_regular_expression_that_could_run_for_minutes_is_refused(index):
    """'(.*)*x' ran for over a minute on ml-latest-small's titles (catastrophic backtracking),
    holding the page; a repetition of a repeating part is refused with the way out."""
    for pattern in ("(.*)*x", "(a+)+$", r"(\w+\s?)+$", "(?:ab|c+)*d"):
        with pytest.raises(DataError, match="repeats a part that itself repeats"):
            index.containing(pattern, regex=True)
    for pattern in ("(a++)+", "(toy|hard)s?", "(ab){2,}", "[a-z]+(x)*"):
        index.containing(pattern, regex=True)  # bounded or possessive: run


def test_any_regular_expression_that_runs_too_long_is_stopped_with_a_way_out():
    """Shapes the static check cannot see (an alternation whose branches match the same text,
    under a repetition) were run on the page's thread without a limit (explorer review s28,
    left alone): every regular expression now runs in a child process with a time limit."""
    import time

    from movierate.explore import timed_regex

    titles = [("a" * 40) + " (1999)", "Toy Story (1995)"]
    slow = TitleIndex(movies_table(2, titles=titles, years=[1999, 1995]))
    for pattern in (r"(a|aa)*b", r"(.|a)*b"):
        start = time.monotonic()
        with pytest.raises(DataError, match=r"ran for more than 3 s over 2 titles and was stopped"):
            slow.containing(pattern, regex=True)
        assert time.monotonic() - start < timed_regex.SECONDS + 5  # killed, not waited out
    assert slow.containing("^toy", regex=True).tolist() == [1]  # a plain one still runs


def test_a_stopped_search_is_not_run_again_and_no_interpreter_is_said(monkeypatch):
    """Recheck (s29), N3: a pattern that ran out of time cost 3 s more on every rerun of the
    page, and an interpreter without ``sys.executable`` raised an error the page did not
    catch."""
    import sys

    from movierate.explore import timed_regex

    index = TitleIndex(movies_table(2, titles=["Toy Story", "Heat"], years=[1995, 1995]))
    monkeypatch.setattr(timed_regex, "SECONDS", 0.001)
    with pytest.raises(DataError, match="was stopped"):
        index.containing("^to", regex=True)
    monkeypatch.setattr(timed_regex, "SECONDS", 30.0)
    with pytest.raises(DataError, match="was stopped"):  # the same answer, not run again
        index.containing("^to", regex=True)
    monkeypatch.setattr(sys, "executable", "")
    with pytest.raises(DataError, match="no interpreter to start"):
        index.containing("^he", regex=True)


def test_a_stopped_search_runs_again_after_a_while(monkeypatch):
    """A search stopped on a busy machine stayed refused until the server restarted (s29
    closing note, left alone): it is remembered for ``STOPPED_REMEMBERED_S`` only."""
    from movierate.explore import search, timed_regex

    index = TitleIndex(movies_table(2, titles=["Toy Story", "Heat"], years=[1995, 1995]))
    monkeypatch.setattr(timed_regex, "SECONDS", 0.001)
    with pytest.raises(DataError, match="was stopped"):
        index.containing("^to", regex=True)
    monkeypatch.setattr(timed_regex, "SECONDS", 30.0)
    clock = time.monotonic()
    monkeypatch.setattr(search.time, "monotonic", lambda: clock + search.STOPPED_REMEMBERED_S + 1)
    assert index.containing("^to", regex=True).tolist() == [0]
