"""movierate dashboard (``streamlit run app.py``): the router and the frame around every page.

Routes to the pages in ``pages/`` (registered in :mod:`movierate.ui.shell`), sets the page
config once, draws the sidebar (Streamlit's page menu, running training jobs) and runs the page inside the
error boundary, so a page never ends in a raw stack trace.
"""

from __future__ import annotations

import streamlit as st

from movierate.ui import shell

shell.skip_direct_run_check()
shell.page_menu()
page = st.navigation(shell.pages())
st.set_page_config(page_title=f"{page.title} · movierate", page_icon=page.icon, layout="wide")
shell.follow_theme()
shell.style()
shell.sidebar(page.url_path)
with shell.error_boundary(), shell.routed():
    shell.top_notices(page)
    page.run()
