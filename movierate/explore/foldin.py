""" "Your own ratings": place a new user in a trained model without retraining (fold-in).

For ``mf`` / ``mf_bias`` / ``autorec`` models the new user's vector u (and user bias b_u when
the model has one) is the maximum a posteriori fit to a handful of (movie row, rating) pairs,
the movie vectors m, movie biases b_m and global mean g staying fixed:

    minimise  sum_i (r_i - f(z_i))^2 + (theta - mu)^T P (theta - mu),  z_i = u.m_i + b_u + b_m_i

where theta = (u, b_u), mu is the mean trained user (vector and bias) and the prior precision is
P = diag(sigma_noise^2 / sigma_k^2): sigma_k^2 is the variance of the trained users' k-th
coordinate (of their biases for b_u) and sigma_noise^2 the model's squared validation RMSE
(the trained users: those with a row the model was fit on, by its recorded split,
:func:`trained_users`; a user with test rows only keeps its initial draw, which says nothing of
people's tastes)
(1.0 when unknown). That is ridge regression whose lambda per dimension is the
noise-to-signal ratio, shrinking towards the average user, so one rating gives
"the average user, nudged" and many ratings let the data speak. A rated movie the model has
no training rating of (a by-date split's newest films: every rating of them is a test row) is
left out of the fit (``FoldIn.left_out``): the model never learned it (an mf model's vector
and bias of it are still their random start), so its rating would fit the user to noise
(accuracy round 56, F1: five such 5s moved the user bias by +0.6 and the predictions by up to
1.6 stars).

The output transform is the one :mod:`movierate.scoring` applies: for ``none`` and ``clip``
f(z) = g + s z (s: the model's score unit, :func:`scoring.score_unit`; the fit runs on
(r - g) / s with the noise variance divided by s^2) and is exact least squares (clipping only
matters when predicting); for
``sigmoid`` f(z) = lo + (hi - lo) * sigmoid(z + offset) and the fit starts from least squares on
logit-transformed ratings, then takes Gauss-Newton steps on the rating-scale residuals.

Why a movie is recommended: with A = Phi^T W Phi + P, theta = mu + A^-1 Phi^T W y~, so the user
part of movie j's score splits exactly into phi_j.mu (the average user) plus, for each rated
movie i, phi_j^T A^-1 phi_i w_i y~_i (w = 1 and y~ = (r - g) / s - b_m - phi.mu for linear
outputs, the contributions then times s, in rating points; the
Gauss-Newton weights and working response for sigmoid, in logit units). Each rated movie's
``level`` is its contribution averaged over the movies that can be recommended (the model's
trained movies): the part that moves every movie's score alike, through the user bias where
the model has one and through the user vector along the movies' mean direction (the movie
vectors share a common component; an autorec's user bias is pinned, so that is all of it). It
is the same for every pick, so it changes no ranking. The rest, its ``taste``, is how much more
it pushed this movie than the average one; the rated movies with the largest taste
contributions "drove" a recommendation (with one 5-star rating every row said "because Toy
Story", which was only the user's level: views review round 3; accuracy round 51: the level
through the user bias alone left an autorec's all-movies shift in taste).

``svdpp`` models sum a second table over the movies a user rated: z_j = m_j.(p + |N|^-1/2
sum_{i in N} y_i) + b_u + b_m_j. For a new user N is the rated movies, so that sum is known
before the fit: it joins the offset, the prior is fitted on the trained users' own part p
(``user_factor``), and the folded-in ``vector`` is the effective one (p plus the implicit part).
Each rated movie's implicit part m_j.y_i |N|^-1/2 is part of its taste contribution, so the
contributions still add up to z minus the average user's (p at the prior mean, no ratings).

``deep`` models are not supported: their score is not linear in the user vector, and a
handful of ratings cannot pin down a vector through an MLP reliably; a DataError says so.

>>> result = recommend_from_ratings(model, {12: 5.0, 40: 1.0, 99: 4.5}, k=10)  # doctest: +SKIP
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from movierate import scoring
from movierate.errors import DataError, MovierateError
from movierate.explore.recommend import (
    clip_for_display,
    cut_tie_text,
    rank_movies,
    tie_at_cut,
    untrained,
)
from movierate.explore.validation import check_flag, check_k, check_movie_idx, takes_models
from movierate.shown import counted, number

#: Gauss-Newton steps at most (sigmoid output) and the step size that counts as converged.
MAX_STEPS = 30
TOLERANCE = 1e-6
#: Below this many ratings the result leans mostly on the average user (said in the message).
FEW_RATINGS = 5
#: autorec too: its score is a dot product of the user's decoder row and the movie's code (the
#: codes stay those of the training ratings: the new user's ratings do not re-encode movies).
SUPPORTED_FAMILIES = ("mf", "mf_bias", "autorec", "svdpp")
#: Per (recommended movie, rated movie): its contribution to the score and its two parts.
REASON_COLUMNS = [
    "movie_idx",
    "rated_idx",
    "rated_title",
    "rating",
    "contribution",
    "level",
    "taste",
]


@dataclass(frozen=True)
class FoldIn:
    """A new user fitted to a few ratings."""

    vector: np.ndarray  # (dim,) float32 user embedding
    bias: float  # user bias (0.0 when the model has none)
    rows: np.ndarray  # rated movie rows
    ratings: np.ndarray  # their ratings
    fitted: np.ndarray  # the model's predictions for the rated movies
    precision: np.ndarray  # prior precision per parameter (lambda per dim; then the bias's)
    prior_mean: np.ndarray  # mu: the average trained user (vector, then bias)
    noise_variance: float
    _solve: np.ndarray  # A^-1 (p, p)
    _weighted: np.ndarray  # w_i * (y~_i - phi_i.mu), (n_rated,)
    #: why the prior took every user row, test-only users included ("" when it took the
    #: trained users only, or when the model records no split to tell them by)
    prior_note: str = ""
    #: svdpp: each rated movie's implicit vector y_i |N|^-1/2 (n_rated, dim), summed into
    #: ``vector``; None for the other families
    implicit: np.ndarray | None = None
    #: rating points per unit of the score z (the model's score unit; 1 for a sigmoid output)
    unit: float = 1.0
    #: rated movie rows left out of the fit: movies the model has no training rating of
    #: (:func:`~movierate.explore.recommend.untrained`), whose vectors never left their start
    left_out: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def theta(self) -> np.ndarray:
        return np.r_[self.vector, [self.bias]] if self._has_bias else self.vector.astype(float)

    @property
    def _has_bias(self) -> bool:
        return len(self.prior_mean) == len(self.vector) + 1

    def contributions(self, movie_embedding: np.ndarray, rows: Any) -> np.ndarray:
        """(len(rows), n_rated): how much each rated movie adds to the score (unit * z, before
        the output transform) of each movie in ``rows``; rows sum to that minus the average
        user's."""
        embedding = np.asarray(movie_embedding, np.float64)
        return self._contributions_of(embedding[np.asarray(rows)], embedding)

    def level_contributions(self, movie_embedding: np.ndarray, over: Any = None) -> np.ndarray:
        """(n_rated,): each rated movie's contribution averaged over the movies ``over`` (row
        positions; None: every row), the part that moves every movie's score alike (through
        the user bias and the movies' mean direction); a contribution minus it is its taste."""
        embedding = np.asarray(movie_embedding, np.float64)
        vectors = embedding if over is None else embedding[np.asarray(over, dtype=np.int64)]
        if not len(vectors):
            vectors = embedding  # no movie to average over: every row
        # contributions are linear in the movie vector: the mean vector's is the mean
        return self._contributions_of(vectors.mean(axis=0, keepdims=True), embedding)[0]

    def _contributions_of(self, vectors: np.ndarray, embedding: np.ndarray) -> np.ndarray:
        """:meth:`contributions` to the score of a movie with each of ``vectors``."""
        phi = _features(vectors, self._has_bias)
        phi_rated = _features(embedding[self.rows], self._has_bias)
        fitted = (phi @ self._solve @ phi_rated.T) * self._weighted[None, :]
        fitted = fitted if self.implicit is None else fitted + vectors @ self.implicit.T
        return fitted if self.unit == 1.0 else fitted * self.unit


