"""Is a difference between two models' test RMSEs bigger than chance? A paired comparison.

Models scored on the same test ratings make paired errors. The difference of two RMSEs then has
a standard error from those pairs (delta method: the mean of the per-row terms
``e_a^2 / (2 RMSE_a) - e_b^2 / (2 RMSE_b)``). It measures how much the difference depends on
which ratings happened to be drawn as test rows; it does not cover the training's own
randomness (another seed moves a model's RMSE too), so "within noise" here is a lower bound on
the noise, never proof that two models are equally good.

No TensorFlow: predictions come from :mod:`movierate.scoring`.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from movierate.data.splits import TIME_ORDERED
from movierate.errors import DataError
from movierate.shown import number

#: How many standard errors a difference between two models must reach to be called bigger than
#: the test rows' draw (more with more models: :func:`resolved_at`).
RESOLVED_AT = 2.0
#: Chance, over all pairs of the models compared, of calling any difference bigger than the draw
#: when the models are in truth equally good (:func:`resolved_at`).
FAMILY_ALPHA = 0.05

#: An epoch counts as better than the best so far when its watched RMSE is lower by more than
#: this (``nn.training.EarlyStopping``'s tolerance; here to replay it without TensorFlow).
STOP_TOLERANCE = 1e-5

#: Two models whose predictions differ by at most this on every test row make the same errors
#: (float rounding; the tables show RMSEs to 4 decimals).
SAME_WITHIN = 1e-4

#: Data sets of at most this many ratings are cheap to pair unasked (Compare starts with the
#: test on): loading them and scoring two models took 0.1 s at ml-1m-sample's 487,650 ratings
#: here. Larger sets wait to be asked, so that Compare's first open does not load their ratings.
RUN_UNASKED_UP_TO = 2_000_000


def reading(value: float, half_width: float, above: str, below: str, within: str) -> str:
    """``above`` when ``value`` is above zero beyond its interval's ``half_width``, ``below``
    when below it beyond, else ``within``: one rule for every "± ... (95%)" verdict."""
    if value - half_width > 0:
        return above
    return below if value + half_width < 0 else within


def clustered_se(influence: np.ndarray, groups: np.ndarray) -> float:
    """Standard error of a statistic whose per-row influence values (mean 0) are
    ``influence``, the rows of one group (a user) counted together: a user's test ratings
    share that user's errors, so rows taken as independent gave intervals 1.2-2.5x too narrow
    (recheck C, s26: 2.5x on ml-100k's u1, whose test rows are whole users' ratings). NaN with
    fewer than 2 groups."""
    _, codes = np.unique(groups, return_inverse=True)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    if n_groups < 2:
        return math.nan
    sums = np.bincount(codes, weights=influence, minlength=n_groups)
    variance = float(np.sum(sums**2)) / len(influence) ** 2 * n_groups / (n_groups - 1)
    return math.sqrt(variance)


def t_critical(n_groups: int, level: float = 0.95) -> float:
    """Two-sided Student-t critical value on ``n_groups - 1`` degrees of freedom: what a
    standard error by group is multiplied by for a ``level`` interval. The normal 1.96 covered
    78-85% with 10 test users (accuracy round 20); t on users - 1 df widens it where few users
    make the standard error itself uncertain (2.26 at 10 users, 1.97 at 200).

    Computed here, not by scipy.stats (about 1 s to import, which a page's first run must not
    pay: issue 15): the exact distribution function for integer df up to :data:`EXACT_T_DF`,
    inverted by bisection, and Cornish-Fisher's expansion beyond (error under 1e-7 there).

    >>> round(t_critical(10), 2), round(t_critical(200), 2)
    (2.26, 1.97)
    """
    df = max(int(n_groups) - 1, 1)
    if df > EXACT_T_DF:
        z = statistics.NormalDist().inv_cdf(0.5 + level / 2)
        terms = (
            (z**3 + z) / 4,
            (5 * z**5 + 16 * z**3 + 3 * z) / 96,
            (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
            (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
        )
        return z + sum(term / df ** (i + 1) for i, term in enumerate(terms))
    low, high = 0.0, 1.0
    while _t_inside(high, df) < level:
        high *= 2
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if _t_inside(mid, df) < level else (low, mid)
    return (low + high) / 2


#: Up to this many degrees of freedom :func:`t_critical` inverts the exact distribution.
EXACT_T_DF = 400


def _t_inside(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t on integer ``df``: the closed form, a finite sum of powers
    of cos(theta), theta = atan(t / sqrt(df)) (Abramowitz and Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    term = total = 1.0
    for k in range(3 if df % 2 else 2, df - 1, 2):  # each next power: times c2 (k - 1) / k
        term *= c2 * (k - 1) / k
        total += term
    if df % 2 == 0:
        return math.sin(theta) * total
    if df == 1:
        return 2 * theta / math.pi
    return 2 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)


def clustered_half_width(influence: np.ndarray, groups: np.ndarray) -> float:
    """Half-width of the 95% interval of a statistic with per-row ``influence`` values (mean
    0), each group's (user's) rows counted together: :func:`clustered_se` times
    :func:`t_critical` on groups - 1 df. NaN with fewer than :func:`interval_users` groups
    (recheck s33, finding 3: t on 1 df gave "0.5003 ± 3.1770" on a 1-4 scale)."""
    n_groups = len(np.unique(groups))
    if n_groups < interval_users():
        return math.nan
    se = clustered_se(influence, groups)
    return se * t_critical(n_groups) if math.isfinite(se) else math.nan


def interval_users(alpha: float = FAMILY_ALPHA) -> int:
    """Fewest test users that give an interval by user at level 1 - ``alpha``: a sign-flip
    test on n users reaches at best p = 2 ** (1 - n), so below this its interval is unbounded
    (recheck s33: "± inf"), and a Student-t interval on 2-3 users ran wider than the rating
    scale. Every "±" counted by user follows this one floor (:func:`few_users_text`).

    >>> interval_users(), interval_users(0.05 / 3)
    (6, 7)
    """
    n = 2
    while 2.0 ** (1 - n) > alpha:
        n += 1
    return n


def few_users_text(
    n_users: float,
    alpha: float = FAMILY_ALPHA,
    *,
    short: bool = False,
    whose: str = "test",
    per_user_split: float | None = None,
) -> str:
    """Why no "±" is given on ``n_users`` users of the ``whose`` rows (fewer than
    :func:`interval_users`), and what would give one; ``short``: the few words for a table
    cell. ``per_user_split``: how many test users a per-user split of the data holds out (its
    users with 2 or more ratings; None: not known), so that only advice that helps is given
    (bad-input round 62, F4: "a per-user split" said on a per-user split and on one user).

    >>> few_users_text(4, short=True)
    '4 test users: too few for an interval'
    >>> few_users_text(5, per_user_split=5)
    '5 test users are too few for an interval, which needs 6 or more: only ratings from more users give more'
    """
    users = f"{n_users:,.0f} {whose} user{'' if n_users == 1 else 's'}"
    if short:
        return f"{users}: too few for an interval"
    needed = interval_users(alpha)
    if per_user_split is None:
        more = "a per-user split or more data can give more test users"
    elif per_user_split >= needed and per_user_split > n_users:
        more = f"a per-user split holds out {per_user_split:,.0f} test users here"
    else:
        more = "only ratings from more users give more"
    return (
        f"{users} {'is' if n_users == 1 else 'are'} too few for an interval, which needs "
        f"{needed} or more: {more}"
    )


def resolved_at(n_models: int) -> float:
    """Standard errors a difference must reach among ``n_models`` models to be called bigger
    than the test rows' draw: two-sided :data:`FAMILY_ALPHA` shared over every pair of them
    (Bonferroni), never under :data:`RESOLVED_AT`. Every pair counts, not only those with the
    lowest model: the lowest is picked on the same test rows, so it is the luckiest of them.

    >>> [round(resolved_at(k), 2) for k in (2, 3, 5, 8)]
    [2.0, 2.39, 2.81, 3.12]
    """
    return max(RESOLVED_AT, NormalDist().inv_cdf(1 - pair_alpha(n_models) / 2))


def pair_alpha(n_models: int) -> float:
    """:data:`FAMILY_ALPHA` shared over every pair of ``n_models`` models (Bonferroni)."""
    return FAMILY_ALPHA / max(n_models * (n_models - 1) // 2, 1)


#: Fewer test rows than this, or fewer users than :data:`SMALL_USERS`: the verdict is a
#: sign-flip test (:func:`sign_flip_p`, a user's rows swapped together), not the
#: standard error's normal cutoff, which called equally good models different 7-9% of the
#: time on 20-50 test rows and 5-6% at 200 (accuracy review round 7, 2,000 draws each); the
#: sign-flip test: 4.8-5.9% at 20-50 rows (1,000 draws each). It costs ~FLIPS x rows.
SMALL_TEST = 1000
#: The standard error is resampled by user, so a few users make a small test however many rows
#: they hold (recheck E, s26: 1,000+ rows of 3-5 users called equal models different 11-17% of
#: the time by the standard error's cutoff).
SMALL_USERS = 200
#: Random sign flips per sign-flip test (its p-value moves in steps of 1 / (FLIPS + 1)).
FLIPS = 3999


def flips_for(alpha: float) -> int:
    """How many random swaps :func:`sign_flip_p` draws at the pairwise level ``alpha``."""
    return max(FLIPS, math.ceil(4 / alpha) - 1)


@dataclass(frozen=True)
class SignFlip:
    """A sign-flip test's p-value that a mean per row is 0, and the interval of means it does
    not reject at its level: the same random swaps decide both, so the interval excludes 0
    exactly when ``p <= alpha`` (accuracy round 20: the normal-cutoff ± beside the test's
    verdict covered 78-86% at 10-30 users and contradicted the verdict in up to 37% of cells)."""

    p: float
    low: float
    high: float


def sign_flip(
    sums: np.ndarray, rows: np.ndarray, seed: int = 0, alpha: float = FAMILY_ALPHA
) -> SignFlip:
    """Sign-flip test of "the mean per row is 0" for per-user ``sums`` over ``rows`` rows each
    (a user's rows swapped together), and its inversion: the means ``m`` whose shifted sums
    ``sums - m * rows`` the test at ``alpha`` does not reject. At least :data:`FLIPS` swaps,
    and enough that the smallest p it can return is a quarter of ``alpha`` (the recheck: with
    21 models the pairwise alpha fell below 1 / 4,000, and no difference, even 16.7 standard
    errors, could be called). Each swap reaches the observed mean over an interval of ``m``
    around it (two absolute values of lines compared), so the bounds are exact order
    statistics, not a search."""
    sums, rows = np.asarray(sums, dtype=np.float64), np.asarray(rows, dtype=np.float64)
    n_flips = flips_for(alpha)
    rng = np.random.default_rng(seed)
    tolerance = 1 - 1e-9
    total, n_rows = float(sums.sum()), float(rows.sum())
    flipped, flipped_rows = [], []
    for start in range(0, n_flips, FLIPS):  # blocks of FLIPS rows: bounded memory
        flips = rng.choice([-1.0, 1.0], size=(min(FLIPS, n_flips - start), len(sums)))
        flipped.append(flips @ sums)
        flipped_rows.append(flips @ rows)
    a, b = np.concatenate(flipped), np.concatenate(flipped_rows)
    reached = int(np.sum(np.abs(a) / len(sums) >= abs(total / len(sums)) * tolerance))
    p = (1 + reached) / (n_flips + 1)
    # swap k reaches at m when |a_k - m b_k| >= tolerance * |total - m n_rows|: a quadratic
    # in m that opens downward (|b_k| < n_rows), so an interval around the observed mean
    quad = b**2 - tolerance**2 * n_rows**2
    lin = a * b - tolerance**2 * total * n_rows
    const = a**2 - tolerance**2 * total**2
    low, high = np.full(n_flips, -math.inf), np.full(n_flips, math.inf)
    bounded = quad < 0
    root = np.sqrt(np.maximum(lin[bounded] ** 2 - quad[bounded] * const[bounded], 0.0))
    ends = np.sort(np.stack([(lin[bounded] + root), (lin[bounded] - root)]) / quad[bounded], 0)
    low[bounded], high[bounded] = ends[0], ends[1]
    need = math.floor(alpha * (n_flips + 1) - 1) + 1  # swaps reaching m: m not rejected
    lower = float(np.sort(low)[need - 1])
    upper = float(-np.sort(-high)[need - 1])
    if p <= alpha:  # float rounding at a bound never lets the two disagree
        lower, upper = (max(lower, 1e-300), upper) if total > 0 else (lower, min(upper, -1e-300))
    else:
        lower, upper = min(lower, 0.0), max(upper, 0.0)
    return SignFlip(p, lower, upper)


def sign_flip_p(gaps: np.ndarray, seed: int = 0, alpha: float = FAMILY_ALPHA) -> float:
    """Two-sided p-value that the mean of ``gaps`` (one model's squared error minus the
    other's, per user) is this far from 0 when the two models' errors on each row could be
    swapped (:func:`sign_flip`, each value one row)."""
    return sign_flip(gaps, np.ones(len(gaps)), seed, alpha).p


def p_text(p: float) -> str:
    """A p-value to three decimals, to two significant digits below 0.001 (not "0.000", and
    not "< 0.001" either: with many models the pairwise level is below that, and one "< 0.001"
    stood beside both verdicts; recheck 2).

    >>> p_text(0.0123), p_text(0.00025), p_text(0.000063)
    ('0.012', '0.00025', '0.000063')
    """
    if p >= 0.001:
        return f"{p:.3f}"
    return np.format_float_positional(p, precision=2, fractional=False, trim="-")


def threshold_text(difference: PairedDifference) -> str:
    """The rule that decided ``difference`` (and the rest of its table), in words, for a
    caption under the numbers."""
    n_models = difference.n_models
    pairs = n_models * (n_models - 1) // 2
    shared = (
        f"; with {n_models} models that make different errors, the lowest is picked on these "
        f"same rows, so that {FAMILY_ALPHA:.0%} is shared over all {pairs} pairs"
        if n_models > 2
        else ""
    )
    if difference.small:
        users = difference.n_users or difference.n_rows
        never = (
            f" With {users} users no difference can reach that, so none is called here, and "
            "no ± is given (the test does not reject any difference): "
            f"{few_users_text(users, pair_alpha(n_models))}."
            if users < interval_users(pair_alpha(n_models))
            else ""
        )  # recheck E (s26): with 5 users or fewer the test could never call one, unsaid
        return (
            f"On {difference.n_rows:,} test rows of {users:,} users, too few for the "
            "standard error's normal cutoff, a difference is more than the test rows' draw "
            "when at most "
            f"{pair_alpha(n_models):.2%} of {flips_for(pair_alpha(n_models)):,} random swaps of "
            "the two models' errors, "
            f"user by user, reach it (a sign-flip test: p in the table){shared}. The ± is what "
            "that same test does not reject, from the difference to that range's end on "
            "zero's side, so it excludes 0 exactly when the difference is called. It assumes the "
            "two models' errors spread alike on each row: equally good models whose errors "
            "differ in shape (rare large misses against steady small ones, as two families can "
            "make) were called different 14-23% of the time at 50-200 rows in simulation, as "
            "by the standard-error rule." + never + " " + SEED_NOISE
        )
    if n_models <= 2:
        return (
            f"A difference of at least {RESOLVED_AT:g} standard errors is more than the test "
            f"rows' draw; the ± is those {RESOLVED_AT:g} standard errors, so it excludes 0 "
            f"exactly then. {SEED_NOISE}"
        )
    return (
        f"With {n_models} models that make different errors, a difference must reach "
        f"{difference.threshold:.2f} standard errors to be more than the test rows' draw: the "
        "lowest model is picked on these same rows, so that draw's "
        f"{FAMILY_ALPHA:.0%} chance of a false call is shared over all {pairs} pairs. The ± is "
        f"those {difference.threshold:.2f} standard errors: an interval for all {pairs} pairs "
        "at once, which excludes 0 exactly when the difference is called. " + SEED_NOISE
    )


#: What the paired standard error leaves out: the share of pairs differing only by their seed at
#: 2 standard errors or more. By user (2026-12-05): `bench_paired_seeds` on ml-100k, 20 default
#: models, 4.7% of 190 pairs; 10 default models on ml-latest-small, 4.4% of 45. Rows one by one
#: (2026-12-04): mf_bias dim 8 14.9%, deep dim 16 21.9%. Accuracy round 13: 6 of 15 on planted
#: rank-8 data (400 users, 400 movies, 35,000 ratings). Accuracy round 54, by user: 5 of 13 on
#: ml-100k's default split, mf_bias dim 16, 12 epochs (l2, l2 + decorrelation). Accuracy round
#: 14: over 24 synthetic sets of 250 new users each (per-user offsets, heavy-tailed noise), a
#: dim-8 / dim-2 gap spread 2.2 times its paired standard error, seed 0.8.
SEED_NOISE = (
    "Training noise is not in it: retrained with only another seed (or other early-stopping "
    "rows), a model moves too, and how far depends strongly on the settings and the data. Of "
    "pairs that differed only by their seed, 2 standard errors or more were reached by about "
    "5% at the default settings on ml-100k and ml-latest-small, 15-22% for small or deep models "
    "on ml-100k (counted row by row), 5 of 13 (38%) for mf_bias dim 16 with 12 epochs on "
    "ml-100k (counted by user, as here) and 6 of 15 on a small synthetic set of 35,000 "
    "ratings: a second seed of each model is the way to know how far yours move. Nor is the "
    "training data's draw: trained on another sample of users, both models change, and on "
    "synthetic sets of 250 users the gap moved 2.2 times its standard error. So one training "
    "of each setting on one sample does not show which setting is better: train each with a "
    "few seeds, and read the ± as these two trained models' margin on other test rows."
)


def seed_spread_text(differences: list[PairedDifference]) -> str | None:
    """What the seed twins among paired models say about their table (accuracy round 54, F2):
    that the reference is the lowest of its setting's seeds, so its gaps are measured from a
    lucky draw, and which cells' gaps lie within a twin group's spread. None when neither."""
    said = []
    reference = differences[0] if differences else None
    if reference is not None and len(reference.reference_seeds) > 1:
        seeds = reference.reference_seeds
        said.append(
            f"{reference.reference}, the reference, is the lowest of {len(seeds)} seeds of one "
            f"setting here ({_names(seeds)}; their mean test RMSE "
            f"{reference.reference_seeds_mean:.4f}): each gap to it is measured from that "
            "setting's luckiest draw, so it reads larger than from a typical seed."
        )
    marked = [d.name for d in differences if d.within_seed_spread]
    if marked:
        said.append(
            f'Marked "within seed spread" ({_names(marked)}): the gap is no larger than the '
            "test RMSEs' spread over the seeds of that model's or the reference's setting "
            "here, so another seed could close it; it does not tell the settings apart."
        )
    return " ".join(said) or None


def _names(names: list[str] | tuple[str, ...]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


@dataclass(frozen=True)
class PairedDifference:
    """One model's test RMSE against a reference model's, over the same test rows."""

    name: str
    reference: str
    n_rows: int
    rmse: float
    reference_rmse: float
    se: float
    #: the largest difference between the two models' predictions on any test row
    largest_gap: float
    #: standard errors from which the difference is more than the draw (:func:`resolved_at`)
    threshold: float = RESOLVED_AT
    #: how many models that threshold counts: those compared, a twin that makes the same
    #: errors as another (an exact whitening) counted once
    n_models: int = 2
    #: the draws that alone tell the model and the reference apart (:func:`seed_twins`: their
    #: training seed, their early-stopping rows): any gap between them is training noise,
    #: which the standard error does not cover; () when they are no such twins
    twin: tuple[str, ...] = ()
    #: test users (each user's rows count together; 0: as many as rows)
    n_users: int = 0
    #: on fewer than :data:`SMALL_TEST` users, the sign-flip test's p-value that decides
    #: :attr:`resolved` (None: the standard error's cutoff decides)
    p_value: float | None = None
    #: with :attr:`p_value`, the half-width from the estimate to the bound on zero's side of
    #: the interval that same sign-flip test does not reject (:func:`sign_flip`): the "±"
    #: then excludes 0 exactly when the test calls the difference
    flip_half_width: float | None = None
    #: the larger test-RMSE spread (highest minus lowest) of the two models' groups of seed
    #: twins among those paired (:func:`twin_groups`); None when neither has a twin there
    seed_spread: float | None = None
    #: the reference's seed twins among those paired, itself included (it is their lowest),
    #: and their mean test RMSE; () when it has none
    reference_seeds: tuple[str, ...] = ()
    reference_seeds_mean: float | None = None

    @property
    def within_seed_spread(self) -> bool:
        """Whether this gap (to a model that is no twin of the reference) is within
        :attr:`seed_spread`: another seed of either setting could close it (accuracy round 54,
        F2: "beyond draw" for 0.0067 beside a twin spread of 0.0081 on the same page)."""
        return (
            self.seed_spread is not None
            and not self.twin
            and not self.identical
            and self.name != self.reference
            and abs(self.difference) <= self.seed_spread
        )

    @property
    def small(self) -> bool:
        """Whether too few rows or users were tested for the standard error's normal cutoff."""
        return self.n_rows < SMALL_TEST or (self.n_users or self.n_rows) < SMALL_USERS

    @property
    def difference(self) -> float:
        """This model's RMSE minus the reference's (positive: this model is worse)."""
        return self.rmse - self.reference_rmse

    @property
    def in_se(self) -> float:
        """The difference in standard errors (0 for two models that predict alike)."""
        if self.identical:
            return 0.0
        if self.se > 0:
            return self.difference / self.se
        return 0.0 if self.difference == 0 else math.copysign(math.inf, self.difference)

    @property
    def resolved(self) -> bool:
        """Whether the difference is more than the draw: at least :attr:`threshold` standard
        errors, or on few rows a sign-flip p-value within :func:`pair_alpha`."""
        if self.p_value is not None:
            return not self.identical and self.p_value <= pair_alpha(self.n_models)
        return abs(self.in_se) >= self.threshold

    @property
    def identical(self) -> bool:
        """Whether the two models made the same error on every test row, to within
        :data:`SAME_WITHIN` (an exact whitening predicts as its model does, up to float
        rounding: a "difference" of 1e-9 is no result, however small its standard error)."""
        return self.largest_gap <= SAME_WITHIN

    def _within(self) -> str:
        return f" (to {self.largest_gap:.0e})" if self.largest_gap else ""

    @property
    def half_width(self) -> float:
        """Half-width of the interval the verdict reads (accuracy round 20: the ± and the
        verdict came from different rules, and 20-37% of cells at 10 users contradicted
        themselves): :attr:`threshold` standard errors, or on few users the sign-flip test's
        own interval (:attr:`flip_half_width`). With more than two models it holds for all
        pairs at once (:meth:`level`)."""
        if self.p_value is not None and self.flip_half_width is not None:
            return self.flip_half_width
        return self.threshold * self.se

    def level(self) -> str:
        """The interval's confidence, as a cell says it: ``"95%"``, ``"95% for all 3 pairs"``
        (Bonferroni: the verdict's stricter threshold, so the printed ± is the matching
        simultaneous interval), and ``", sign-flip"`` when that test made it."""
        pairs = self.n_models * (self.n_models - 1) // 2
        joint = f" for all {pairs} pairs" if pairs > 1 else ""
        flip = ", sign-flip by user" if self.p_value is not None else ""
        return f"{1 - FAMILY_ALPHA:.0%}{joint}{flip}"

    @property
    def has_interval(self) -> bool:
        """Whether the "±" can be given: a finite half-width, and on the sign-flip test enough
        users for it to be bounded (:func:`interval_users` at this pair's level; recheck s33:
        "+0.0036 ± inf" on 4 users)."""
        users = self.n_users or self.n_rows
        enough = self.p_value is None or users >= interval_users(pair_alpha(self.n_models))
        return enough and math.isfinite(self.half_width)

    def _few_users(self, *, short: bool) -> str:
        return few_users_text(self.n_users or self.n_rows, pair_alpha(self.n_models), short=short)

    def _size(self) -> str:
        """``"+0.0096 ± 0.0041"``, with more decimals when four would show only zeros
        (accuracy round 13: a 0.00004 gap read "+0.0000 ± 0.0000 (5.68 SE, beyond draw)");
        the difference alone without an interval (:attr:`has_interval`)."""
        if not self.has_interval:
            return f"{number(self.difference, '+.4f')}"
        return plus_minus(self.difference, self.half_width)

    def short(self) -> str:
        """For a table cell: ``"+0.0096 ± 0.0041 (95%; 4.57 SE, beyond draw)"``, ``"lowest"``:
        two decimals and a word, so that 2.59 SE against a 2.64 threshold reads as within."""
        if self.name == self.reference:
            return "lowest"
        if self.identical:
            return "same errors" + self._within()
        verdict = (
            twin_verdict(self.twin)
            if self.twin
            else "beyond draw"
            if self.resolved
            else "within draw"
        ) + (", within seed spread" if self.within_seed_spread else "")
        if not self.has_interval:
            return f"{self._size()} ({self._strength()}; {self._few_users(short=True)}, {verdict})"
        return f"{self._size()} ({self.level()}; {self._strength()}, {verdict})"

    def _strength(self) -> str:
        """What decided: the sign-flip p on few users (the standard error, judged unreliable
        there, would read beside it as a second rule), else the standard errors."""
        if self.p_value is None:
            return f"{abs(self.in_se):.2f} SE"
        return f"p {p_text(self.p_value)}"

    def sentence(self) -> str:
        """The difference in words, as the numbers show it."""
        if self.name == self.reference:
            return "lowest test RMSE here (the reference)"
        if self.identical:
            return "the same error on every test row as the reference" + self._within()
        size = (
            f"{self._size()} ({self.level()})"
            if self.has_interval
            else f"{self._size()} ({self._few_users(short=False)})"
        )
        if self.twin:
            return (
                f"{size} ({abs(self.in_se):.1f} standard errors): "
                f"{same_settings_text(self.twin)} as the reference, and "
                f"{twin_verdict(self.twin)}, so this gap is training noise"
            )
        spread = (
            f"; within the seed spread of these settings here ({self.seed_spread:.4f}), so "
            "another seed could close it"
            if self.within_seed_spread
            else ""
        )
        if self.p_value is not None:
            where = "more than" if self.resolved else "within"
            return (
                f"{size}: {where} the test rows' draw (sign-flip p {p_text(self.p_value)})" + spread
            )
        if not self.resolved:
            return (
                f"{size}: within the test rows' draw (under {self.threshold:.3g} standard "
                f"errors){spread}"
            )
        return (
            f"{size}: {abs(self.in_se):.1f} standard errors, more than the test rows' draw{spread}"
        )


def plus_minus(value: float, half_width: float, decimals: int = 4) -> str:
    """``"+0.0096 ± 0.0041"``: ``decimals`` decimals, more (up to 8) when the half-width would
    show as zero, so that a tiny difference never reads "+0.0000 ± 0.0000".

    >>> plus_minus(0.0096, 0.0041), plus_minus(0.000036, 0.0000125), plus_minus(0.0, 0.0)
    ('+0.0096 ± 0.0041', '+0.000036 ± 0.000013', '+0.0000 ± 0.0000')
    """
    if 0 < half_width < 0.5 * 10**-decimals:
        decimals = min(8, 1 - math.floor(math.log10(half_width)))
    return f"{value:+.{decimals}f} ± {half_width:.{decimals}f}"


#: What draws a trained model's randomness besides its settings: its training seed, and the
#: split seed where that seed picks only the early-stopping rows (an official or temporal
#: split's test rows are fixed). Two models that differ only in these are training-noise twins.
SEED_DRAW = "the seed"
STOP_DRAW = "the early-stopping rows' draw"


class Draws(tuple):
    """The draws that alone tell two twins apart (a tuple of :data:`SEED_DRAW`,
    :data:`STOP_DRAW`), with ``inert``: the settings in which they differ that acted in neither
    training (:func:`inert_settings`), for the verdict to name."""

    inert: tuple[str, ...] = ()

    def __new__(cls, draws: tuple[str, ...], inert: tuple[str, ...] = ()) -> Draws:
        made = super().__new__(cls, draws)
        made.inert = tuple(inert)
        return made


def seed_twins(a: Any, b: Any) -> tuple[str, ...]:
    """The draws (:data:`SEED_DRAW`, :data:`STOP_DRAW`) that alone tell models ``a`` and ``b``
    apart: same data, same settings but the seed (or settings that acted in neither training:
    :func:`inert_settings`, kept in the result's ``inert``), same split but its seed, the same
    test rows; () when they are no such twins (never for imported or tuned models, whose
    settings have other records). Accuracy round 15: two models of one seed whose official
    split drew other early-stopping rows were not twins, and 6 of 20 such pairs read "beyond
    draw". Round 16: a patience that never acted made identical weights "more than the draw"."""
    from movierate.store import old_patience_zero

    if a is b or not all(_plain_training(m) for m in (a, b)):
        return ()
    if len({old_patience_zero(m.meta.get("spec"), m.metrics) for m in (a, b)}) > 1:
        return ()  # bad-input round 38, F2: patience 0 meant another thing in one of them
    same_data = _data(a) == _data(b) and _data(a) != (None, None)  # a split's record alone
    # does not name its ratings: ml-100k and a shuffled copy were called twins (recheck 3)
    split_a, split_b = (m.meta.get("split") or {} for m in (a, b))
    if not (
        same_data
        and _split_settings(split_a) == _split_settings(split_b)
        and test_part(split_a) is not None
        and test_part(split_a) == test_part(split_b)
    ):
        return ()
    settings_a, settings_b = _settings(a.spec), _settings(b.spec)
    differ = tuple(k for k in settings_a if settings_a[k] != settings_b.get(k))
    inert = inert_settings(a, b) if differ else ()
    if set(differ) - set(inert):
        return ()
    draws = twin_draws([a, b])
    return Draws(draws, inert) if draws else ()


#: Training settings whose effect a run's history shows, in words: two models that differ in
#: them only where they acted in neither training are still twins (accuracy review round 16).
HISTORY_SETTINGS = {
    "early_stopping_patience": "patience",
    "epochs": "the epoch cap",
    "learning_rate_decay": "the learning-rate decay",
}


def inert_settings(a: Any, b: Any) -> tuple[str, ...]:
    """The :data:`HISTORY_SETTINGS` in which models ``a`` and ``b`` differ, when neither
    training would have ended otherwise with the other's values (its recorded watched RMSEs
    replayed through early stopping: the same last and best epoch), and a learning-rate decay
    only when no run reached a second epoch; () when any of them could have acted, or a
    history cannot be replayed as recorded (a run stopped by its time budget, an old record)."""
    differ = {
        k: getattr(b.spec, k) for k in HISTORY_SETTINGS if getattr(a.spec, k) != getattr(b.spec, k)
    }
    if not differ:
        return ()
    for model, other in ((a, differ), (b, {k: getattr(a.spec, k) for k in differ})):
        run = _replayed(model, model.spec.early_stopping_patience, model.spec.epochs)
        if run is None or run != _run_of(model):
            return ()  # the record is not what the replay gives: cannot tell
        patience = other.get("early_stopping_patience", model.spec.early_stopping_patience)
        if _replayed(model, patience, other.get("epochs", model.spec.epochs)) != run:
            return ()
        if "learning_rate_decay" in differ and run[0] > 1:
            return ()
    return tuple(differ)


def _run_of(model: Any) -> tuple[int, int] | None:
    """(epochs run, best epoch) as ``model``'s metrics record them."""
    metrics = getattr(model, "metrics", None) or {}
    run, best = metrics.get("epochs_run"), metrics.get("best_epoch")
    ok = all(isinstance(v, int | float) and math.isfinite(v) for v in (run, best))
    return (int(run), int(best)) if ok else None


def _replayed(model: Any, patience: int, cap: int) -> tuple[int, int] | None:
    """(epochs run, best epoch) that early stopping with ``patience`` and ``cap`` picks from
    ``model``'s recorded watched RMSEs (as ``nn.training.EarlyStopping`` does, from the epoch
    its regularizers settled); None when that needs epochs the run did not record."""
    history = (model.meta.get("history") or {}) if isinstance(model.meta, dict) else {}
    watched = next((history[k] for k in WATCHED if history.get(k)), None)
    if watched is None or (model.spec.family == "autorec" and not history.get("stop_rmse")):
        return None  # autorec without stop rows watches no RMSE (it never stops)
    settled = (getattr(model, "metrics", None) or {}).get("settled_epoch", 1)
    if not (isinstance(settled, int | float) and math.isfinite(settled)):
        settled = math.inf  # never settled: nothing stops the run, its last epoch is kept
    value, best, stale = math.inf, 0, 0
    for epoch in range(1, cap + 1):
        if epoch > len(watched) or not isinstance(watched[epoch - 1], int | float):
            return None
        if epoch < settled or not patience:
            continue
        if watched[epoch - 1] < value - STOP_TOLERANCE:
            value, best, stale = watched[epoch - 1], epoch, 0
        else:
            stale += 1
            if stale > patience:
                return epoch, best
    return cap, best or cap


#: The per-epoch RMSE early stopping watched: the stop rows', else the training rows'.
WATCHED = ("stop_rmse", "train_rmse")


def twin_draws(models: list[Any]) -> tuple[str, ...]:
    """Which draws differ among ``models`` (twins by :func:`seed_twins`): other training seeds
    (:data:`SEED_DRAW`), other early-stopping rows (:data:`STOP_DRAW`, by the split's digest:
    a temporal split's seed draws nothing)."""
    seeds = {m.spec.seed for m in models}
    digests = {(m.meta.get("split") or {}).get("digest") for m in models}
    return tuple(
        draw
        for draw, differs in ((SEED_DRAW, len(seeds) > 1), (STOP_DRAW, len(digests) > 1))
        if differs
    )


def twin_verdict(draws: tuple[str, ...]) -> str:
    """Which draw alone differs, for a table cell, and the settings that differ but never
    acted (:class:`Draws`).

    >>> twin_verdict((SEED_DRAW,)), twin_verdict((SEED_DRAW, STOP_DRAW))
    ('only the seed differs', "only the seed and the early-stopping rows' draw differ")
    >>> twin_verdict(Draws((SEED_DRAW,), ("early_stopping_patience",)))
    'only the seed differs; patience differs but never acted'
    """
    said = f"only {draws[0]} differs" if len(draws) == 1 else f"only {' and '.join(draws)} differ"
    inert = inert_text(getattr(draws, "inert", ()))
    return f"{said}; {inert}" if inert else said


def inert_text(inert: tuple[str, ...]) -> str:
    """The settings in which twins differ but that acted in neither training, in words:
    ``"patience differs but never acted"``; "" for none."""
    if not inert:
        return ""
    names = [HISTORY_SETTINGS.get(k, k) for k in inert]
    verb = "differs" if len(names) == 1 else "differ"
    return f"{' and '.join(names)} {verb} but never acted"


def same_settings_text(draws: tuple[str, ...] | list[tuple[str, ...]]) -> str:
    """``"the same settings"``, naming the settings that differ but never acted (the ``inert``
    of :func:`seed_twins`' results, one or several)."""
    found = [draws] if isinstance(draws, tuple) else draws
    inert = tuple(dict.fromkeys(k for d in found for k in getattr(d, "inert", ())))
    return "the same settings" + (f" ({inert_text(inert)})" if inert else "")


def draws_text(draws: tuple[str, ...]) -> str:
    """The draws that differ, as their models': "their training seed", "their early-stopping
    rows' draw", or both."""
    words = {SEED_DRAW: "their training seed", STOP_DRAW: "their early-stopping rows' draw"}
    return " and ".join(words[d] for d in draws)


def test_part(split: Any) -> tuple | None:
    """Which test rows a recorded split holds, as far as its record says (with the data's
    fingerprint, which rows a model's test metrics come from): an official split's ``.test``
    file whatever its seed, a time-ordered split's latest ratings whatever its seed unless its seed
    drew some of them among timestamp ties, else the method, seed and share that drew them;
    None without test rows (a model saved before splits had them)."""
    if not isinstance(split, dict) or "n_test" not in split:
        return None
    method = split.get("method")
    if str(method).startswith("official:"):  # the shipped .test file: seed and share unused
        return (method, None, None)
    fraction = split.get("test_fraction")
    seed_drew = method not in TIME_ORDERED or _seed_broke_ties(split)
    return (
        method,
        split.get("seed") if seed_drew else None,
        round(float(fraction), 9) if isinstance(fraction, int | float) else None,
    )


def _seed_broke_ties(split: dict[str, Any]) -> bool:
    """Whether a time-ordered split's seed drew some test rows among timestamp ties (accuracy
    review round 16; before it, ties went by row order and the seed drew nothing)."""
    tied = split.get("n_tied_test")
    return split.get("ties") == "seeded" and isinstance(tied, int) and tied > 0


def _split_settings(split: dict[str, Any]) -> dict[str, Any]:
    """A split's record without what only draws rows: its seed and the digest of those rows."""
    return {k: v for k, v in split.items() if k not in ("seed", "digest")}


def _data(model: Any) -> tuple[Any, Any]:
    data = model.meta.get("dataset") if isinstance(model.meta, dict) else None
    data = data if isinstance(data, dict) else {}
    return data.get("name"), data.get("fingerprint")


def _settings(spec: Any) -> dict[str, Any]:
    """What a spec trains, without its seed: biases as the model has them (an unset default and
    the same value spelled out are one setting) and without the fields its family ignores."""
    settings = spec.to_dict()
    settings.pop("seed", None)
    settings["user_bias"], settings["movie_bias"] = spec.has_user_bias, spec.has_movie_bias
    for field in spec.ignored_fields():
        settings.pop(field, None)
    return settings


def _plain_training(model: Any) -> bool:
    meta = getattr(model, "meta", None)
    return (
        isinstance(meta, dict)
        and hasattr(getattr(model, "spec", None), "to_dict")
        and not meta.get("imported")
        and not meta.get("tuning")
    )


def seed_twins_text(models: list[Any]) -> str | None:
    """A note naming each group of ``models`` that differ only by their training seed or their
    early-stopping rows' draw (:func:`seed_twins`) and how far apart their test RMSEs are:
    training noise, which a paired standard error leaves out. None when no two models are
    such twins."""
    notes = []
    for group in twin_groups(models):
        rmses = [m.metrics.get("test_rmse") for m in group]
        if not all(isinstance(r, int | float) and math.isfinite(r) for r in rmses):
            continue
        names = ", ".join(m.name for m in group[:-1]) + f" and {group[-1].name}"
        same = same_settings_text([seed_twins(group[0], m) for m in group[1:]])
        notes.append(
            f"{names} have {same} and differ only by {draws_text(twin_draws(group))}: "
            "their test "
            f"RMSEs are {max(rmses) - min(rmses):.4f} apart, which is training noise. A "
            "difference between other models of about that size may be no more."
        )
    return " ".join(notes) or None


def twin_groups(models: list[Any]) -> list[list[Any]]:
    """The groups of two or more of ``models`` joined by :func:`seed_twins` with any member
    (they differ only by their training seed or their early-stopping rows' draw), each in the
    models' order. Against each group's first alone, "sA (exact whitening)", a copy of sA with
    sA's seed, was left out of "sA, sB and sB (exact whitening)" (views round 38, F1)."""
    groups: list[list[Any]] = []
    for model in models:
        joined = [g for g in groups if any(seed_twins(m, model) for m in g)]
        for other in joined[1:]:
            joined[0].extend(other)
            groups.remove(other)
        if joined:
            joined[0].append(model)
        else:
            groups.append([model])
    order = {id(m): i for i, m in enumerate(models)}
    return [sorted(g, key=lambda m: order[id(m)]) for g in groups if len(g) > 1]


def twin_lists_text(models: list[Any], lists: str) -> str | None:
    """A note naming each group of ``models`` that are seed twins (:func:`twin_groups`): where
    their ``lists`` ("neighbour lists", "recommendations") differ, that is training noise
    (accuracy round 23: Neighbours and Recommend showed two seeds of one setting side by side
    without a word, and their lists shared 2-41% of films). None without twins."""
    notes = []
    for group in twin_groups(models):
        names = ", ".join(m.name for m in group[:-1]) + f" and {group[-1].name}"
        same = same_settings_text([seed_twins(group[0], m) for m in group[1:]])
        notes.append(
            f"{names} have {same} and differ only by {draws_text(twin_draws(group))}: where "
            f"their {lists} differ, that is training noise, not a difference of settings."
        )
    return " ".join(notes) or None


def errors_on_test_rows(model: Any, ds: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``model``'s test rows (positions in ``ds.ratings``), its errors there (prediction minus
    rating, bounded by its output transform as every recorded RMSE is) and each row's user."""
    from movierate import scoring
    from movierate.pipeline import recorded_split

    if not model.has_test_rows:
        raise DataError(f"{model.name!r} was saved before splits had test rows; retrain it.")
    rows = np.asarray(recorded_split(ds, model.meta["split"]).test, dtype=np.int64)
    ratings = ds.ratings
    predicted = scoring.predict(
        model.arrays,
        model.spec,
        ratings["user_idx"].to_numpy()[rows],
        ratings["movie_idx"].to_numpy()[rows],
        model.rating_scale,
    )
    truth = ratings["rating"].to_numpy(dtype=np.float64)[rows]
    return rows, predicted.astype(np.float64) - truth, ratings["user_idx"].to_numpy()[rows]


def paired_differences(models: list[Any], ds: Any) -> list[PairedDifference]:
    """Every model's test RMSE against the lowest one's, paired over their shared test rows
    (``ds``: the data all of them were trained on), resolved from :func:`resolved_at` standard
    errors for this many models. DataError when their test rows differ: then their RMSEs do not
    pair (``store.test_rows_notice`` says which do)."""
    if len(models) < 2:
        raise DataError("A paired comparison needs two models or more.")
    scored = [(model, *errors_on_test_rows(model, ds)) for model in models]
    rows0, users = scored[0][1], scored[0][3]
    for model, rows, _, _ in scored[1:]:
        if not np.array_equal(rows, rows0):
            raise DataError(
                f"{model.name!r} and {scored[0][0].name!r} were tested on different ratings, so "
                "their errors do not pair; compare models of one data set and split."
            )
    rmses = [float(np.sqrt(np.mean(errors**2))) for _, _, errors, _ in scored]
    best = int(np.argmin(rmses))
    distinct: list[np.ndarray] = []  # an exact whitening predicts as its model: one model
    for _, _, errors, _ in scored:
        if not any(np.max(np.abs(errors - d), initial=0.0) <= SAME_WITHIN for d in distinct):
            distinct.append(errors)
    threshold = resolved_at(len(distinct))
    ref_model, _, ref_errors, _ = scored[best]
    spread, ref_seeds = _twin_spreads(models, rmses, best)
    # each user's test rows counted together: they share that user's errors, and rows taken
    # one by one gave a ~1.5x too small standard error (recheck D, s26)
    n_users = len(np.unique(users))
    small = len(rows0) < SMALL_TEST or n_users < SMALL_USERS
    out = []
    for (model, rows, errors, _), rmse in zip(scored, rmses, strict=True):
        terms = errors**2 / max(2 * rmse, 1e-12) - ref_errors**2 / max(2 * rmses[best], 1e-12)
        se = clustered_se(terms - terms.mean(), users) if len(terms) > 1 else math.nan
        gap = float(np.max(np.abs(errors - ref_errors))) if len(errors) else 0.0
        flip = (
            flip_difference(errors, ref_errors, users, pair_alpha(len(distinct)))
            if small and model is not ref_model
            else None
        )
        out.append(
            PairedDifference(
                model.name,
                ref_model.name,
                len(rows),
                rmse,
                rmses[best],
                se,
                gap,
                threshold,
                len(distinct),
                seed_twins(model, ref_model),
                n_users=n_users,
                p_value=None if flip is None else flip[0],
                flip_half_width=None if flip is None else flip[1],
                seed_spread=max(
                    (
                        s
                        for s in (spread.get(id(model)), spread.get(id(ref_model)))
                        if s is not None
                    ),
                    default=None,
                ),
                reference_seeds=tuple(models[i].name for i in ref_seeds),
                reference_seeds_mean=(
                    float(np.mean([rmses[i] for i in ref_seeds])) if ref_seeds else None
                ),
            )
        )
    return out


def _twin_spreads(
    models: list[Any], rmses: list[float], best: int
) -> tuple[dict[int, float], list[int]]:
    """Each model's twin group's spread of ``rmses`` (highest minus lowest), by ``id`` of a
    model that has twins among ``models`` (:func:`twin_groups`); and the positions of the
    reference's group (``best``'s), [] when it has no twin."""
    position = {id(m): i for i, m in enumerate(models)}
    spread: dict[int, float] = {}
    ref_group: list[int] = []
    for group in twin_groups(models):
        at = [position[id(m)] for m in group]
        width = max(rmses[i] for i in at) - min(rmses[i] for i in at)
        spread.update({id(models[i]): width for i in at})
        ref_group = at if best in at else ref_group
    return spread, ref_group


def flip_difference(
    errors: np.ndarray, reference: np.ndarray, users: np.ndarray, alpha: float = FAMILY_ALPHA
) -> tuple[float, float]:
    """(p, half-width) for the RMSE of ``errors`` minus that of ``reference`` (paired, per
    row) by the sign-flip test at ``alpha``, a user's rows swapped together (:func:`sign_flip`
    on the squared errors' difference, its interval divided by the two RMSEs' sum, as
    RMSE_a - RMSE_b = (MSE_a - MSE_b) / (RMSE_a + RMSE_b)). The half-width runs from the
    difference to that interval's bound on zero's side, so "difference ± half-width" excludes
    0 exactly when ``p <= alpha``. With 10-30 test users its coverage was 0.89-0.96 where the
    normal ± gave 0.78-0.92 (accuracy round 20)."""
    _, codes = np.unique(users, return_inverse=True)
    test = sign_flip(
        np.bincount(codes, weights=errors**2 - reference**2), np.bincount(codes), alpha=alpha
    )
    both = float(np.sqrt(np.mean(errors**2)) + np.sqrt(np.mean(reference**2)))
    difference = float(np.sqrt(np.mean(errors**2)) - np.sqrt(np.mean(reference**2)))
    if both <= 0:
        return test.p, 0.0
    low, high = test.low / both, test.high / both
    half = difference - low if difference > 0 else high - difference
    # float rounding at a bound never lets the "±" and the p disagree
    half = (
        min(half, abs(difference) * (1 - 1e-9)) if test.p <= alpha else max(half, abs(difference))
    )
    return test.p, half
