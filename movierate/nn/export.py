"""A trained Keras model as plain numpy arrays: the ``embeddings.npz`` of the store contract.

The only place that reads Keras weights out for the rest of the package: training calls
:func:`export_arrays` once and hands the arrays on, so the store and the analyses never touch
Keras code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from movierate.nn.models import RatingModel
from movierate.spec import ModelSpec


def export_arrays(model: RatingModel | Any, spec: ModelSpec | None = None) -> dict[str, np.ndarray]:
    """Everything a numpy forward pass needs (the embeddings.npz of the store contract).

    Batch normalisation is folded into the dense layer before it, so ``scoring`` needs no
    separate normalisation step. For ``svdpp``, ``user_embedding`` holds the effective user
    vectors (p_u plus the implicit part), ``user_factor`` p_u alone and ``implicit_embedding``
    the y table (one row per movie); ``movie_embedding`` stays q, "the movie embedding". For
    ``autorec``, see :func:`movierate.nn.autorec.autorec_arrays` (movie codes, decoder rows).
    """
    spec = spec or model.spec
    if spec.family == "autorec":  # decoder rows, movie codes, user bias (movierate.nn.autorec)
        from movierate.nn.autorec import autorec_arrays

        return autorec_arrays(model)
    user_embedding = _numpy(model.user_embedding.embeddings)
    arrays: dict[str, np.ndarray] = {
        "user_embedding": user_embedding,
        "movie_embedding": _numpy(model.movie_embedding.embeddings),
        "global_mean": np.asarray(model.global_mean, dtype=np.float32),
    }
    if model.score_unit != 1.0:  # absent: 1 (accuracy round 44, F1)
        arrays["score_unit"] = np.asarray(model.score_unit, dtype=np.float32)
    if model.implicit_embedding is not None:
        # svdpp: the EFFECTIVE user vectors p_u + |N(u)|^-1/2 sum y_j, so every analysis and
        # the numpy scorer treat the model as mf_bias; p_u and y kept for exploration.
        users = np.arange(model.n_users, dtype=np.int32)
        arrays["user_embedding"] = _numpy(model.effective_user_vectors(users))
        arrays["user_factor"] = user_embedding
        arrays["implicit_embedding"] = _numpy(model.implicit_embedding.embeddings)
    if model.user_bias is not None:
        arrays["user_bias"] = _numpy(model.user_bias.embeddings)[:, 0]
    if model.movie_bias is not None:
        arrays["movie_bias"] = _numpy(model.movie_bias.embeddings)[:, 0]
    if spec.family == "deep":
        for i, (dense, norm) in enumerate(model.hidden):
            kernel, bias = _numpy(dense.kernel), _numpy(dense.bias)
            if norm is not None:
                scale = _numpy(norm.gamma) / np.sqrt(_numpy(norm.moving_variance) + norm.epsilon)
                kernel = kernel * scale
                bias = (bias - _numpy(norm.moving_mean)) * scale + _numpy(norm.beta)
            arrays[f"dense_{i}_kernel"] = kernel.astype(np.float32)
            arrays[f"dense_{i}_bias"] = bias.astype(np.float32)
        arrays["output_kernel"] = _numpy(model.output_layer.kernel)
        arrays["output_bias"] = _numpy(model.output_layer.bias)
        arrays["first_dense_input_norms"] = np.linalg.norm(arrays["dense_0_kernel"], axis=1)
    return arrays


def _numpy(variable: Any) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(variable), dtype=np.float32)