@dataclass(frozen=True)
class FoldInRecommendations:
    """Recommendations for a folded-in user and what drove them."""

    fold: FoldIn
    #: rank, movie columns, predicted, because (the titles as one text) and because_parts
    #: (each (title, "(rated 5: +0.20)") on its own: a view isolates each title's direction)
    recommended: pd.DataFrame
    reasons: pd.DataFrame  # REASON_COLUMNS
    coordinates: np.ndarray | None  # (2,) on the users map when a PCA was given
    message: str
    #: The model's own predictions in ``recommended`` against the rating scale (the table shows
    #: them clipped to it).
    shown: Any = None


_TRAINED_USERS: weakref.WeakKeyDictionary[Any, tuple[np.ndarray | None, str]] = (
    weakref.WeakKeyDictionary()
)


@takes_models("model")
def trained_users(model: Any) -> tuple[np.ndarray | None, str]:
    """(mask of ``model``'s user rows with at least one rating it was fit on, "") by its
    recorded split; (None, why) when that split cannot be read (its dataset is not here or
    changed), (None, "") for a model that records no split (built in memory). Memoised per
    loaded model (it reads the dataset once)."""
    meta = getattr(model, "meta", None)
    if not isinstance(meta, Mapping) or not isinstance(meta.get("split"), Mapping):
        return None, ""
    try:
        found = _TRAINED_USERS.get(model)
    except TypeError:  # an object that cannot be weakly referenced: no memo
        return _read_trained_users(model)
    if found is None:
        found = _TRAINED_USERS[model] = _read_trained_users(model)
    return found


