"""The Streamlit dashboard's shared code: the only part of the core that imports Streamlit.

- :mod:`~movierate.ui.shell`: page registry, sidebar (page links, running jobs), error boundary
- :mod:`~movierate.ui.state`: caches, model and dataset loading, the job registry
- :mod:`~movierate.ui.widgets`: model picker, movie tables, title picker, the movie map figure
  and its selection panel
- :mod:`~movierate.ui.figures`: plotly figures as pure functions of data (no Streamlit)
- :mod:`~movierate.ui.text`: one-line descriptions and display tables (no Streamlit)

Nothing here imports TensorFlow: models are read through ``movierate.store`` (numpy), analyses
come from ``movierate.explore``.
"""
