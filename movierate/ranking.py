"""How well a model's top-k lists find movies users liked in rows it never saw.

Recommend shows each model's top picks, and test RMSE does not tell which list is better
(accuracy round 12: on ml-100k's u1 split the model with the better RMSE had the worse top-10,
and a plain most-rated-first list beat both). :func:`held_out_ranking` scores the lists on the
model's test rows: for each user with a training row (the rows its weights were fit on) and a
test movie rated in the top quarter of the scale ("liked") among the candidates, the model ranks
every movie the user has no training or early-stopping row of (the test movies stay candidates,
as they were unseen), keeps those with at least ``min_ratings`` training ratings (at least 1:
the count Recommend's lists filter on, so a movie with no training row, its vector still the
random start, is never a candidate; accuracy round 56, F3), and takes the first ``k``. Hit rate
is the share of users whose list holds a liked test movie; NDCG@k weighs each hit by its place.
The same is computed for the most-rated-first list (by the training and early-stopping rows'
counts; on a per-user temporal split only those made before the user's first test rating) on the
same candidates, and the model's NDCG minus the list's gets a 95% interval by resampling users.
Users with no training row are left out and counted (accuracy round 18): their lists come from
vectors training never moved, as the RMSE's cold-start rows do, and they would be scored as if
the model knew them.

Accuracy round 24: the check drew verdicts where the data make it meaningless. When nearly
every test rating counts as liked (:data:`LIKED_ALL`), the lists only measure which movies users
went on to rate; when the model's predictions over a user's candidates are tied
(:func:`scoring.tied_span`, the rule Rate applies), its order is noise: no verdict then, and
the sentence says why. Each list is also set beside chance: the exact expected hit rate and
NDCG@k of a random ``k`` of the same candidates, and where candidates are few
(:data:`FEW_CANDIDATES`) the verdict compares the model's lists with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from movierate import paired, pipeline, scoring, store
from movierate.data import RatingsDataset
from movierate.data.splits import Split
from movierate.shown import number

#: At most this many users are scored (a fixed random sample beyond it): a list per user ranks
#: every movie, so a set of ml-32m's size would otherwise score 200,000 x 87,000 pairs.
MAX_USERS = 2000
#: Fewer evaluated users than this: no statement.
MIN_USERS = 20
#: "Liked" is a rating at least this far up the scale (1-5: 4 or more; 0.5-5: 4 or more).
LIKED_SHARE = 0.75
#: At least this share of the test ratings liked: the lists only measure which movies users went
#: on to rate, and no verdict is drawn (accuracy round 24: on ratings of 4-5 only, 100%).
LIKED_ALL = 0.9
#: Fewer candidates per list than this (median over users): a random list finds liked movies
#: often enough that the verdict compares the model's lists with chance too (accuracy round 24:
#: on a 40-movie catalogue a random 10 of a median 26 candidates held one for 60%).
FEW_CANDIDATES = 5000


@dataclass(frozen=True)
class RankingCheck:
    """A model's top-``k`` lists against its liked test movies, beside a most-rated list's."""

    k: int
    min_ratings: int
    liked_from: float  # the lowest rating counted as liked
    scale_max: float  # the top of the model's scale (liked_from itself on a 0/1 scale)
    n_users: int  # users evaluated (with a liked test movie)
    n_users_all: int  # users with a liked test movie and a training row, before any sampling
    n_untrained: int  # users with a liked test movie left out: no training row
    hit_rate: float
    ndcg: float
    popular_hit_rate: float
    popular_ndcg: float
    ndcg_gap_ci: float  # 95% half-width of (ndcg - popular_ndcg), Student t over the users
    #: a random k of each user's candidates: expected hit rate and NDCG@k, and the 95%
    #: half-width of (ndcg - chance_ndcg), Student t over the users
    chance_hit_rate: float
    chance_ndcg: float
    chance_gap_ci: float
    median_candidates: float  # candidates per list (median over the users)
    n_test_rows: int
    liked_share: float  # of all test ratings, the share counted as liked
    #: why the model's order is noise (its predictions tied over most users' candidates), or ""
    tied: str
    #: whether the most-rated list counted only ratings made before each user's first test
    #: rating (a per-user temporal split: accuracy round 40, F2)
    popular_before_test: bool = False
    #: the evaluated users (user_idx) and each one's NDCG@k, for pairing two models
    users: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), compare=False)
    gains: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False)
    #: each evaluated user's hit (1 or 0) for the model's list and the most-rated list, and
    #: every user's number of training rows (by user_idx), for :func:`user_band`
    hits: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False)
    popular_hits: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False)
    trained_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), compare=False)

    @property
    def ndcg_gap(self) -> float:
        return self.ndcg - self.popular_ndcg

    @property
    def sampled(self) -> bool:
        return self.n_users < self.n_users_all

    @property
    def chance_gap(self) -> float:
        return self.ndcg - self.chance_ndcg

    @property
    def few_candidates(self) -> bool:
        """Whether the candidates are few enough that chance is part of the verdict."""
        return self.median_candidates < FEW_CANDIDATES

    @property
    def no_verdict(self) -> str:
        """Why these lists support no better/worse verdict (accuracy round 24), else ""."""
        reasons = []
        if self.liked_share >= LIKED_ALL:
            share = "all" if self.liked_share >= 1 else f"{math.floor(self.liked_share * 100)}%"
            reasons.append(
                f"{share} of the {self.n_test_rows:,} test ratings are "
                f"{liked_words(self.liked_from, self.scale_max)}, so these lists only measure "
                "which movies users went on to rate, not which they liked"
            )
        if self.tied:
            reasons.append(self.tied)
        return "; ".join(reasons)


def liked_threshold(scale: tuple[float, ...]) -> float:
    """The lowest liked rating on ``scale`` (min, max[, step]): :data:`LIKED_SHARE` of the way
    up, rounded up to the scale's step."""
    lo, hi = float(scale[0]), float(scale[1])
    step = float(scale[2]) if len(scale) > 2 and scale[2] else 0.0
    at = lo + LIKED_SHARE * (hi - lo)
    return float(lo + np.ceil((at - lo) / step - 1e-9) * step) if step else at