def _read_trained_users(model: Any) -> tuple[np.ndarray | None, str]:
    from movierate.pipeline import dataset_of, model_rows  # no TensorFlow

    n_users = len(model.arrays["user_embedding"])
    try:
        ds = dataset_of(model)
        fitted = model_rows(ds, model.meta["split"]).trained
    except MovierateError as exc:
        return None, (
            f"The average user here is over all {n_users:,} user rows, those with test rows "
            f"only included, since the model's training rows could not be read ({exc})"
        )
    users = ds.ratings["user_idx"].to_numpy()[np.asarray(fitted, dtype=np.int64)]
    mask = np.bincount(users, minlength=n_users)[:n_users] > 0
    return (mask, "") if mask.any() else (None, "")


@takes_models("model")
def fold_in(model: Any, ratings: Any, *, noise_variance: float | None = None) -> FoldIn:
    """Fit a user vector (and bias) to ``ratings`` ({movie_idx: rating}, or another form
    :func:`rating_pairs` takes); see the module doc. Ratings of movies the model has no
    training rating of are left out of the fit (``left_out``); DataError when all are."""
    family, output = _check_model(model)
    arrays = model.arrays
    movie_emb = np.asarray(arrays["movie_embedding"], dtype=np.float64)
    rows, values = _check_ratings(ratings, len(movie_emb), model.rating_scale)
    # accuracy round 56, F1: a movie with no training rating (a by-date split's newest) still
    # has its random start and bias 0, so its rating fitted the user to noise
    cold = untrained(model.movies)[rows]
    if cold.all():
        raise DataError(_all_untrained_text(int(cold.sum())))
    left_out, rows, values = rows[cold], rows[~cold], values[~cold]
    has_bias = "user_bias" in arrays
    # the prior: the users training moved (accuracy round 18: test-only users, at their
    # initial draw, entered the mean and variance)
    trained, prior_note = trained_users(model)
    implicit = _implicit_part(arrays, rows) if family == "svdpp" else None
    users = np.asarray(arrays["user_factor" if implicit is not None else "user_embedding"])
    users = users.astype(np.float64) if trained is None else users[trained].astype(np.float64)
    mu = users.mean(axis=0)
    var = np.maximum(users.var(axis=0), 1e-8)
    if has_bias:
        user_bias = np.asarray(arrays["user_bias"], dtype=np.float64)
        user_bias = user_bias if trained is None else user_bias[trained]
        mu = np.r_[mu, user_bias.mean()]
        var = np.r_[var, max(float(user_bias.var()), 1e-8)]
    noise = _noise_variance(model) if noise_variance is None else float(noise_variance)
    if not np.isfinite(noise) or noise <= 0:
        raise DataError(f"noise_variance must be a positive number, got {noise_variance!r}.")
    # ratings are g + unit * z: the fit runs in z, the noise (rating points) in score units
    unit = 1.0 if output == "sigmoid" else scoring.score_unit(arrays)
    precision = noise / (unit * unit) / var
    phi = _features(movie_emb[rows], has_bias)
    offset = _movie_bias(arrays, rows)
    if implicit is not None:
        offset = offset + movie_emb[rows] @ implicit.sum(axis=0)
    g = model.global_mean
    lo, hi = float(model.rating_scale[0]), float(model.rating_scale[1])
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            if output == "sigmoid":
                theta, weights, working = _fit_sigmoid(
                    phi, offset, values, g, lo, hi, mu, precision
                )
            else:
                working = (values - g) / unit - offset
                weights = np.ones(len(values))
                theta = _ridge(phi, working, weights, mu, precision)
            a = phi.T @ (phi * weights[:, None]) + np.diag(precision)
            solve = np.linalg.inv(a)
        if not (np.isfinite(theta).all() and np.isfinite(solve).all()):
            raise np.linalg.LinAlgError("not finite")
    except np.linalg.LinAlgError:
        largest = float(np.abs(movie_emb).max(initial=0.0))
        raise DataError(
            f"Your ratings cannot be fitted to this model: its vectors are too large for the "
            f"arithmetic (the largest movie vector value is {largest:.3g}; trained models stay "
            "near 1). The model looks damaged or edited; retrain it."
        ) from None
    vector = theta[: movie_emb.shape[1]]
    vector = (vector if implicit is None else vector + implicit.sum(axis=0)).astype(np.float32)
    bias = float(theta[-1]) if has_bias else 0.0
    fold = FoldIn(
        vector=vector,
        bias=bias,
        rows=rows,
        ratings=values,
        fitted=np.empty(0),
        precision=precision,
        prior_mean=mu,
        noise_variance=noise,
        _solve=solve,
        _weighted=weights * (working - phi @ mu),
        prior_note=prior_note,
        implicit=implicit,
        unit=unit,
        left_out=left_out,
    )
    fitted = predict_all(model, fold)[rows]
    object.__setattr__(fold, "fitted", fitted)
    return fold


