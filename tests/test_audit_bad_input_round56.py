"""Bad-input round 56: ratings exported from other services (Letterboxd, IMDb, Amazon,
Goodreads), merged, pasted together or loaded on Rate movies."""

from __future__ import annotations

import pytest

from movierate.data import from_csv
from movierate.errors import DataError


def _rows(dates: list[str]) -> bytes:
    rows = [f"u{i % 7},m{i % 11},{1 + i % 5},{d}" for i, d in enumerate(dates)]
    return ("user,item,rating,date\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize(
    "dates", [["2020/01/05", "2019/12/31", "2021/07/04"], ["30.01.2020", "31.12.2019"]]
)
def test_one_empty_date_names_only_the_empty_cell(dates):
    """F4: one blank in a Y/M/D or day-first date column had every good date called
    unreadable."""
    column = [dates[i % len(dates)] for i in range(40)]
    column[2] = ""
    with pytest.raises(DataError) as refused:
        from_csv(_rows(column), save_as="blank_date")
    said = str(refused.value)
    assert "has 1 missing" in said and "(line 4: (empty))" in said
    assert len(from_csv(_rows([d for d in column if d]), save_as="dates").ratings) == 39


@pytest.mark.parametrize("copies", [3, 10])
@pytest.mark.parametrize("rating", ["rating", "Your Rating"])
def test_a_repeated_header_is_named_however_many_exports_are_pasted(copies, rating):
    """F6: the hint needed at most 5 repeats and a header name without spaces."""
    header = f"user,item,{rating}"
    one = "\n".join(f"u{i % 3},m{i},{1 + i % 5}" for i in range(10))
    text = "\n".join([header, one] * copies) + "\n"
    with pytest.raises(DataError) as refused:
        from_csv(text.encode(), save_as="pasted")
    said = str(refused.value)
    assert f"header line repeated mid-file {copies - 1:,} time(s)" in said
    assert "Delete those lines" in said and "map the right column" not in said
