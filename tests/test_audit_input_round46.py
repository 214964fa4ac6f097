"""Bad-input round 46: text that is markup. Titles, genres and names went through
``text.md`` and still turned into an emoji (``:smile:``) or a link (an address) on screen,
because Streamlit's Markdown reads those after it has removed the escapes."""

from __future__ import annotations

import re

import pytest

from movierate.ui import text
from movierate.ui.text import WORD_JOINER, md

#: What Streamlit's Markdown turns into an emoji or a link once the escapes are gone.
EMOJI = re.compile(r":[A-Za-z_+-][\w+-]*:")
ADDRESS = re.compile(r"(?i)\b(?:https?|ftp)://|\bwww\.|\w@\w")


def unescaped(markdown: str) -> str:
    """The text Streamlit's emoji and link steps see: the Markdown escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.mark.parametrize(
    "title",
    [
        ":smile: face (2014)",
        "[link](https://example.com)",
        "Visit www.example.com",
        "HTTP://EXAMPLE.COM and ftp://x.org",
        "write to someone@example.org",
        ":+1: and :-1:",
    ],
)
def test_no_emoji_code_or_address_survives_the_escapes(title):
    seen = unescaped(md(title))
    assert not EMOJI.search(seen) and not ADDRESS.search(seen), seen
    assert seen.replace(WORD_JOINER, "") == title  # the same letters, nothing else


@pytest.mark.parametrize("title", ["Star Wars: Episode IV", "Mission: Impossible", "@Home (1999)"])
def test_ordinary_titles_get_no_joiner(title):
    assert WORD_JOINER not in md(title)


def test_model_names_in_bold_are_escaped():
    """F3: three warnings wrote ``**{name}**`` unescaped (a name like ``__it__``)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "movierate" / "ui"
    bare = re.compile(r"\*\*\{(?:model\.name|folder\.name|name)\}\*\*")
    found = [
        f"{p.name}:{n}"
        for p in sorted(root.glob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if bare.search(line)
    ]
    assert not found, found
    assert text.md("__it__") == "\\_\\_it\\_\\_"


def test_grouplens_addresses_in_the_products_messages_stay_links_and_lookalikes_do_not():
    """The product's own messages give GroupLens' address to follow and copy: it keeps no
    joiner (one pasted into an address bar would break it); a lookalike host gets one."""
    for own in ("from https://grouplens.org/datasets/movielens/", "https://files.grouplens.org/x"):
        assert WORD_JOINER not in md(own)
    for other in ("https://grouplens.org.evil.example/x", "https://evil.example/grouplens.org"):
        assert not ADDRESS.search(unescaped(md(other)))