#: A prior this many times heavier than the ratings (per dimension, the median) is said to
#: outweigh them when the list is the average user's: an autorec's was 395-2,313 (views round
#: 5b); mf models' 4-43, where ratings that agree with the average user also give its list
#: (recheck 2), which is no fault of the model.
PRIOR_OUTWEIGHS = 100


def _prior_weight(model: Any, fold: FoldIn) -> float:
    """Median over the dimensions of the prior's precision against the rated movies' (their
    squared vector entries summed): how much more the average user counts than the ratings
    (views round 5b: 395-2,313 for an autorec; mf models 4-43, recheck 2)."""
    dim = len(fold.vector)
    rated = np.asarray(model.arrays["movie_embedding"], np.float64)[fold.rows]
    data = np.maximum((rated**2).sum(axis=0), 1e-12)
    return float(np.median(fold.precision[:dim] / data))


def _all_untrained_text(n_rated: int) -> str:
    """Why no fold-in is possible: the model has no training rating of any of the
    ``n_rated`` movies rated."""
    which, them = (
        ("the movie", "it") if n_rated == 1 else (f"any of the {n_rated:,} movies", "them")
    )
    return (
        f"The model has no training rating of {which} you rated: it never learned {them}, so "
        f"a rating of {them if n_rated == 1 else 'one'} says nothing about your taste and "
        "there is nothing to fit. Rate movies the model trained on."
    )


def _left_out_text(n_left: int) -> str:
    """That ``n_left`` (one or more) ratings were left out of a fold-in for being of movies
    the model has no training rating of, and why."""
    one = n_left == 1
    return (
        f"{counted(n_left, 'rating')} you gave {'is' if one else 'are'} not used: "
        f"{'it is of a movie' if one else 'they are of movies'} the model has no training "
        f"rating of and never learned, so {'it says' if one else 'they say'} nothing about "
        "your taste."
    )


