"""What the regularizer study trains: its variants, plans and the thresholds of its measures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from movierate.errors import SpecError
from movierate.spec import ModelSpec

#: Movies with fewer ratings are left out of the embedding statistics.
MIN_RATINGS = 10
#: Neighbours per movie of the study's genre coherence.
COHERENCE_K = 10
#: Min-ratings threshold of the "threshold instead of L2" recommendation comparison.
RECOMMEND_THRESHOLD = 20
#: Training rows (a fixed random sample) on which the dimension ablation is also measured.
ABLATION_TRAIN_ROWS = 20_000


@dataclass(frozen=True)
class Variant:
    """One model configuration of the study (the dim comes from the plan)."""

    name: str
    family: str = "mf_bias"
    regularizers: Mapping[str, float] = field(default_factory=dict)
    dense_l2: float = 0.0

    def spec(
        self, plan: StudyPlan, dim: int, seed: int | None = None, dataset: str = ""
    ) -> ModelSpec:
        """The ModelSpec of this variant in ``plan`` with model ``seed`` (default: the plan's
        first) on ``dataset`` (its epochs); ModelSpec defaults for the rest."""
        return ModelSpec(
            family=self.family,
            dim=dim,
            regularizers=dict(self.regularizers),
            dense_l2=self.dense_l2,
            epochs=plan.epochs_on(dataset),
            seed=plan.model_seeds[0] if seed is None else seed,
        )


#: L2 strength of the study (the mf_bias value of benchmarks/bench_accuracy.py).
L2 = 0.1
#: Strength of the ``ordered`` regularizer (docs/regularizer-study.md, section 5; the default
#: of ``movierate.advice.DEFAULT_STRENGTHS``, chosen on a separate split).
ORDERED = 0.01
#: Prefix lengths k whose test RMSE (first k dimensions only) the tables show; the whole curve
#: k = 1 .. dim goes to prefix.csv.
PREFIX_KS = (1, 2, 4, 8)
#: Variants whose exact post-hoc whitening (:mod:`movierate.explore.whitening`: the same
#: predictions, a white movie embedding) is analysed beside them (answer 1).
EXACT_WHITENED = ("none", "l2")
#: Suffix of the variant name of an exactly whitened model.
EXACT_SUFFIX = " (exact whitening)"
VARIANTS: tuple[Variant, ...] = (
    Variant("none"),
    Variant("l2", regularizers={"l2": L2}),
    Variant("whitening", regularizers={"whitening": 0.1}),
    Variant("decorrelation", regularizers={"decorrelation": 1.0}),
    Variant("adversarial", regularizers={"adversarial": 1.0}),
    Variant("l2+whitening", regularizers={"l2": L2, "whitening": 0.1}),
    Variant("l2+decorrelation", regularizers={"l2": L2, "decorrelation": 1.0}),
    Variant("l2+adversarial", regularizers={"l2": L2, "adversarial": 1.0}),
    Variant("l2+ordered", regularizers={"l2": L2, "ordered": ORDERED}),
    Variant("deep", family="deep"),
    Variant("deep+dense_l2", family="deep", dense_l2=3e-3),
)


@dataclass(frozen=True)
class StudyPlan:
    """What the study trains: datasets x dims x variants x model seeds, one split per dataset.

    The split (``split_seed``) is the three-part train / stop / test split of
    :func:`movierate.data.make_split`; models train on the train rows for exactly ``epochs``
    epochs (the stop rows steer no training: they serve only the ``ordered`` option's final
    rank selection and the choice of the comparator's PCA weighting; the test rows are only
    measured). Only the first model
    seed's models are saved in the store.
    """

    datasets: tuple[str, ...] = ("ml-100k", "ml-latest-small", "ml-1m-sample")
    dims: tuple[int, ...] = (32,)
    variants: tuple[Variant, ...] = VARIANTS
    epochs: int = 20
    #: Epochs on datasets that need fewer than ``epochs`` (ml-1m-sample has ~5x ml-100k's
    #: rows: 5 epochs are ~1,900 steps of 1,024, more than 20 epochs of ml-100k's ~1,400).
    dataset_epochs: Mapping[str, int] = field(default_factory=lambda: {"ml-1m-sample": 5})
    split_seed: int = 42
    model_seeds: tuple[int, ...] = (0, 1, 2)
    n_users: int = 10  # fixed users whose top-10 recommendations are inspected
    save_models: bool = True
    model_prefix: str = "study"

    def epochs_on(self, dataset: str) -> int:
        """Epochs of every model on ``dataset``: ``dataset_epochs`` for it, else ``epochs``."""
        return int(self.dataset_epochs.get(dataset, self.epochs))


FULL_PLAN = StudyPlan()
QUICK_PLAN = StudyPlan(
    datasets=("ml-100k",),
    dims=(8,),
    epochs=2,
    dataset_epochs={},
    model_seeds=(0, 1),
    n_users=5,
    save_models=False,
)


def check_plan(plan: StudyPlan) -> None:
    """Raise SpecError for an empty plan or a spec the study could not train."""
    if not plan.datasets or not plan.dims or not plan.variants or not plan.model_seeds:
        raise SpecError(
            "The study needs at least one dataset, one dim, one variant and one model seed."
        )
    if len(set(plan.model_seeds)) != len(plan.model_seeds):
        raise SpecError(f"The study's model seeds repeat: {plan.model_seeds}; give distinct ones.")
    for epochs in (plan.epochs, *plan.dataset_epochs.values()):
        if epochs < 1:
            raise SpecError(f"The study's epochs must be at least 1, got {epochs}.")
    for dim in plan.dims:
        for variant in plan.variants:
            for seed in plan.model_seeds:
                variant.spec(plan, dim, seed).validate()
