"""One person under two user ids: ids whose ratings are (nearly) the same movies with the same
ratings, or one id's ratings (nearly) all among the other's, and text ids that differ only in
case or in how their accents are encoded.

A random split then puts one copy of a rating among the training rows and the other among the
test rows, so the test RMSE scores ratings training saw. Accuracy review round 8 planted 61 such
copies in ml-latest-small: test RMSE 0.8532 -> 0.8051 overall and 0.977 -> 0.645 on those
people's rows, with no notice. Round 11 found a second account holding only half of a person's
ratings leaks as much (0.82 -> 0.58 on those rows) while their overlap over the union (0.5)
stayed below the rule's 0.8, so the share is now taken of the smaller account: ml-100k's users
350 and 890 (same age, zip code and day; 48 of 350's 50 ratings are 890's) are named;
ml-latest-small's closest two users share 70%.

Round 24 found the notice firing on ratings that carry no information (every rating 5; 0/1;
90% of them 4): the same ratings came free with the same movies, and MovieLens users who rated
the same films were named as one person. A pair's ratings of their shared movies must now agree
beyond what the two users' own rating distributions give by chance, and on ratings of one or
two values the check is skipped, with a note where shared movies alone would have named pairs.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

import numpy as np

#: Users with fewer ratings are left out: two people rating the same few films alike is common.
TWIN_MIN_RATINGS = 10
#: Two users look like one person when this share of the smaller one's (movie, rating) pairs
#: are the other's too (containment; ml-latest-small's closest two users share 0.70).
TWIN_SHARE = 0.8
#: MinHash bands of two hashes each: a pair whose overlap over their union is J becomes a
#: candidate with probability 1 - (1 - J^2)^16: 0.99999 for a copy (J 0.8), 0.99 for an
#: account holding half the other's ratings (J 0.5), 0.94 for ml-100k's users 350 and 890 (J
#: 0.40), 0.78 for one holding 30%, 0.47 for 20% and 0.15 for 10%: a second account much
#: smaller than the first is often missed (recheck: 15-200 of a heavy rater's 1,000-2,700
#: ratings all were). 12 bands missed ml-100k's pair. 32 M ratings take 9 s (5.8 s with 4
#: bands; 2 cores, busy).
MINHASH_BANDS = 16
#: At most this many candidate pairs are counted exactly (data of many alike users).
MAX_CANDIDATES = 20_000
#: Random user pairs whose overlap sets what chance gives on this data: a pair is named only
#: when it shares at least CHANCE_MARGIN more than their 99th percentile (recheck 2: a dense
#: likes table of 300 independent people had 26,677 pairs at 80% or more; MovieLens' random
#: pairs share under 5%).
CHANCE_PAIRS = 400
CHANCE_MARGIN = 0.1
#: A pair is named only when its agreement on shared movies is this unlikely by chance: the
#: chance that two users, rating those movies independently with their own distributions of
#: ratings, agree as often (a 10-rating copy by users spread as MovieLens' are, who agree by
#: chance about 30% of the time, has 6e-6; 17 agreeing 4s of users giving 4 to 95% of their
#: movies, accuracy round 24, have 0.42).
TWIN_CHANCE = 1e-4
#: Ratings of at most this many distinct values say (almost) nothing of who gave them: the
#: twin check is skipped (accuracy round 24: every rating 5, or 0/1).
TWIN_MIN_VALUES = 3
#: How many twin pairs a notice names.
SHOWN_PAIRS = 3
#: The words before the pairs a twins notice names (:func:`brief_notice` finds them by these).
LISTED_TWICE = (
    "some user ids have (nearly) all their ratings among another id's (the same movies, the "
    "same ratings), as if one person were listed twice: "
)


def _mixed(values: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each value (splitmix64's finaliser)."""
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
) -> list[tuple[int, int, float]]:
    """(user, other user, share) of user pairs where at least :data:`TWIN_SHARE` of the smaller
    one's (movie, rating) pairs, and :data:`TWIN_MIN_RATINGS` or more, are the other's too (1.0:
    all of them), both with at least :data:`TWIN_MIN_RATINGS` ratings, and whose ratings of
    their shared movies agree beyond chance (:func:`agreement_chance` at most
    :data:`TWIN_CHANCE`). A copy with a rating missing or changed leaks as much as an exact one
    (recheck: 0.60-0.62 on those users' test rows), and so does one holding part of the other's
    ratings (round 11), so both count."""
    pairs = _alike_pairs(user_idx, movie_idx, ratings, n_users)
    if not pairs:
        return []
    involved = np.isin(user_idx, np.unique([u for a, b, _ in pairs for u in (a, b)]))
    rated: dict[int, dict[int, float]] = {}
    for user, movie, rating in zip(
        user_idx[involved].tolist(),
        movie_idx[involved].tolist(),
        np.asarray(ratings, np.float64)[involved].tolist(),
        strict=True,
    ):
        rated.setdefault(user, {})[movie] = rating
    return [
        pair for pair in pairs if agreement_chance(rated[pair[0]], rated[pair[1]]) <= TWIN_CHANCE
    ]


