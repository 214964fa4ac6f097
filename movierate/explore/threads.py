"""Run small numpy / scikit-learn analyses on one BLAS thread.

The explore analyses multiply tall, thin matrices (movies x 32 dims) and fit small models;
extra BLAS threads gain nothing there, and on a busy machine they spin-wait: measured on a
loaded 2-core box, two OpenBLAS threads made Procrustes alignment 8x and linear probes 5-10x
slower than one. :func:`single_blas_thread` limits BLAS to one thread for the call only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def single_blas_thread(function: F) -> F:
    """Decorator: run ``function`` with BLAS limited to one thread (restored afterwards)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