@takes_models("model")
def predict_all(
    model: Any, fold: FoldIn, *, average: bool = False, clip: bool = True
) -> np.ndarray:
    """The folded-in user's predicted rating of every movie, by :mod:`movierate.scoring`;
    ``average``: the prior's instead, the average trained user (no ratings of their own);
    ``clip=False``: the order to rank by (:func:`scoring.score_all_movies`)."""
    average, clip = check_flag(average, "average"), check_flag(clip, "clip")
    dim = len(fold.vector)
    vector, bias = (fold.prior_mean[:dim], fold.prior_mean[dim:]) if average else (
        fold.vector, [fold.bias]
    )  # fmt: skip
    arrays = dict(model.arrays)
    arrays["user_embedding"] = np.asarray(vector, np.float32)[None, :]
    if "user_bias" in arrays:
        arrays["user_bias"] = np.asarray(bias, dtype=np.float32)[:1]
    return scoring.score_all_movies(arrays, model.spec, 0, model.rating_scale, clip=clip)


@takes_models("model")
def recommend_from_ratings(
    model: Any,
    ratings: Any,
    k: int = 10,
    min_ratings: int = 0,
    *,
    n_reasons: int = 3,
    pca: Any = None,
) -> FoldInRecommendations:
    """The ``k`` unrated movies (with at least ``min_ratings`` ratings the model trained on,
    where its table records them: :func:`~movierate.explore.validation.filter_counts`) the
    folded-in user would rate highest, each with the ``n_reasons`` rated movies whose taste
    (their contribution to it beyond their level, their average over the trained movies)
    pushed its score up most; ``pca`` (a :class:`~movierate.explore.pca.PCAResult` fitted on
    the user embedding) places the user on the users map. Ratings of movies the model has no
    training rating of are left out of the fit (:func:`fold_in`) and said in the message."""
    k = check_k(k)
    n_reasons = check_k(n_reasons, "n_reasons")
    fold = fold_in(model, ratings)
    scores = predict_all(model, fold)
    movies = model.movies
    rated = np.r_[fold.rows, fold.left_out]  # a movie left out of the fit is still rated
    picks = {"exclude": rated, "k": k, "min_ratings": min_ratings}
    order_all = predict_all(model, fold, clip=False)
    recommended = rank_movies(scores, movies, order=order_all, **picks)
    rec_rows = recommended["movie_idx"].to_numpy(np.int64)
    # accuracy round 8: most picks were the average user's anyway; say which
    average_scores = predict_all(model, fold, average=True)
    average_order = predict_all(model, fold, average=True, clip=False)
    average = rank_movies(average_scores, movies, order=average_order, **picks)
    recommended["also average"] = np.isin(rec_rows, average["movie_idx"].to_numpy(np.int64))
    # what the ratings did to each pick, in stars (a pick can be listed though they lowered it)
    recommended["vs average"] = scores[rec_rows] - average_scores[rec_rows]
    contrib = fold.contributions(model.arrays["movie_embedding"], rec_rows)
    # the level: the average over the movies a list may hold (accuracy round 51)
    trained = np.flatnonzero(~untrained(movies))
    level = fold.level_contributions(model.arrays["movie_embedding"], trained)
    taste = contrib - level[None, :]
    titles = movies["title"].astype(str).to_numpy()
    records, because = [], []
    for j, row in enumerate(rec_rows):
        order = np.argsort(-taste[j], kind="stable")
        because.append(  # with the rating: a disliked film's taste can push a movie up
            tuple(  # the push: how much it raised this pick's score (accuracy round 8)
                (
                    titles[fold.rows[i]],
                    f"(rated {fold.ratings[i]:g}: {number(taste[j, i], '+.2f')})",
                )
                for i in order[:n_reasons]
                if taste[j, i] >= 0.005  # a push that prints as +0.00 is no reason
            )
        )
        for i in order:
            records.append(
                (
                    int(row),
                    int(fold.rows[i]),
                    titles[fold.rows[i]],
                    float(fold.ratings[i]),
                    float(contrib[j, i]),
                    float(level[i]),
                    float(taste[j, i]),
                )
            )
    cut = tie_at_cut(
        order_all, movies, rec_rows, exclude=rated, min_ratings=min_ratings,
        rating_scale=model.rating_scale,
    )  # fmt: skip
    if cut is not None:  # no per-pick reasons for picks chosen inside a tie
        because[len(because) - cut.inside :] = [()] * cut.inside
    recommended["because"] = [", ".join(f"{t} {n}" for t, n in parts) for parts in because]
    recommended["because_parts"] = because
    reasons = pd.DataFrame(records, columns=REASON_COLUMNS)
    coordinates = None
    if pca is not None:
        xy = np.asarray(pca.transform(fold.vector[None, :])[0][:2], dtype=np.float64)
        coordinates = np.pad(xy, (0, 2 - len(xy)))  # a 1-D map's users sit at y = 0 too
    n = len(fold.rows)
    shared = int(recommended["also average"].sum())
    prior_weight = _prior_weight(model, fold)
    tied = tied_predictions(scores, model.rating_scale) or cut_tie_text(
        cut,
        len(recommended),
        model.rating_scale,
        "'because' is left empty for them. Rate more movies, or pick a model whose "
        "predictions differ more.",
    )
    fitted = f"Fitted to {n} rating(s) without retraining. " + (
        f"{_left_out_text(len(fold.left_out))} " if len(fold.left_out) else ""
    )
    # only ratings of trained movies count, so the advice asks for those (accuracy round 56)
    more = " the model trained on" if len(fold.left_out) else ""
    if tied:
        message = f"{fitted}{tied}"
        if fold.prior_note:
            message += f" {fold.prior_note}."
        (recommended,), shown = clip_for_display([recommended], model.rating_scale)
        return FoldInRecommendations(fold, recommended, reasons, coordinates, message, shown)
    message = (
        f"{fitted}{shared} of these {len(recommended)} are "
        f"also the average user's top {len(recommended)} (a user with no ratings, same "
        f"filters; column 'also average'), so your ratings chose {len(recommended) - shared}. "
    ) + (
        f"With fewer than {FEW_RATINGS} ratings the result leans mostly on the average "
        f"user; rate a few more movies{more}."
        if n < FEW_RATINGS
        else "This is the average user's list: per dimension, the model's prior on a user "
        f"weighs {prior_weight:,.0f} times what your {n} ratings do, so they "
        f"hardly move it; rate many more movies{more} or pick another model."
        if shared == len(recommended) and prior_weight >= PRIOR_OUTWEIGHS
        else "'because' names the rated movies whose taste pushed each pick up most, with how "
        "much more that rating raised the pick than the average movie (a rating also moves "
        "every score alike through your level, so its whole effect on a pick can be smaller "
        "or even negative)"
        + (" (before the sigmoid, in logit units)" if model.spec.output == "sigmoid" else "")
        + "; 'vs average' is what all your ratings together did to it, in rating points."
    )
    if fold.prior_note:
        message += f" {fold.prior_note}."
    (recommended,), shown = clip_for_display([recommended], model.rating_scale)
    return FoldInRecommendations(fold, recommended, reasons, coordinates, message, shown)


