"""Bad-input round 53: timestamps, which a split by date depends on."""

from __future__ import annotations

import numpy as np
import pytest

from movierate.data import from_csv
from movierate.errors import DataError

START = 1_600_000_000  # September 2020


def _csv(timestamps: list[int]) -> bytes:
    rows = [f"u{i % 20},m{i % 37},{1 + i % 5},{t}" for i, t in enumerate(timestamps)]
    return ("user,item,rating,timestamp\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("placeholder", [0, -1, -999])
def test_a_placeholder_among_real_seconds_is_refused_with_its_lines(placeholder):
    """F1: a 0 or -1 for 'unknown' among 2020 seconds was imported as 1970, so every split by
    time made those rows training rows whenever they were made."""
    times = [START + 3_600 * i for i in range(200)]
    times[10] = times[120] = placeholder
    with pytest.raises(DataError, match=r"2 timestamp\(s\) within a day of 0.*lines 12, 122"):
        from_csv(_csv(times), save_as="zeros")


def test_real_old_dates_are_kept():
    """A column wholly in 1906, and a 1965 date among later ones, are dates, not placeholders."""
    old = [-2_000_000_000 + 3_600 * i for i in range(200)]
    ds = from_csv(_csv(old), save_as="old")
    assert np.asarray(ds.timestamps()).min() == old[0]
    mixed = [START + 3_600 * i for i in range(200)]
    mixed[5] = -157_766_400  # 1965
    assert from_csv(_csv(mixed), save_as="mixed") is not None


@pytest.mark.parametrize("dates", [False, True])
def test_empty_timestamp_cells_are_said_to_be_empty(dates):
    """F3: empty cells were quoted as pandas' 'nan' (seconds) or 'NaT' (ISO dates)."""
    rows = [
        f"u{i % 20},m{i % 37},{1 + i % 5},"
        + ("" if i % 50 == 7 else f"2020-09-{1 + i % 28:02d}" if dates else str(START + i))
        for i in range(200)
    ]
    text = ("user,item,rating,timestamp\n" + "\n".join(rows) + "\n").encode()
    with pytest.raises(DataError) as refused:
        from_csv(text, save_as="holes")
    said = str(refused.value)
    assert "lines 9, 59, 109, 159: (empty), (empty), (empty), (empty))" in said
    assert "nan" not in said.lower() and "NaT" not in said


@pytest.mark.slow  # one short tuning trial
def test_tune_says_when_timestamp_ties_chose_test_rows(capsys):
    """F5: on a set with two distinct timestamps, ties chose half of a split by date's test
    rows; `train` and `show` said so, `tune` did not."""
    from movierate.cli import main

    times = [START] * 150 + [START + 86_400] * 250
    from_csv(_csv(times), save_as="twovals")
    assert main(["tune", "twovals", "--split", "time", "--trials", "1", "--max-epochs", "2",
                 "--no-refit", "--quiet", "--name", "tied"]) == 0  # fmt: skip
    assert "Timestamp ties chose" in capsys.readouterr().err


def test_the_refusal_of_a_split_by_time_names_the_train_pages_options_too():
    """F4: the Train page's refusal named the CLI's 'per_user', where its box says 'Per user'."""
    from movierate.data import make_split

    ds = from_csv(_csv([START] * 200), save_as="allequal")
    with pytest.raises(DataError, match="'Random ratings' or 'Per user'"):
        make_split(ds, method="time")


@pytest.mark.slow  # one short training
def test_show_says_how_many_test_rows_have_no_trained_user_or_movie(capsys):
    """F2: `train`, `tune` and `evaluate` said that most test rows of a split by date had a user
    or movie first rated after the last training rating; `show` only listed the count."""
    from movierate.cli import main

    times = [START + 3_600 * i for i in range(400)]
    rows = [f"u{i % 20 if i < 330 else 20 + i % 7},m{i % 37},{1 + i % 5},{t}"
            for i, t in enumerate(times)]  # fmt: skip
    from_csv(("user,item,rating,timestamp\n" + "\n".join(rows) + "\n").encode(), save_as="late")
    assert main(["train", "late", "--split", "time", "--epochs", "2", "--name", "late"]) == 0
    capsys.readouterr()
    assert main(["show", "late"]) == 0
    assert "first rated after the last training rating" in capsys.readouterr().err