def held_out_ranking(
    model: store.TrainedModel,
    ds: RatingsDataset | None = None,
    *,
    k: int = 10,
    min_ratings: int = 10,
    seed: int = 0,
) -> RankingCheck | pipeline.Unavailable:
    """The model's top-``k`` lists scored on its test rows (module docstring); for a model
    without test rows or with fewer than :data:`MIN_USERS` users who liked a test movie,
    :class:`pipeline.Unavailable` saying which. Users without a training row are left out
    (``n_untrained``): the model never fit their vectors."""
    what = f"No top-{k} list check on its test rows"
    if not model.has_test_rows:
        return pipeline.Unavailable(what, pipeline.no_test_rows_reason(model))
    ds = ds if ds is not None else pipeline.dataset_of(model)
    split = pipeline.recorded_split(ds, model.meta["split"])
    users = ds.ratings["user_idx"].to_numpy(np.int64)
    movies = ds.ratings["movie_idx"].to_numpy(np.int64)
    ratings = ds.ratings["rating"].to_numpy(np.float64)
    seen = np.concatenate([split.train, split.stop]).astype(np.int64)
    test = np.asarray(split.test, dtype=np.int64)
    scale = tuple(model.rating_scale)
    liked_from = liked_threshold(scale)
    # the training rows' counts, as Recommend's filter (filter_counts) reads them: a movie with
    # none has an untrained vector and is never a candidate, whatever the slider says (at 0 the
    # caption read "0+ ratings it saw": accuracy round 34, F1; train + stop rows counted 334
    # such movies at 1: accuracy round 56, F3)
    counts = np.bincount(movies[split.train], minlength=ds.n_movies)
    min_ratings = max(int(min_ratings), 1)
    eligible = counts >= min_ratings
    # liked test movies a list can hold: a user whose liked ones all fall below min_ratings
    # cannot be scored (accuracy round 12's protocol)
    liked = test[(ratings[test] >= liked_from - 1e-9) & eligible[movies[test]]]
    trained_counts = np.bincount(users[split.train], minlength=ds.n_users)  # refit: + stop
    trained = trained_counts > 0
    n_untrained = len(np.unique(users[liked][~trained[users[liked]]]))
    liked = liked[trained[users[liked]]]
    candidates_of = np.unique(users[liked])
    if len(candidates_of) < MIN_USERS:
        reason = _too_few_reason(ratings[test], users[liked], scale, min_ratings, n_untrained)
        return pipeline.Unavailable(what, reason)
    evaluated = candidates_of
    if len(evaluated) > MAX_USERS:
        rng = np.random.default_rng(seed)
        evaluated = np.sort(rng.choice(evaluated, MAX_USERS, replace=False))
    seen_by_user = _movies_by_user(users[seen], movies[seen], evaluated)
    populars = _most_rated_lists(ds, split, seen, evaluated, eligible, seen_by_user, k)
    liked_by_user = _movies_by_user(users[liked], movies[liked], evaluated)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    model_gains, popular_gains = np.zeros(len(evaluated)), np.zeros(len(evaluated))
    model_hits, popular_hits = np.zeros(len(evaluated)), np.zeros(len(evaluated))
    chance_gains, chance_hits = np.zeros(len(evaluated)), np.zeros(len(evaluated))
    n_candidates = np.zeros(len(evaluated), dtype=np.int64)
    spans = []  # (lowest, highest) of the users whose candidates' predictions are tied
    is_target = np.zeros(ds.n_movies, dtype=bool)  # the user's liked test movies, reset after
    for i, user in enumerate(evaluated):
        allowed = eligible.copy()
        allowed[seen_by_user[i]] = False
        targets = liked_by_user[i]
        is_target[targets] = True
        scores = scoring.score_all_movies(model.arrays, model.spec, int(user), scale, clip=False)
        if (span := scoring.tied_span(scores[allowed], scale)) is not None:
            spans.append(span)
        top = _top(np.where(allowed, scores, -np.inf), allowed, k)
        popular = populars[i]
        n_candidates[i] = int(allowed.sum())
        ideal = discounts[: min(len(targets), k)].sum()
        chance_hits[i], chance_gains[i] = _chance(
            n_candidates[i], int(allowed[np.unique(targets)].sum()), discounts, ideal
        )
        for gains, hits, listed in (
            (model_gains, model_hits, top),
            (popular_gains, popular_hits, popular),
        ):
            hit = is_target[listed]
            gains[i] = float(discounts[: len(listed)][hit].sum() / ideal)
            hits[i] = float(hit.any())
        is_target[targets] = False
    ndcg_gap_ci, chance_gap_ci = _half_widths(
        model_gains - popular_gains, model_gains - chance_gains
    )
    return RankingCheck(
        k=k,
        min_ratings=min_ratings,
        liked_from=liked_from,
        scale_max=float(scale[1]),
        n_users=len(evaluated),
        n_users_all=len(candidates_of),
        n_untrained=n_untrained,
        hit_rate=float(model_hits.mean()),
        ndcg=float(model_gains.mean()),
        popular_hit_rate=float(popular_hits.mean()),
        popular_ndcg=float(popular_gains.mean()),
        ndcg_gap_ci=ndcg_gap_ci,
        users=evaluated,
        gains=model_gains,
        hits=model_hits,
        popular_hits=popular_hits,
        trained_counts=trained_counts,
        chance_hit_rate=float(chance_hits.mean()),
        chance_ndcg=float(chance_gains.mean()),
        chance_gap_ci=chance_gap_ci,
        median_candidates=float(np.median(n_candidates)),
        n_test_rows=len(test),
        liked_share=float(np.mean(ratings[test] >= liked_from - 1e-9)),
        tied=_tied_words(spans, len(evaluated), scale),
        popular_before_test=split.method == "temporal",
    )