def tied_predictions(scores: Any, rating_scale: Any) -> str:
    """Why a ranking of ``scores`` (one prediction per movie) means nothing, when they span
    under :data:`scoring.TIED_SPREAD` of the rating scale (:func:`scoring.tied_span`); "" when
    they spread enough to rank."""
    tied = scoring.tied_span(scores, rating_scale)
    if tied is None:
        return ""
    low, high = tied
    return (
        f"The model predicts almost the same rating for every movie ({low:.2f} to {high:.2f}, "
        f"under {scoring.TIED_SPREAD:.0%} of the {float(rating_scale[0]):g}-{float(rating_scale[1]):g} "
        "scale apart), as a model does whose training ratings barely vary: it cannot rank "
        "them, so this order and which of these the average user would also get come from "
        "differences too small to mean anything. Pick a model trained on ratings that vary."
    )


def _check_model(model: Any) -> tuple[str, str]:
    spec = getattr(model, "spec", None)
    family, output = getattr(spec, "family", None), getattr(spec, "output", None)
    if family == "deep":
        raise DataError(
            "Folding in your own ratings works for mf, mf_bias, svdpp and autorec models only: a deep "
            "model's prediction is not linear in the user vector, so a few ratings cannot place "
            "a new user reliably. Pick an mf, mf_bias, svdpp or autorec model."
        )
    if family not in SUPPORTED_FAMILIES:
        raise DataError(
            f"Folding in your own ratings works for mf, mf_bias, svdpp and autorec models only, not "
            f"{family}: pick an mf, mf_bias, svdpp or autorec model."
        )
    if output not in scoring.OUTPUTS:
        raise DataError(
            f"The model's output transform {output!r} is not one movierate knows; the model "
            "looks damaged or edited: retrain it."
        )
    return family, output