def agreement_chance(a: dict[int, float], b: dict[int, float]) -> float:
    """The chance that two users who rate independently, each with the distribution of their own
    ratings (``a``, ``b``: movie -> rating), give the same rating to at least as many of their
    shared movies as they do: a binomial tail. 1.0 when their ratings cannot disagree (one value
    each, the same)."""
    shared = a.keys() & b.keys()
    same = sum(a[movie] == b[movie] for movie in shared)
    values_a, counts_a = np.unique(list(a.values()), return_counts=True)
    share_b = dict(zip(*np.unique(list(b.values()), return_counts=True), strict=True))
    p = sum(
        n / len(a) * share_b.get(v, 0) / len(b) for v, n in zip(values_a, counts_a, strict=True)
    )
    if same == 0 or p >= 1 - 1e-12:
        return 1.0
    if p <= 0:
        return 0.0
    n = len(shared)
    terms = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
        + i * math.log(p) + (n - i) * math.log1p(-p)
        for i in range(same, n + 1)
    ]  # fmt: skip
    top = max(terms)
    return float(min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms)))


def _alike_pairs(
    user_idx: np.ndarray, movie_idx: np.ndarray, ratings: np.ndarray, n_users: int
) -> list[tuple[int, int, float]]:
    """:func:`twin_users` before the chance test of their agreement: pairs whose shared (movie,
    rating) pairs reach :data:`TWIN_SHARE` of the smaller one's and what random pairs share.

    Found by MinHash: :data:`MINHASH_BANDS` bands of two minimum hashes per user (a few linear
    passes); users sharing a band are candidates, and each candidate pair's overlap is then
    counted exactly."""
    if len(user_idx) == 0:
        return []
    counts = np.bincount(user_idx, minlength=n_users)
    eligible = counts >= TWIN_MIN_RATINGS
    if eligible.sum() < 2:
        return []
    rating_bits = np.asarray(ratings, np.float64).view(np.uint64)
    code = _mixed(_mixed(movie_idx.astype(np.uint64)) ^ rating_bits)
    by_user = np.argsort(user_idx, kind="stable")
    # 32-bit hashes (half the memory traffic of 64; a band's key is two of them), each user's
    # codes in one run: a minimum per run is a reduceat
    grouped = (code ^ (code >> np.uint64(32))).astype(np.uint32)[by_user]
    starts = np.flatnonzero(np.r_[True, np.diff(user_idx[by_user]) != 0])
    present = user_idx[by_user][starts]
    top = np.iinfo(np.uint32).max
    minima = []
    salts = _mixed(np.arange(1, 2 * 2 * MINHASH_BANDS + 1, dtype=np.uint64)) >> np.uint64(32)
    salts = salts.astype(np.uint32) | np.uint32(1)
    for xor, odd in salts.reshape(-1, 2):  # (code ^ salt) * odd: one cheap hash per minimum
        lowest = np.full(n_users, top, np.uint32)
        with np.errstate(over="ignore"):
            lowest[present] = np.minimum.reduceat((grouped ^ xor) * odd, starts)
        minima.append(lowest.astype(np.uint64))
    candidates: set[tuple[int, int]] = set()
    users = np.flatnonzero(eligible)
    for band in range(MINHASH_BANDS):
        with np.errstate(over="ignore"):
            key = ((minima[2 * band] << np.uint64(32)) | minima[2 * band + 1])[users]
        order = np.argsort(key, kind="stable")
        same = np.flatnonzero(key[order][1:] == key[order][:-1])
        for position in same[: MAX_CANDIDATES - len(candidates)]:
            a, b = int(users[order[position]]), int(users[order[position + 1]])
            candidates.add((min(a, b), max(a, b)))
    if not candidates:
        return []
    # what two users share by chance here: dense data (a likes table) shares 80% and more
    rng = np.random.default_rng(0)
    drawn = rng.choice(users, size=(min(CHANCE_PAIRS, len(users)), 2))
    drawn = drawn[drawn[:, 0] != drawn[:, 1]]
    involved = np.array(sorted({u for pair in candidates for u in pair} | set(drawn.ravel())))
    rows = np.isin(user_idx, involved)
    sets: dict[int, set[int]] = {int(u): set() for u in involved}
    for user, pair in zip(user_idx[rows].tolist(), code[rows].tolist(), strict=True):
        sets[user].add(pair)

    def share(a: int, b: int) -> float:
        common = len(sets[a] & sets[b])
        return common / min(len(sets[a]), len(sets[b])) if common >= TWIN_MIN_RATINGS else 0.0

    chance = np.quantile([share(int(a), int(b)) for a, b in drawn], 0.99) if len(drawn) else 0
    least = max(TWIN_SHARE, float(chance) + CHANCE_MARGIN)
    return [(a, b, alike) for a, b in sorted(candidates) if (alike := share(a, b)) >= least]


