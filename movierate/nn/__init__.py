"""Everything that imports TensorFlow / Keras: models, regularizers, sparse optimizers, training.

Each module imports TensorFlow when it is imported. Before that, this package checks the
process may map enough memory (:func:`check_address_space`), and loads ``scipy.special``,
which Keras imports anyway (keras -> sklearn -> scipy.special): scipy's bundled OpenBLAS
allocates its thread buffers when it loads, and loaded after TensorFlow had taken most of a
capped address space (``ulimit -v 3000000``) it retried that allocation forever, a silent
hang (bad-input round 19).
"""

from movierate.errors import MovierateError

#: Address space (bytes) below which TensorFlow does not reliably load and train: it maps
#: several GB of libraries and thread stacks. Under ``ulimit -v`` from 3.0 to 3.5 GB
#: training hung, aborted, crashed or failed to start a thread (bad-input round 19); at 4 GB
#: ml-latest-small trained.
TENSORFLOW_ADDRESS_SPACE = 4 * 1024**3


def check_address_space() -> None:
    """MovierateError saying how to raise the limit when this process may map less than
    :data:`TENSORFLOW_ADDRESS_SPACE` (``ulimit -v``); a native crash cannot be caught later."""
    try:
        import resource
    except ImportError:  # no such limit on this system
        return
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft >= TENSORFLOW_ADDRESS_SPACE:
        return
    raise MovierateError(
        f"not enough memory: this process may map at most {soft / 1024**3:.1f} GB of address "
        f"space (`ulimit -v` is {soft // 1024}), and TensorFlow needs about "
        f"{TENSORFLOW_ADDRESS_SPACE / 1024**3:.0f} GB to load and train. Raise the limit "
        f"(`ulimit -v unlimited`, or at least {TENSORFLOW_ADDRESS_SPACE // 1024}) and try again."
    )


check_address_space()


def keep_keras_home() -> None:
    """Point Keras' own folder (its keras.json, written when Keras is first imported) into
    ``$MOVIERATE_HOME/keras`` unless ``KERAS_HOME`` is set: it was ``~/.keras``, outside the
    folder the README calls the root of everything movierate writes (bad-input round 40, F4)."""
    import contextlib
    import os

    from movierate import config

    with contextlib.suppress(MovierateError, OSError, ValueError):  # a bad home: said elsewhere
        os.environ.setdefault("KERAS_HOME", str(config.home_dir() / "keras"))


keep_keras_home()

import scipy.special  # noqa: E402, F401  (before TensorFlow: see above)