def _check_ratings(ratings: Any, n_movies: int, rating_scale: Any) -> tuple[np.ndarray, np.ndarray]:
    """Rows and values of ``ratings`` in any of the forms :func:`rating_pairs` takes, each row
    a movie of this model and each value a number on its scale."""
    lo, hi = float(rating_scale[0]), float(rating_scale[1])
    rows, values = [], []
    for row, value in rating_pairs(ratings):
        rows.append(check_movie_idx(row, n_movies))
        if isinstance(value, bool | np.bool_):  # {0: True} read as 1.0 (round 24 F8)
            raise DataError(
                f"The rating of movie {row} is {value}, a yes/no; give a number from "
                f"{lo:g} to {hi:g}."
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise DataError(f"The rating of movie {row} is not a number: {value!r}.") from None
        if not np.isfinite(number) or not lo - 1e-9 <= number <= hi + 1e-9:
            raise DataError(
                f"The rating of movie {row} is {value!r}; ratings must lie in {lo:g}..{hi:g}."
            )
        values.append(number)
    twice = sorted(row for row, n in Counter(rows).items() if n > 1)
    if twice:
        raise DataError(
            f"Movie(s) {', '.join(map(str, twice))} are rated more than once; give each movie "
            "one rating."
        )
    return np.asarray(rows, dtype=np.int64), np.asarray(values, dtype=np.float64)


def rating_pairs(ratings: Any) -> list[tuple[Any, Any]]:
    """(movie_idx, rating) pairs of the forms a notebook has at hand: a dict {movie_idx:
    rating}, a pandas Series indexed by movie_idx, a DataFrame with movie_idx and rating
    columns, or a list of (movie_idx, rating) pairs. DataError for anything else, or for none
    (bad-input round 24 F8: a Series of two ratings was told "Rate at least one movie")."""
    form = "{movie_idx: rating, ...}"
    if isinstance(ratings, pd.DataFrame):
        missing = [c for c in ("movie_idx", "rating") if c not in ratings.columns]
        if missing:
            raise DataError(
                f"The ratings table lacks the column(s) {', '.join(missing)}; pass a DataFrame "
                f"with movie_idx and rating columns, or a dict {form}."
            )
        if "user_idx" in ratings.columns and ratings["user_idx"].nunique() > 1:
            raise DataError(
                f"The ratings table holds the ratings of {ratings['user_idx'].nunique():,} "
                "users; fold in one person's: ratings[ratings.user_idx == u]."
            )
        pairs = list(zip(ratings["movie_idx"].tolist(), ratings["rating"].tolist(), strict=True))
    elif isinstance(ratings, pd.Series | Mapping):
        pairs = list(ratings.items())
    elif isinstance(ratings, list | tuple) and all(
        isinstance(p, list | tuple) and len(p) == 2 for p in ratings
    ):
        pairs = [tuple(p) for p in ratings]
    else:
        raise DataError(
            f"ratings must be a dict {form}, a pandas Series indexed by movie_idx, a DataFrame "
            f"with movie_idx and rating columns, or a list of (movie_idx, rating) pairs; got "
            f"{type(ratings).__name__}."
        )
    if not pairs:
        raise DataError(f"Rate at least one movie: pass {form}.")
    return pairs


def _noise_variance(model: Any) -> float:
    """The rating noise's variance: the squared held-out RMSE the model recorded, its
    early-stopping rows' (old models: valid); for a refit tuned model, which trained on those
    rows, the search's pick on them (accuracy round 9: it fell back to 1.0, not 0.899^2); 1.0
    when none is recorded."""
    metrics = getattr(model, "metrics", None) or {}
    rmse = None
    if isinstance(metrics, Mapping):  # held-out error: early-stopping rows (old models: valid)
        rmse = metrics.get("stop_rmse", metrics.get("valid_rmse"))
    meta = getattr(model, "meta", None)
    tuning = meta.get("tuning") if isinstance(meta, Mapping) else None
    if rmse is None and isinstance(tuning, Mapping):
        blend, best = tuning.get("blend"), tuning.get("best")
        picked = blend if isinstance(blend, Mapping) else best if isinstance(best, Mapping) else {}
        rmse = picked.get("stop_rmse", picked.get("value"))
    try:
        rmse = float(rmse)
    except (TypeError, ValueError):
        return 1.0
    return rmse * rmse if np.isfinite(rmse) and rmse > 0 else 1.0


def _implicit_part(arrays: Mapping[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """svdpp: y_i |N|^-1/2 for each rated movie i (N: the rated movies), (n_rated, dim)."""
    missing = [key for key in ("user_factor", "implicit_embedding") if key not in arrays]
    if missing:
        raise DataError(
            f"This svdpp model's saved arrays lack {' and '.join(missing)}, which placing a new "
            "user needs; the model looks damaged or edited: retrain it."
        )
    table = np.asarray(arrays["implicit_embedding"], dtype=np.float64)
    return table[rows] / np.sqrt(len(rows))


def _features(movie_vectors: np.ndarray, has_bias: bool) -> np.ndarray:
    if has_bias:
        return np.hstack([movie_vectors, np.ones((len(movie_vectors), 1))])
    return movie_vectors


def _movie_bias(arrays: Mapping[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    if "movie_bias" in arrays:
        return np.asarray(arrays["movie_bias"], dtype=np.float64)[rows]
    return np.zeros(len(rows))


def _ridge(
    phi: np.ndarray, y: np.ndarray, w: np.ndarray, mu: np.ndarray, precision: np.ndarray
) -> np.ndarray:
    """argmin sum w_i (y_i - phi_i.theta)^2 + (theta - mu)^T diag(precision) (theta - mu)."""
    a = phi.T @ (phi * w[:, None]) + np.diag(precision)
    return np.linalg.solve(a, phi.T @ (w * y) + precision * mu)


def _fit_sigmoid(
    phi: np.ndarray,
    offset: np.ndarray,
    r: np.ndarray,
    g: float,
    lo: float,
    hi: float,
    mu: np.ndarray,
    precision: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gauss-Newton for r ~ lo' + (hi' - lo') sigmoid(z + c); returns theta, the final weights
    w_i = f'(z_i)^2 and working response y~_i = z_i - b_m_i + (r_i - f(z_i)) / f'(z_i)."""
    lo, hi = lo - scoring.SIGMOID_MARGIN, hi + scoring.SIGMOID_MARGIN
    span = hi - lo
    p = (g - lo) / span
    c = float(np.log(p / (1.0 - p)))
    target = np.clip((r - lo) / span, 1e-4, 1 - 1e-4)
    theta = _ridge(phi, np.log(target / (1 - target)) - c - offset, np.ones(len(r)), mu, precision)

    def state(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        z = phi @ theta + offset
        s = 0.5 * (1.0 + np.tanh(0.5 * (z + c)))
        f = lo + span * s
        slope = np.maximum(span * s * (1 - s), 1e-9)
        d = theta - mu
        return z, f, slope, float(((r - f) ** 2).sum() + d @ (precision * d))

    z, f, slope, loss = state(theta)
    for _ in range(MAX_STEPS):
        working = z - offset + (r - f) / slope
        proposal = _ridge(phi, working, slope**2, mu, precision)
        step = proposal - theta
        for _halving in range(20):
            candidate = theta + step
            new = state(candidate)
            if new[3] <= loss + 1e-12:
                break
            step = step / 2
        else:
            break
        theta, (z, f, slope, loss) = candidate, new
        if float(np.abs(step).max()) < TOLERANCE:
            break
    return theta, slope**2, z - offset + (r - f) / slope
