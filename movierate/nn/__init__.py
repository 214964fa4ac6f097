"""Everything that imports TensorFlow / Keras: models, regularizers, sparse optimizers, training.

Importing this package itself is cheap; each module imports TensorFlow when it is imported.
"""