def _most_rated_lists(
    ds: RatingsDataset,
    split: Split,
    seen: np.ndarray,
    evaluated: np.ndarray,
    eligible: np.ndarray,
    seen_by_user: list[np.ndarray],
    k: int,
) -> list[np.ndarray]:
    """Each evaluated user's most-rated-first list of ``k`` candidates (``eligible``, less the
    movies they were seen rating), by the ``seen`` rows' counts; on a per-user temporal split
    only the rows rated before the user's first test rating count (accuracy round 40, F2: 53%
    of the counts came later on ml-latest-small, which flipped the verdict). Users are taken in
    the order of their cut, the counts growing as they go."""
    movies = ds.ratings["movie_idx"].to_numpy(np.int64)
    if split.method == "temporal":
        ts = ds.timestamps()
        first_test = np.full(ds.n_users, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(
            first_test, ds.ratings["user_idx"].to_numpy(np.int64)[split.test], ts[split.test]
        )
        cuts = first_test[evaluated]
        seen = seen[np.argsort(ts[seen], kind="stable")]
        upto = np.searchsorted(ts[seen], cuts, side="left")  # rows strictly before each cut
    else:  # no test row precedes a training row that matters: every seen row counts
        upto = np.full(len(evaluated), len(seen))
    counts = np.zeros(ds.n_movies, dtype=np.int64)
    lists: list[np.ndarray] = [np.zeros(0, np.int64)] * len(evaluated)
    added = 0
    for i in np.argsort(upto, kind="stable"):
        counts += np.bincount(movies[seen[added : upto[i]]], minlength=ds.n_movies)
        added = upto[i]
        allowed = eligible.copy()
        allowed[seen_by_user[i]] = False
        lists[i] = _most_rated(counts, allowed, k)
    return lists


def _most_rated(counts: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` allowed movies of most ``counts``, ties by lower index (fewer if fewer)."""
    candidates = np.flatnonzero(allowed)
    if len(candidates) > k:
        kept = counts[candidates]
        candidates = candidates[kept >= np.partition(kept, len(kept) - k)[len(kept) - k]]
    return candidates[np.lexsort((candidates, -counts[candidates]))][:k]


def _half_widths(*values: np.ndarray) -> list[float]:
    """The 95% half-width of the mean of each of ``values`` (one value per user): Student t on
    users - 1 degrees of freedom times the standard error, as every other interval by user. A
    percentile bootstrap of the users (before accuracy round 47, F1) is a normal interval
    narrowed by sqrt((n - 1) / n): it covered 88-90% at 20 users."""
    t = paired.t_critical(len(values[0]))
    return [float(t * np.std(v, ddof=1) / math.sqrt(len(v))) for v in values]


def _chance(
    candidates: int, targets: int, discounts: np.ndarray, ideal: float
) -> tuple[float, float]:
    """Expected hit and NDCG of a random ``len(discounts)``-list of ``candidates`` movies of
    which ``targets`` are liked test movies: 1 - C(c-h, k)/C(c, k), and (h/c) * DCG of a full
    list over ``ideal`` (each place holds a liked one with probability h/c)."""
    n = min(len(discounts), candidates)
    if n == 0 or targets == 0:
        return 0.0, 0.0
    miss = 1.0
    for i in range(n):  # the chance that none of the n drawn is a target
        miss *= max(candidates - targets - i, 0) / (candidates - i)
    return 1.0 - miss, float(targets / candidates * discounts[:n].sum() / ideal)


def _tied_words(spans: list[tuple[float, float]], n_users: int, scale: tuple[float, ...]) -> str:
    """Why the lists' order is noise when the predictions over more than half of the ``n_users``
    users' candidates are tied (``spans``: theirs), else ""."""
    if 2 * len(spans) <= n_users:
        return ""
    low, high = min(lo for lo, _ in spans), max(hi for _, hi in spans)
    users = "every user" if len(spans) == n_users else f"{len(spans):,} of the {n_users:,} users"
    return (
        f"for {users} the model predicts almost the same rating for every candidate (under "
        f"{scoring.TIED_SPREAD:.0%} of its {float(scale[0]):g}-{float(scale[1]):g} scale apart; "
        f"{low:.2f} to {high:.2f} over them), so the order of its lists comes from differences "
        "too small to mean anything"
    )


def paired_ndcg_gap(a: RankingCheck, b: RankingCheck) -> tuple[float, float, int] | None:
    """``b``'s NDCG@k minus ``a``'s over the users both evaluated, the standard error of that
    mean difference and how many users it is over; None with fewer than :data:`MIN_USERS`
    shared users or other k."""
    if a.k != b.k:
        return None
    shared, in_a, in_b = np.intersect1d(a.users, b.users, return_indices=True)
    if len(shared) < MIN_USERS:
        return None
    gaps = b.gains[in_b] - a.gains[in_a]
    return float(gaps.mean()), float(gaps.std(ddof=1) / np.sqrt(len(gaps))), len(gaps)


def lists_resolved_at(n_models: int, n_users: int) -> float:
    """Standard errors a list gap over ``n_users`` users must reach among ``n_models`` models:
    the RMSE table's :func:`paired.resolved_at`, with Student t on users - 1 df at its level
    where that is stricter (few users), as the by-user intervals use it. The "±" printed is
    this many standard errors (accuracy round 31, F3: a 1.96 SE "±" beside a 2.94 SE call)."""
    level = 1 - paired.pair_alpha(n_models)
    return max(paired.resolved_at(n_models), paired.t_critical(n_users, level))


def liked_words(liked_from: float, scale_max: float) -> str:
    """``"liked (rated 4 or more)"``; ``"liked (rated 1)"`` where that is the top of the scale
    (accuracy round 16: on a 0/1 scale, "rated 1 or more" read as a rating threshold)."""
    return f"liked (rated {liked_from:g}{'' if liked_from >= scale_max - 1e-9 else ' or more'})"


def _too_few_reason(
    test_ratings: np.ndarray,
    liked_users: np.ndarray,
    scale: tuple[float, ...],
    min_ratings: int,
    n_untrained: int = 0,
) -> str:
    """Why fewer than :data:`MIN_USERS` users have a liked test movie the lists can hold."""
    liked_from, top = liked_threshold(scale), float(scale[1])
    if not len(test_ratings):
        return "its split has no test rows"
    highest = float(test_ratings.max())
    if highest < liked_from - 1e-9:
        wide = (
            f" If {highest:g} is the top of your rating scale, the model's {scale[0]:g}-{top:g} "
            "is too wide: retrain it (a scale inferred from the ratings now ends at their "
            "highest) or declare the scale when importing the ratings"
        )
        return (
            f"none of its {len(test_ratings):,} test ratings reaches {liked_from:g}, the lowest "
            f"counted as liked (the top quarter of its {scale[0]:g}-{top:g} scale); the "
            f"highest is {highest:g}.{wide}"
        )
    n_users = len(np.unique(liked_users))
    who = f"only {n_users:,} users with a training rating have" if n_users else "no user has"
    return (
        f"{who} a test movie they {liked_words(liked_from, top)} among "
        f"the movies with {min_ratings}+ training ratings, and the check needs {MIN_USERS}"
        + (f" ({untrained_words(n_untrained)})" if n_untrained else "")
    )


def untrained_words(n_untrained: int) -> str:
    """Why ``n_untrained`` users with a liked test movie are not scored, for a caption."""
    users, are = ("user", "is") if n_untrained == 1 else ("users", "are")
    return (
        f"{n_untrained:,} more {users} with a liked test movie {are} left out: they have no "
        "training rating, so their lists would come from vectors training never moved"
    )


#: How the most-rated list is counted on a per-user temporal split (accuracy round 40, F2), and
#: that the model was not held to it (accuracy round 41, F3: it trained on other users' later
#: ratings, 53% of its rows on ml-latest-small; counted over those rows the list led it).
POPULAR_BEFORE_TEST = (
    " (by the ratings made before the user's first test rating, while the model trained on "
    "other users' later ones too)"
)


def ranking_text(check: RankingCheck | pipeline.Unavailable, *, caveat: bool = True) -> str:
    """A model's held-out top-k check (:func:`held_out_ranking`) against a random list of the
    same candidates and a most-rated-first list, for beside its recommendations, or why it
    could not be computed. No verdict where the data make one meaningless
    (:attr:`RankingCheck.no_verdict`, said instead); ``caveat``: end with
    :data:`EXPOSURE_CAVEAT` (a page may put it in a tooltip). Views round 21: 141 words per
    model, the popularity caveat twice; the same facts in about half."""
    if isinstance(check, pipeline.Unavailable):
        return check.text
    users = f"{check.n_users:,} users" + (
        f" (a sample of {check.n_users_all:,})" if check.sampled else ""
    )
    left_out = f" ({untrained_words(check.n_untrained)})" if check.n_untrained else ""
    said = (
        f"Top-{check.k} lists on its test rows, for {users} with a test movie they "
        f"{liked_words(check.liked_from, check.scale_max)} among the movies with "
        f"{check.min_ratings}+ training ratings{left_out}, leaving out what it saw them rate: "
        f"its lists held one for {check.hit_rate:.0%} of them (NDCG@{check.k} "
        f"{check.ndcg:.3f}), a random {check.k} of the same candidates (a median of "
        f"{check.median_candidates:,.0f} per user) for {_percent(check.chance_hit_rate)} "
        f"({check.chance_ndcg:.3f}), a most-rated-first list"
        + (POPULAR_BEFORE_TEST if check.popular_before_test else "")
        + f" for {check.popular_hit_rate:.0%} ({check.popular_ndcg:.3f})."
    )
    if reason := check.no_verdict:
        return f"{said} No verdict: {reason}."
    gap, ci = check.ndcg_gap, check.ndcg_gap_ci
    verdicts = [
        f"Against the most-rated list: NDCG {number(gap, '+.3f')} ± {ci:.3f} (95%), "
        + paired.reading(
            gap, ci, "more liked movies found", "fewer liked movies found", "within noise"
        )
    ]
    if check.few_candidates:  # chance is far from 0 only with few candidates (round 24)
        verdicts.append(
            f"against chance, with under {FEW_CANDIDATES:,} candidates per list: NDCG "
            f"{number(check.chance_gap, '+.3f')} ± {check.chance_gap_ci:.3f}, "
            + paired.reading(
                check.chance_gap,
                check.chance_gap_ci,
                "more than chance",
                "fewer than chance",
                "within noise of chance",
            )
        )
    # as the RMSE's interval says (accuracy round 34, note): the users' draw only
    said += " " + "; ".join(verdicts) + f". Training noise is not in the ±: {store.SEED_MOVES_IT}."
    return f"{said} {EXPOSURE_CAVEAT}" if caveat else said


def ranking_summary(check: RankingCheck | pipeline.Unavailable, user: int | None = None) -> str:
    """One line of :func:`ranking_text` to keep in view beside a model's list (views round 27,
    F4: two captions of 60 and 95 words per model pushed the lists down): how often its top-k
    lists held a liked test movie, and a most-rated list's; or why there is no check. With
    ``user`` (user_idx), the same for the users of that user's band (:func:`band_text`)."""
    if isinstance(check, pipeline.Unavailable):
        return check.text
    said = (
        f"On its test rows, its top-{check.k} lists held a movie the user "
        f"{liked_words(check.liked_from, check.scale_max)} for {check.hit_rate:.0%} of "
        f"{check.n_users:,} users; a most-rated list"
        + (POPULAR_BEFORE_TEST if check.popular_before_test else "")
        + f" did for {check.popular_hit_rate:.0%}."
    )
    return said if user is None else f"{said} {band_text(check, user)}"


#: The bands of users by their number of training ratings (accuracy round 38, F1: on ml-100k's
#: u1 the lists' 58% against a most-rated list's 78% was 23% against 60% for users with 6-20
#: training ratings and 87% against 90% for those with over 100). Fixed, about 4x apart, so a
#: band means the same on every dataset and split; (lowest, highest or None).
USER_BANDS: tuple[tuple[int, int | None], ...] = ((1, 5), (6, 20), (21, 100), (101, None))


@dataclass(frozen=True)
class BandCheck:
    """A :class:`RankingCheck` over the evaluated users in one user's band of training ratings
    (:data:`USER_BANDS`)."""

    low: int
    high: int | None
    n_trained: int  # the user's training ratings, which set the band
    n_users: int  # evaluated users in the band
    hit_rate: float
    popular_hit_rate: float
    #: 95% half-width of hit_rate - popular_hit_rate, Student t over the band's users; NaN with fewer
    #: than :data:`MIN_USERS` of them
    gap_ci: float

    @property
    def label(self) -> str:
        """``"6-20"``, ``"over 100"``."""
        return f"over {self.low - 1}" if self.high is None else f"{self.low}-{self.high}"

    @property
    def gap(self) -> float:
        return self.hit_rate - self.popular_hit_rate


def user_band(check: RankingCheck, user: int) -> BandCheck | None:
    """``check`` over the evaluated users whose training ratings fall in the band of
    ``user``'s (user_idx); None for a user with no training rating (in no band)."""
    n_trained = int(check.trained_counts[user]) if user < len(check.trained_counts) else 0
    if n_trained < 1:
        return None
    low, high = next(b for b in USER_BANDS if b[1] is None or n_trained <= b[1])
    counts = check.trained_counts[check.users]
    in_band = (counts >= low) & ((counts <= high) if high is not None else True)
    hits, popular = check.hits[in_band], check.popular_hits[in_band]
    enough = len(hits) >= MIN_USERS
    return BandCheck(
        low=low,
        high=high,
        n_trained=n_trained,
        n_users=len(hits),
        hit_rate=float(hits.mean()) if len(hits) else math.nan,
        popular_hit_rate=float(popular.mean()) if len(hits) else math.nan,
        gap_ci=_half_widths(hits - popular)[0] if enough else math.nan,
    )


def band_text(check: RankingCheck, user: int) -> str:
    """How the lists did for the users of ``user``'s band (:func:`user_band`), with the 95%
    interval of the gap to the most-rated list (none where ``check`` has no verdict), or why
    there is nothing to say: too few users in the band, or no training rating."""
    band = user_band(check, user)
    if band is None:
        return (
            "This user has no training rating, so the model's list for them comes from a "
            "vector training never moved (such users are left out of the check)."
        )
    who = f"{band.label} training ratings, as this user has ({band.n_trained:,})"
    if band.n_users < MIN_USERS:
        scored = (
            f"Only {band.n_users:,} of the users scored"
            if band.n_users
            else "None of the users scored"
        )
        return (
            f"{scored} have {who}: too few to say anything for users like this one (the check "
            f"needs {MIN_USERS})."
        )
    said = (
        f"For the {band.n_users:,} of them with {who}: {band.hit_rate:.0%} against "
        f"{band.popular_hit_rate:.0%}"
    )
    if check.no_verdict:
        return f"{said}."
    verdict = paired.reading(
        band.gap, band.gap_ci, "more found by its lists", "fewer found by its lists", "within noise"
    )
    gap = number(100 * band.gap, "+.0f")
    return f"{said}, {gap} ± {100 * band.gap_ci:.0f} points (95%), {verdict}."


def _percent(share: float) -> str:
    """A share as a whole percent, to a tenth under 1% (a random list's 0.4% is not 0%)."""
    return f"{share:.1%}" if 0 < share < 0.01 else f"{share:.0%}"


#: What the held-out list check measures (accuracy round 13: on ratings planted so that a
#: movie's popularity says nothing of who likes it, the model's lists held movies users would
#: rate 5.94 on average against 3.52 for the most-rated list, yet lost this check 8 of 8 times).
EXPOSURE_CAVEAT = (
    "People rate what is shown and popular, so a most-rated list scores well on this check "
    "whether or not they would like its movies more than the model's picks."
)


def lists_disagree_text(
    lowest: str,
    checks: Mapping[str, RankingCheck | pipeline.Unavailable],
    twins: Mapping[str, tuple[str, ...]] | None = None,
) -> str:
    """A sentence when models' top-k lists (``checks``, by model name; all on one set of test
    rows) found liked test movies better than those of ``lowest``, the model of the lowest test
    RMSE, beyond noise (:func:`paired_ndcg_gap`), else "" (recheck A and C, s26: Compare said
    so of identical lists and of gaps within noise). As the RMSE table: the gap must reach
    :func:`paired.resolved_at` standard errors for the models compared (the lowest is picked on
    these rows), and a model that differs from ``lowest`` only in its draws (``twins``: name to
    :func:`paired.seed_twins`) is never called better: its gap is named training noise
    (accuracy rounds 13 and 15: on pure noise, such twins were called better). A check with no
    verdict (:attr:`RankingCheck.no_verdict`: every test rating liked, tied predictions) takes
    no part (accuracy round 24); Compare says why beside its table."""
    base = checks.get(lowest)
    if not isinstance(base, RankingCheck) or base.no_verdict:
        return ""
    twins = twins or {}
    scored = {
        name: check
        for name, check in checks.items()
        if isinstance(check, RankingCheck) and not check.no_verdict
    }
    better, noise, used = [], [], set()
    for name, check in scored.items():
        if name == lowest:
            continue
        gap = paired_ndcg_gap(base, check)
        if gap is None or gap[0] <= 0:
            continue
        needed = lists_resolved_at(len(scored), gap[2])
        in_se = gap[0] / gap[1] if gap[1] > 1e-9 else math.inf  # every user alike
        if in_se >= needed:
            used.add(f"{needed:.2f}")
            size = f", {in_se:.1f} SE" if math.isfinite(in_se) else ""
            said = f"{name} ({number(gap[0], '+.3f')} ± {needed * gap[1]:.3f}{size})"
            if twins.get(name):
                noise.append(f"{said}: {paired.twin_verdict(twins[name])}")
            else:
                better.append(said)
    pairs = len(scored) * (len(scored) - 1) // 2
    shared = (
        f" for all {pairs} pairs; the ± is the {' or '.join(sorted(used))} standard errors "
        f"that {len(scored)} models need"
        if len(scored) > 2
        else ""
    )
    sentences = []
    if better:
        sentences.append(
            f"The lowest test RMSE is {lowest}'s, yet these models' top-{base.k} lists found "
            f"liked test movies better, beyond the test users' draw (NDCG@{base.k} minus its, "
            f"paired over the same users, 95%{shared}): {', '.join(better)}. Training noise is "
            "not in it: retrained with another seed, a model's lists move too."
        )
    if noise:
        sentences.append(
            f"These models' top-{base.k} lists found liked test movies better than {lowest}'s "
            f"(NDCG@{base.k} minus its, paired over the same users, 95%{shared}), but each has "
            f"{lowest}'s settings: {'; '.join(noise)}. That gap is training noise, not a better "
            "setting."
        )
    return " ".join(sentences)


def _movies_by_user(users: np.ndarray, movies: np.ndarray, wanted: np.ndarray) -> list[np.ndarray]:
    """For each user of ``wanted`` (sorted), the movies of their rows among ``users, movies``."""
    keep = np.isin(users, wanted)
    users, movies = users[keep], movies[keep]
    order = np.argsort(users, kind="stable")
    users, movies = users[order], movies[order]
    starts = np.searchsorted(users, wanted, side="left")
    ends = np.searchsorted(users, wanted, side="right")
    return [movies[a:b] for a, b in zip(starts, ends, strict=True)]


def _top(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` allowed movies of highest score, best first (fewer if fewer are allowed)."""
    n = min(k, int(allowed.sum()))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")]
