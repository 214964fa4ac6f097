"""Bad input: each case raises DataError saying what is wrong, where, and how to fix it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from movierate.data import from_csv, load_dataset
from movierate.errors import DataError

HEADER = "userId,movieId,rating,timestamp\n"
MOVIES = "movieId,title,genres\n1,Toy Story (1995),Comedy\n2,Heat (1995),Action\n"


def grouplens_folder(tmp_path: Path, ratings: str | bytes, movies: str | bytes = MOVIES) -> Path:
    """A folder in the ml-latest-small layout (name included, so its 0.5..5 scale applies)."""
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    for name, content in (("ratings.csv", ratings), ("movies.csv", movies)):
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


def write(tmp_path: Path, text: str | bytes, name: str = "mine.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_misnamed_column_in_grouplens_file(tmp_path):
    folder = grouplens_folder(tmp_path, "userId,movieId,score,timestamp\n1,1,4,5\n")
    with pytest.raises(DataError) as err:
        load_dataset(folder)
    message = str(err.value)
    assert "ratings.csv" in message and "missing column(s) rating" in message
    assert "found: userId, movieId, score, timestamp" in message and "from_csv" in message
    # README review (s26): the CLI's import and Home's upload are named too, not only Python's
    assert "`python -m movierate datasets FILE --name NAME [--columns ...]`" in message
    assert "Home's upload" in message


def test_missing_columns_in_own_file_suggest_a_mapping(tmp_path):
    path = write(tmp_path, "who,what,stars\n1,2,3\n")
    with pytest.raises(DataError, match=r"missing column\(s\) for user, item.*columns=\{'user'"):
        from_csv(path)
    ds = from_csv(path, columns={"user": "who", "item": "what"})  # 'stars' is a known alias
    assert len(ds) == 1 and ds.ratings["rating"].iloc[0] == 3.0


def test_mapping_to_a_column_that_is_not_there(tmp_path):
    path = write(tmp_path, "user,item,rating\n1,2,3\n")
    with pytest.raises(DataError, match="no column named 'stars' for rating"):
        from_csv(path, columns={"rating": "stars"})
    with pytest.raises(DataError, match="Unknown column role"):
        from_csv(path, columns={"score": "rating"})


def test_non_numeric_ratings_name_lines_and_values(tmp_path):
    rows = "1,1,4.0,10\n1,2,abc,11\n2,1,3.5,12\n2,2,four,13\n"
    folder = grouplens_folder(tmp_path, HEADER + rows)
    with pytest.raises(DataError) as err:
        load_dataset(folder)
    message = str(err.value)
    assert str(folder / "ratings.csv") in message
    assert "2 non-numeric value(s)" in message and "lines 3, 5" in message
    assert "'abc'" in message and "'four'" in message


@pytest.mark.parametrize("bad", ["", "NaN", "nan"])
def test_missing_or_nan_ratings(tmp_path, bad):
    folder = grouplens_folder(tmp_path, HEADER + f"1,1,4.0,10\n1,2,{bad},11\n")
    with pytest.raises(
        DataError,
        match=r"empty, NaN, infinite or absurdly large \(beyond ±1e\+06\) in 1 row\(s\) \(line 3\)",
    ):
        load_dataset(folder)


def test_ratings_outside_the_declared_scale(tmp_path):
    folder = grouplens_folder(tmp_path, HEADER + "1,1,4.0,10\n1,2,7,11\n2,1,3.7,12\n2,2,0,13\n")
    with pytest.raises(DataError) as err:
        load_dataset(folder)
    message = str(err.value)
    assert (
        "3 rating(s) outside or between the steps of the scale 0.5 to 5 in steps of 0.5" in message
    )
    assert "lines 3, 4, 5: 7, 3.7, 0" in message and "rating_scale=" in message


def test_ratings_between_the_steps_are_not_called_outside_the_scale(tmp_path):
    """Recheck 2 F1: 3.7 on a 0.5-step scale is inside its range, between its steps."""
    folder = grouplens_folder(tmp_path, HEADER + "1,1,4.0,10\n1,2,3.7,11\n2,1,3.5,12\n")
    with pytest.raises(DataError) as err:
        load_dataset(folder)
    message = str(err.value)
    assert "1 rating(s) between the steps of the scale 0.5 to 5 in steps of 0.5" in message
    assert "a step of 0 takes any value from min to max" in message


def test_ml100k_layout_rejects_half_stars(tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "u.data").write_text("1\t1\t4\t10\n1\t2\t3.5\t11\n")
    with pytest.raises(
        DataError, match=r"between the steps of the scale 1 to 5 in steps of 1.*line 2: 3.5"
    ):
        load_dataset(folder)


def test_declared_scale_in_own_file(tmp_path):
    path = write(tmp_path, "user,item,rating\n1,1,10\n1,2,0\n2,1,5\n")
    with pytest.raises(DataError, match=r"outside the scale 1 to 10 in steps of 1.*line 3: 0"):
        from_csv(path, rating_scale=(1, 10, 1))
    assert from_csv(path, rating_scale=(0, 10, 1)).rating_scale.as_list() == [0.0, 10.0, 1.0]


def test_duplicates_keep_the_latest_by_timestamp_then_the_last_row(tmp_path):
    rows = (
        "1,1,1.0,500\n"  # line 2: latest for (1,1) -> kept
        "1,1,2.0,100\n"  # line 3: older duplicate -> dropped
        "2,2,3.0,7\n"  # line 4: same time as line 5 -> dropped (not the last row)
        "2,2,4.0,7\n"  # line 5: kept
        "3,1,5.0,1\n"
    )
    folder = grouplens_folder(tmp_path, HEADER + rows)
    ds = load_dataset(folder)
    assert len(ds) == 3
    kept = {
        (int(ds.user_ids[u]), int(ds.movie_ids[m])): float(r)
        for u, m, r in ds.ratings[["user_idx", "movie_idx", "rating"]].itertuples(index=False)
    }
    assert kept == {(1, 1): 1.0, (2, 2): 4.0, (3, 1): 5.0}
    duplicates = [w for w in ds.warnings if "duplicate" in w]  # (and: 5 of 100,836 ratings)
    assert len(duplicates) == 1
    assert "dropped 2 duplicate (user, movie) rating(s)" in duplicates[0]
    assert "lines 3, 4" in duplicates[0]


def test_duplicates_without_timestamps_keep_the_last_row(tmp_path):
    path = write(tmp_path, "user,item,rating\n1,1,2\n1,1,5\n1,2,3\n")
    ds = from_csv(path)
    assert len(ds) == 2 and sorted(ds.ratings["rating"]) == [3.0, 5.0]
    with pytest.raises(DataError, match=r"1 duplicate \(user, movie\) rating\(s\) \(line 2"):
        from_csv(path, duplicates="error")


def test_empty_files(tmp_path):
    with pytest.raises(DataError, match="is empty"):
        load_dataset(grouplens_folder(tmp_path, ""))
    with pytest.raises(DataError, match="holds no ratings"):
        from_csv(write(tmp_path, HEADER, "header_only.csv"))
    with pytest.raises(DataError, match="is empty"):
        from_csv(write(tmp_path, "\n\n", "blank.csv"))


def test_undecodable_text_names_the_line(tmp_path):
    latin1 = "user,item,rating\nana,x,4\njosé,y,3\n".encode("latin-1")
    path = write(tmp_path, latin1)
    with pytest.raises(DataError, match=r"line 3 cannot be decoded as utf-8 \(byte 0xe9"):
        from_csv(path)
    ds = from_csv(path, encoding="latin-1")
    assert "josé" in list(ds.user_ids)


def test_undecodable_movies_file(tmp_path):
    movies = "movieId,title,genres\n1,Amélie (2001),Comedy\n".encode("latin-1")
    folder = grouplens_folder(tmp_path, HEADER + "1,1,4.0,10\n", movies)
    with pytest.raises(DataError, match=r"movies.csv: line 2 cannot be decoded as utf-8"):
        load_dataset(folder)


def test_missing_ids_and_ragged_rows(tmp_path):
    folder = grouplens_folder(tmp_path, HEADER + "1,1,4.0,10\n,2,3.0,11\n")
    with pytest.raises(
        DataError, match=r"1 row\(s\) have no user id in column 'userId' \(line 3\)"
    ):
        load_dataset(folder)
    ragged = write(tmp_path, "user,item,rating\n1,1,4\n1,2\n", "ragged.csv")
    with pytest.raises(DataError, match=r"could not be parsed.*same number of fields"):
        from_csv(ragged)


def test_unknown_dataset_name_lists_what_exists():
    with pytest.raises(DataError) as err:
        load_dataset("ml-7m")
    message = str(err.value)
    assert "Unknown dataset 'ml-7m'" in message and "ml-latest-small" in message
    assert "ml-1m-sample" in message  # found in MOVIERATE_DATA_DIR


def test_folder_without_a_dataset(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=re.escape(f"{tmp_path} holds no MovieLens dataset")):
        load_dataset(tmp_path)


def test_errors_do_not_leave_a_cache_behind(tmp_path, isolated_home):
    folder = grouplens_folder(tmp_path, HEADER + "1,1,9,10\n")
    with pytest.raises(DataError):
        load_dataset(folder)
    assert list(isolated_home.glob("cache/datasets/*/*")) == []


def test_movie_ids_that_are_not_numbers(tmp_path):
    movies = "movieId,title,genres\n1,Heat (1995),Action\nx2,Up (2009),Animation\n"
    folder = grouplens_folder(tmp_path, HEADER + "1,1,4.0,10\n", movies)
    with pytest.raises(
        DataError, match=r"movies.csv: column 'movieId' is not a whole number on line 3 \('x2'\)"
    ):
        load_dataset(folder)
