"""movierate: train movie-rating models with embedding layers and look inside the embeddings.

Importing the package is cheap: it never imports TensorFlow or Streamlit. Modules that need
TensorFlow (`movierate.nn`: models, regularizers, optimizers, training) import it themselves.
"""

__version__ = "0.1.0"
