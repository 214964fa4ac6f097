"""One person under two user ids: ids whose ratings are the same movies with the same ratings,
and text ids that differ only in case.

A random split then puts one copy of a rating among the training rows and the other among the
test rows, so the test RMSE scores ratings training saw. Accuracy review round 8 planted 61 such
copies in ml-latest-small: test RMSE 0.8532 -> 0.8051 overall and 0.977 -> 0.645 on those
people's rows, with no notice. The MovieLens sets have none (their closest two users share at
most 40% of their (movie, rating) pairs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Users with fewer ratings are left out: two people rating the same few films alike is common.
TWIN_MIN_RATINGS = 10
#: How many twin pairs a notice names.
SHOWN_PAIRS = 3


def _mixed(values: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each value (splitmix64's finaliser), so sums of them identify sets."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _label(user_id: object) -> str:
    """An id as the file wrote it: ``466``, ``'alice'`` (numpy's ``np.int64(466)`` unwrapped)."""
    return repr(user_id.item() if isinstance(user_id, np.generic) else user_id)


def twin_users(
    user_idx: np.ndarray, movie_idx: np.ndarray, ratings: np.ndarray, n_users: int
) -> list[tuple[int, int, int]]:
    """(first user, second user, ratings) of every user whose set of (movie, rating) pairs
    equals an earlier user's, for users with at least :data:`TWIN_MIN_RATINGS` ratings (one
    linear pass: each user's pairs are hashed and summed, and equal sums compared)."""
    if len(user_idx) == 0:
        return []
    rating_bits = np.asarray(ratings, np.float64).view(np.uint64)
    code = _mixed(movie_idx.astype(np.uint64)) ^ rating_bits
    per_user = np.zeros(n_users, np.uint64)
    with np.errstate(over="ignore"):
        np.add.at(per_user, user_idx, _mixed(code))
    counts = np.bincount(user_idx, minlength=n_users)
    eligible = np.flatnonzero(counts >= TWIN_MIN_RATINGS)
    if len(eligible) < 2:
        return []
    order = eligible[np.lexsort((eligible, counts[eligible], per_user[eligible]))]
    same = (per_user[order][1:] == per_user[order][:-1]) & (counts[order][1:] == counts[order][:-1])
    pairs = []
    for position in np.flatnonzero(same):
        first, second = int(order[position]), int(order[position + 1])
        pairs.append((first, second, int(counts[second])))
    return pairs


def twin_notices(
    user_idx: np.ndarray,
    movie_idx: np.ndarray,
    ratings: np.ndarray,
    user_ids: Sequence[object],
    where: str,
) -> list[str]:
    """Notices naming user ids that look like one person: the same ratings of the same movies
    (:func:`twin_users`), or text ids equal up to case."""
    notices = []
    pairs = twin_users(user_idx, movie_idx, ratings, len(user_ids))
    if pairs:
        named = "; ".join(
            f"{_label(user_ids[a])} and {_label(user_ids[b])} ({n:,} ratings)"
            for a, b, n in pairs[:SHOWN_PAIRS]
        )
        more = f" ({len(pairs):,} pairs in all)" if len(pairs) > SHOWN_PAIRS else ""
        notices.append(
            f"{where}: some user ids rated the same movies with the same ratings, as if one "
            f"person were listed twice: {named}{more}. A split then puts one copy of a rating "
            "among the training rows and the other among the test rows, so the test RMSE "
            "scores ratings training saw. If they are one person, give them one id (or drop "
            "one); if they are different people, nothing needs doing."
        )
    texts = [u for u in user_ids if isinstance(u, str)]
    if texts:
        seen: dict[str, str] = {}
        cased = []
        for text in texts:
            key = text.casefold()
            if key in seen and seen[key] != text:
                cased.append((seen[key], text))
            seen.setdefault(key, text)
        if cased:
            named = ", ".join(f"{a!r} and {b!r}" for a, b in cased[:SHOWN_PAIRS])
            more = f" ({len(cased):,} pairs in all)" if len(cased) > SHOWN_PAIRS else ""
            notices.append(
                f"{where}: user ids {named}{more} differ only in upper and lower case, so they "
                "count as different users. If each pair is one person, write the id one way."
            )
    return notices
