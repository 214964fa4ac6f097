"""Plain-word meanings of the terms the dashboard and the CLI print, for readers with no
machine-learning background (views round 13: "bias" read as prejudice, "chance 0.41" as a 41%
chance of an order). One definition per term, used everywhere it is explained: the Home
page's "What these words mean" and the ``help=`` of a term's first use.

>>> define("RMSE").startswith("Typical error")
True
"""

from __future__ import annotations

from movierate.errors import MovierateError

#: Term -> its meaning in a sentence or two, in the order the Home page lists them.
TERMS: dict[str, str] = {
    "RMSE": "Typical error of a predicted rating, in rating points of this data's scale "
    "(0.86: a typical miss of about 0.9 of a point); big misses count extra. Lower is better.",
    "MAE": "Average error of a predicted rating, in rating points of this data's scale; every "
    "miss counts by its size. Lower is better.",
    "bias": "A movie's or a user's own offset from the average rating (a generous rater, a "
    "film everyone rates high), learned beside the embedding. Not prejudice.",
    "embedding": "A short list of numbers the model learns for each movie (and each user) from "
    "the ratings alone. In a matrix factorisation (mf, mf_bias, svdpp) movies rated alike get "
    "similar lists; an autorec or deep model's lists mean something else, said beside the "
    "model's name.",
    "dimension": "One of the numbers in an embedding (a model of dim 16, for example, has sixteen "
    "numbers per movie). A "
    "dimension has no name: the model decides what it captures.",
    "matrix factorisation": "The model that predicts a rating from the user's and the movie's "
    "embeddings multiplied number by number and summed; mf_bias adds both biases, plain mf "
    "has none.",
    "norm": "The length of a movie's embedding (its distance from zero). In a matrix "
    "factorisation, the longer it is, the more its predicted ratings differ from user to user.",
    "principal direction": "A direction in the embedding space along which the movies differ "
    "most (PCA, principal component analysis, finds them, largest first); it is a mix of "
    "dimensions.",
    "regularizer": "An extra rule during training that keeps the embeddings simple or shaped, "
    "so they do not just memorise the training ratings.",
    "L2": "A regularizer that pulls the vectors of rated users and movies towards zero "
    "(l2=0.1: its strength), a vector with few ratings hardest against its own data, so "
    "movies with few ratings end up near the centre.",
    "whitening": "Every dimension centred on 0 with variance 1 and uncorrelated with the others. "
    "The exact transform makes the vectors so; the regularizer only penalises the distance from "
    "it during training, and may not get there on the movies you look at (its verdict says how "
    "far, over which movies). 'Not whitened' describes the shape, not a fault.",
    "covariance diagonal": "The variance of each dimension: how widely the movies spread "
    "along it (the diagonal of the dimensions' covariance matrix). Whitening aims at 1 for "
    "every dimension.",
    "off-diagonal covariance": "How much two dimensions vary together (the covariance matrix "
    "outside its diagonal); |...| takes its size whatever its sign. Whitening and "
    "decorrelation aim at 0: each dimension then says something the others do not.",
    "off-diagonal correlation": "How closely two dimensions move together, from -1 to 1 "
    "(their Pearson r); |...| takes its size whatever its sign. Decorrelation aims at 0.",
    "column means' RMS": "How far the dimensions' averages over the movies sit from 0: the "
    "root mean square (RMS: square each average, take their mean, then its square root) of "
    "one average per dimension. Whitening aims at 0.",
    "KS distance": "Kolmogorov-Smirnov distance: the largest gap between the share of movies "
    "below each value of a dimension and the share a uniform spread from -1 to 1 would have "
    "there (0: exactly uniform, 1: as far as can be).",
    "decorrelation": "A regularizer that penalises correlation between the dimensions, without "
    "spreading them equally; its verdict says how far it got.",
    "early stopping": "Training stops when the error on ratings set aside for this "
    "(early-stopping rows) stops improving, and keeps the best epoch (one pass over the "
    "training ratings).",
    "Pearson r": "How closely two quantities move together along a straight line: +1 rise "
    "together, 0 unrelated, -1 one falls as the other rises.",
    "Spearman": "Like Pearson r, but on ranks: whether one quantity rises (+) or falls (-) "
    "with the other, straight line or not.",
    "chance": "How often a random order, or random lists, would score this high: '41% of the "
    "time' means the result is easily got by luck; 5% or less is called beyond chance.",
    "Procrustes residual": "How different two models' arrangements of the same movies are "
    "after the best shift, rotation (mirroring allowed) and resizing of one onto the other: 0 "
    "the same shape, 1 one "
    "explains none of the other (unrelated models come close to 1).",
    "Jaccard": "Overlap of two lists: the films both list, divided by the films either lists "
    "(1: the same films, 0: none in common).",
    "AUC": "How well a score ranks the movies (or users) that have a property above those that "
    "do not: 0.5 is chance, 1 puts every one of them first.",
    "linear probe": "A test of whether a property (a genre, a decade) can be read off the "
    "embedding by one straight cut through the space, fitted on some movies and scored on "
    "others.",
    "Embedding Projector": "TensorFlow's web tool for looking at embeddings (projector."
    "tensorflow.org): maps and nearest neighbours, without the checks this page adds.",
    "NDCG": "How high a top-k list places the movies the user liked in the test "
    "ratings: 0 none of them in the list, 1 the list's first places all liked movies (as many "
    "places as the user has liked movies, up to k). A hit at place 1 counts most, at place 10 "
    "about 0.29 of that.",
}

#: What a family's vectors are where it is not a matrix factorisation's plain reading (accuracy
#: round 50, F3: every view described autorec's and deep's movie vectors as mf's).
FAMILY_VECTORS: dict[str, str] = {
    "autorec": "its movie vectors are each movie's code, computed from its training ratings: "
    "values between 0 and 1 that saturate for popular films, so most pairs of movies point "
    "alike (a high cosine)",
    "deep": "its movie vectors are the network's input: close vectors need not get similar "
    "predicted ratings, and their dot product or cosine is no part of a prediction",
    "svdpp": "its user vectors include the sum over the movies each user rated",
}

_KEYS = {term.lower(): term for term in TERMS}


def movie_vectors(family: str) -> str:
    """What a ``family`` model's vectors are, as a clause ("" for mf and mf_bias, whose reading
    the "embedding" entry gives)."""
    return FAMILY_VECTORS.get(family, "")


def define(*terms: str) -> str:
    """The plain meaning of each of ``terms``, as one ``help=`` text ("**RMSE**: ..." lines)."""
    lines = []
    for term in terms:
        key = _KEYS.get(term.lower())
        if key is None:
            raise MovierateError(
                f"No plain definition for {term!r}: add it to movierate.glossary.TERMS or use "
                f"one of {', '.join(TERMS)}."
            )
        lines.append(TERMS[key] if len(terms) == 1 else f"**{key}**: {TERMS[key]}")
    return "\n\n".join(lines)
