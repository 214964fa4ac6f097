"""movierate: train movie-rating models with embedding layers and look inside the embeddings.

Importing the package is cheap: it never imports TensorFlow or Streamlit. Modules that need
TensorFlow (`movierate.nn`: models, regularizers, optimizers, training) import it themselves.
"""

import os
from pathlib import Path

__version__ = "0.1.0"


def _quiet_tensorflow_logs() -> None:
    """Hide TensorFlow's C++ info and warning lines (the CPU-feature notice), and on a machine
    without an NVIDIA driver its "failed call to cuInit" error too: every training printed
    them between movierate's own lines. (Its oneDNN and "Could not find cuda drivers" notes
    come before it reads the level, so they stay.) A value the user set is kept
    (``TF_CPP_MIN_LOG_LEVEL=0`` shows them all)."""
    no_driver = not Path("/proc/driver/nvidia").exists()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3" if no_driver else "2")


_quiet_tensorflow_logs()