def twin_notices(
    user_idx: np.ndarray,
    movie_idx: np.ndarray,
    ratings: np.ndarray,
    user_ids: Sequence[object],
    where: str,
    movie_ids: Sequence[object] = (),
) -> list[str]:
    """Notices naming user ids that look like one person: (nearly) the same ratings of the same
    movies (:func:`twin_users`), and user or movie text ids equal up to case or accent encoding
    (accuracy round 13: 'tt000' and 'TT000' were two movies, unsaid)."""
    notices = []
    values = np.unique(ratings)
    pairs = (
        twin_users(user_idx, movie_idx, ratings, len(user_ids))
        if len(values) >= TWIN_MIN_VALUES
        else []
    )
    if len(values) < TWIN_MIN_VALUES and (
        alike := _alike_pairs(user_idx, movie_idx, np.zeros(len(ratings)), len(user_ids))
    ):
        a, b, share = alike[0]
        given = " and ".join(f"{v:g}" for v in values)
        notices.append(
            f"{where}: its ratings take only {len(values)} value{'s' if len(values) > 1 else ''} "
            f"({given}), so two user ids with the same ratings of the same movies may well be "
            "two people who rated the same movies: the check for one person listed under two "
            f"ids is skipped. {len(alike):,} pair{'s' if len(alike) > 1 else ''} of ids rated "
            f"(nearly) the same movies (such as {_label(user_ids[a])} and {_label(user_ids[b])}, "
            f"{math.floor(share * 100)}% of the movies of the one with fewer); if two ids are "
            "one person, give them one id."
        )
    if pairs:
        named = "; ".join(
            f"{_label(user_ids[a])} and {_label(user_ids[b])} ({math.floor(share * 100)}% alike)"
            for a, b, share in pairs[:SHOWN_PAIRS]
        )
        more = f" (at least {len(pairs):,} pairs)" if len(pairs) > SHOWN_PAIRS else ""
        notices.append(
            f"{where}: {LISTED_TWICE}{named}{more}. The share is of the (movie, "
            "rating) pairs of the one with fewer ratings that the other has too (100%: all of "
            f"them); pairs are named from {TWIN_SHARE:.0%}, far above what two users here "
            "share by chance, and only when their ratings of the movies both rated agree far "
            "more often than their own spread of ratings makes likely. A split "
            "then puts one copy of a rating among the training rows and "
            "the other among the test rows, so the test RMSE scores ratings training saw. If "
            "they are one person, give them one id (or drop one); if they are different "
            "people, nothing needs doing."
        )
    for ids, kind, fix in (
        (user_ids, "user ids", "one person"),
        (movie_ids, "movie ids", "one movie"),
    ):
        if notice := _case_twins_notice(ids, kind, fix, where):
            notices.append(notice)
    return notices


def _case_twins_notice(ids: Sequence[object], kind: str, fix: str, where: str) -> str:
    """A notice naming text ``ids`` equal up to case or accent encoding, else ""."""
    seen: dict[str, str] = {}
    cased = []
    for text in (i for i in ids if isinstance(i, str)):
        key = unicodedata.normalize("NFC", text).casefold()  # José written two ways
        if key in seen and seen[key] != text:
            cased.append((seen[key], text))
        seen.setdefault(key, text)
    if not cased:
        return ""
    named = ", ".join(
        f"{ascii(a)} and {ascii(b)}"
        if unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)
        else f"{a!r} and {b!r}"
        for a, b in cased[:SHOWN_PAIRS]
    )  # two encodings of one accent look alike: written escaped, they differ
    more = f" ({len(cased):,} pairs in all)" if len(cased) > SHOWN_PAIRS else ""
    what = "users" if kind == "user ids" else "movies"
    return (
        f"{where}: {kind} {named}{more} differ only in upper and lower case or in how their "
        f"accents are encoded, so they count as different {what}. If each pair is {fix}, "
        "write the id one way."
    )


def brief_notice(notice: str, look: str) -> str:
    """``notice`` as one line when it is a twins notice (names the pairs and points to the
    command ``look`` that prints it in full), else ``notice`` unchanged. Views round 35, F8:
    the ~700-character ml-100k notice came before every train and tune."""
    where, lead, rest = notice.partition(": " + LISTED_TWICE)
    if not lead:
        return notice
    named = rest.partition(". The share is")[0]
    return (
        f"{where}: some user ids look like one person listed twice: {named}. A random split "
        f"can then score ratings training saw; {look} says why and what to do."
    )
