"""The dashboard's frame around every page: the page registry, the sidebar with the page links
and the running-jobs panel, and the error boundary.

``app.py`` routes with ``st.navigation(shell.pages())``; pages link to each other with
``st.page_link(shell.page("train"))`` / ``st.switch_page(shell.page("train"))``, never with
path strings.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import runpy
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple, TypeVar

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from movierate import config
from movierate.errors import MovierateError
from movierate.ui import charts, state
from movierate.ui.text import job_progress_text, md


class PageEntry(NamedTuple):
    """One page of the dashboard: its script (relative to ``app.py``), title and icon."""

    script: str
    title: str
    icon: str


#: Every page, in sidebar order; the first is the default (served at ``/``).
PAGES: dict[str, PageEntry] = {
    "home": PageEntry("pages/home.py", "Home", ":material/home:"),
    "train": PageEntry("pages/train.py", "Train", ":material/model_training:"),
    "compare": PageEntry("pages/compare.py", "Compare", ":material/compare_arrows:"),
    "embeddings": PageEntry("pages/embeddings.py", "Embeddings", ":material/scatter_plot:"),
    "dimensions": PageEntry("pages/dimensions.py", "Dimensions", ":material/sort:"),
    "explore": PageEntry("pages/explore.py", "Explore", ":material/explore:"),
    "neighbours": PageEntry("pages/neighbours.py", "Neighbours", ":material/hub:"),
    "recommend": PageEntry("pages/recommend.py", "Recommend", ":material/recommend:"),
    "rate": PageEntry("pages/rate.py", "Rate movies", ":material/star:"),
}
DEFAULT_PAGE = next(iter(PAGES))

_F = TypeVar("_F", bound=Callable[..., Any])

_router = threading.local()
log = logging.getLogger(__name__)


def page(key: str) -> StreamlitPage:
    """The ``st.Page`` of one dashboard page (a key of :data:`PAGES`), for ``st.navigation``,
    ``st.page_link`` and ``st.switch_page``. Only callable while the app runs."""
    entry = PAGES[key]
    return st.Page(entry.script, title=entry.title, icon=entry.icon, default=key == DEFAULT_PAGE)


def skip_direct_run_check() -> None:
    """Skip Streamlit's once-per-process check for a script run without ``streamlit run``: it
    calls ``inspect.stack()``, which reads the source of every frame's module and scans every
    loaded module (~0.1 s of the first page's run once pandas and the app are loaded: issue 15).
    The dashboard always runs under ``streamlit run``. The flag is private: a Streamlit without
    it is left as it is."""
    from streamlit import delta_generator

    if isinstance(getattr(delta_generator, "_use_warning_has_been_displayed", None), bool):
        delta_generator._use_warning_has_been_displayed = True


def page_menu() -> None:
    """Show the sidebar menu that ``st.navigation`` draws (call before it on every run).

    ``.streamlit/config.toml`` turns it off (``client.showSidebarNavigation = false``) for
    Streamlit's first run in a process: with a ``pages/`` folder beside ``app.py`` that run
    starts in the folder-based multipage mode, whose menu of file names ("app, compare,
    dimensions, ...") was the first paint until ``app.py``'s ``st.navigation`` replaced it
    (views round 39, F6). The option is the server's, so this turns it on for every session.
    """
    st.set_option("client.showSidebarNavigation", True)


def pages() -> list[StreamlitPage]:
    """Every dashboard page, in sidebar order (the argument of ``st.navigation``)."""
    return [page(key) for key in PAGES]


@contextmanager
def routed() -> Iterator[None]:
    """Mark the page run inside as started by the router (``app.py``); see :func:`require_router`."""
    _router.active = True
    try:
        yield
    finally:
        _router.active = False


def require_router() -> None:
    """Run ``app.py`` around this page if Streamlit ran the page script directly.

    With a ``pages/`` folder beside the entry point, Streamlit's first run in a process (and
    every ``AppTest`` run) uses its folder-based multipage mode, which runs the page the URL
    names without ``app.py``: no page config, sidebar or error boundary. Then this runs
    ``app.py`` in the same script run (its ``st.navigation`` switches that mode off for later
    runs and runs this page again, inside the frame) and stops the direct run. Every page
    calls this before drawing anything.
    """
    if getattr(_router, "active", False):
        return
    ctx = get_script_run_ctx()
    if ctx is None:  # imported outside a Streamlit run (e.g. by a test): nothing to route
        return
    runpy.run_path(ctx.main_script_path, run_name="__main__")
    st.stop()


def follow_theme() -> None:
    """Draw this run's charts with text in the page theme's colour (views round 8: dark text on
    Streamlit's dark theme): the configured base theme (``--theme.base dark``; the settings
    menu that switches it is hidden), else the one the browser reports (which said "light"
    under a dark base here, Streamlit 1.67)."""
    base = st.get_option("theme.base")
    kind = base if base in ("light", "dark") else st.context.theme.type
    charts.TEXT_COLOUR.set(charts.DARK_TEXT if kind == "dark" else charts.TEXT)


#: What Streamlit draws captions at (0.6: 3.9:1 on the light theme's white, views round 11)
#: raised so that they pass WCAG AA's 4.5:1 in both themes.
CAPTION_OPACITY = 0.72
#: The least width (rem) a column holding a control keeps, and one holding a chart or table:
#: narrower, it wraps to a line of its own (Streamlit's column rows wrap). At 911 CSS px (a
#: laptop at 150% zoom) three controls a row read "correla", "cosir" and "C…", and charts
#: cut their titles and legends (views round 11); 16 rem keeps 1024 px's chart pairs where
#: the gap between them is Streamlit's default.
CONTROL_REM, FIGURE_REM = 12, 16
#: The key prefix of a container whose figure needs :data:`WIDE_FIGURE_REM`: its column wraps
#: to a row of its own below that (Compare's heatmaps, views round 14).
WIDE_FIGURE, WIDE_FIGURE_REM = "wide-figure-", 24
#: Streamlit's test ids of what needs :data:`FIGURE_REM`.
FIGURES = ("stVegaLiteChart", "stPlotlyChart", "stDataFrame")

#: Below this width (px) a row of tabs wraps to a second line: Embeddings' five view tabs ran to
#: 450 px on a 390 px phone, "Norms & popularity" and "Export" off screen with no cue that the
#: row scrolls (views round 13).
WRAP_TABS_PX = 640
#: The focus ring of a focused control or link (views round 13: a focused sidebar link looked
#: like the current page, and number boxes drew no ring at all).
FOCUS_RING = "2px solid currentColor"
#: What else draws :data:`FOCUS_RING` when the keyboard focuses it (views round 15: a focused
#: table toolbar button, tab or segment drew none).
FOCUSABLE = ("button", "summary", '[role="tab"]', '[tabindex]:not([tabindex="-1"])')
#: Streamlit's controls shown only while the pointer is over their element: shown while the
#: keyboard focus is inside (views round 15: a focused "Download as CSV" was at opacity 0).
HOVER_ONLY = ('[data-testid="stElementToolbar"]', '[data-testid="stHeaderActionElements"]')
#: Windows high contrast (forced colours) replaces every background with the window's colour,
#: and Streamlit draws sliders, toggles and the selected tab or segment with backgrounds only:
#: they vanished (views round 15). Here they get borders and system colours instead: a slider
#: track with its filled part and thumb, a toggle's track and knob (filled when on), and the
#: selected tab or segment outlined in ``Highlight``.
_SLIDER = '[data-testid="stSlider"] [role="group"] > div'
_TOGGLE = '[data-testid="stCheckbox"]:has(input[role="switch"]) label > div:not([data-testid])'
FORCED_COLOURS_CSS = f"""\
{_SLIDER} {{ border: 1px solid CanvasText; }}
{_SLIDER} > div:first-child {{ forced-color-adjust: none; background: Highlight; }}
{_SLIDER} > div[style*="absolute"] {{
  forced-color-adjust: none; background: CanvasText; border: 2px solid Canvas;
}}
{_SLIDER} [data-testid="stSliderThumbValue"] {{ forced-color-adjust: auto; }}
{_TOGGLE} {{ border: 1px solid CanvasText; }}
{_TOGGLE} > div {{ forced-color-adjust: none; background: CanvasText; }}
{_TOGGLE.replace("label", 'label[data-selected="true"]')} {{
  forced-color-adjust: none; background: Highlight;
}}
[role="tab"][aria-selected="true"], [data-testid="stButtonGroup"] [aria-checked="true"],
[aria-pressed="true"] {{
  outline: 3px solid Highlight !important; outline-offset: -3px;
}}"""

PAGE_CSS = f"""<style>
[data-testid="stCaptionContainer"] {{ opacity: {CAPTION_OPACITY}; }}
[data-testid="stColumn"]:has([data-testid="stElementContainer"]) {{
  min-width: min(100%, {CONTROL_REM}rem);
}}
[data-testid="stColumn"]:has({", ".join(f'[data-testid="{f}"]' for f in FIGURES)}) {{
  min-width: min(100%, {FIGURE_REM}rem);
}}
[data-testid="stColumn"]:has([class*="st-key-{WIDE_FIGURE}"]) {{
  min-width: min(100%, {WIDE_FIGURE_REM}rem);
}}
@media (max-width: {WRAP_TABS_PX}px) {{
  [data-testid="stTabs"] [role="tablist"] {{ flex-wrap: wrap; row-gap: 0.25rem; }}
}}
[data-testid="stSidebarNav"] a:focus-visible, a[data-testid="stPageLink-NavLink"]:focus-visible,
input:focus-visible, textarea:focus-visible, {", ".join(f"{c}:focus-visible" for c in FOCUSABLE)} {{
  outline: {FOCUS_RING} !important; outline-offset: 2px;
}}
{", ".join(f"{c}:focus-within" for c in HOVER_ONLY)} {{
  opacity: 1 !important; visibility: visible !important;
}}
@media (forced-colors: active) {{
{FORCED_COLOURS_CSS}
}}
</style>"""

#: On a touch screen, a one-finger swipe that starts on a Plotly chart scrolls the page (views
#: round 13: on the 640 px movie map it drew a lasso, and only the 16 px margins scrolled).
#: Plotly takes every touch on its drag layer for the drag mode (lasso, zoom, pan), so the
#: touch does not reach it until a drag tool is picked in the chart's mode bar (one tap: the
#: lasso is there); a tap still reaches it as the browser's mouse click (hover label, point
#: selection). Mouse and pen screens are left as they are: the lasso stays the map's drag.
TOUCH_SCROLL_JS = """<script>
(() => {
  if (window.movierateTouchScroll || !matchMedia("(pointer: coarse)").matches) return;
  window.movierateTouchScroll = true;
  const picked = new WeakSet();  // charts whose drag tool was picked on this screen
  const chart = (e) => e.target.closest && e.target.closest(".js-plotly-plot");
  document.addEventListener("click", (e) => {
    if (e.target.closest && e.target.closest(".modebar-btn[data-attr='dragmode']")) {
      picked.add(chart(e));
    }
  }, true);
  document.addEventListener("touchstart", (e) => {
    const onLayer = e.target.closest && e.target.closest(".draglayer");
    if (onLayer && !picked.has(chart(e))) e.stopPropagation();
  }, {capture: true, passive: true});
})();
</script>"""


#: One browser history entry per user action (a click or a key) that changes the link, none
#: for any other change. Streamlit's own page switch pushed the page left without its widgets'
#: values, then the new page bare, and the page's link writes (its model pick) pushed again:
#: one sidebar move added three entries and one Back showed Rate without its ratings (views
#: round 19, F1/F2); a widget's change replaced the entry its link write then pushed after.
#: Here the first change after a click or key is a new entry and every later one until the
#: next click or key completes it; Back, Forward, a reload or an opened link add none. A
#: slider or a segmented control (a setting nudged, like a map's zoom) updates the entry it
#: is on unless the page changes: three arrow-key presses on a slider were three entries to
#: Back through (views round 21; tabs, searches, picks, ratings and pages stay entries).
HISTORY_JS = """<script>
(() => {
  if (window.movierateHistory) return;
  window.movierateHistory = true;
  let fresh = null;  // "push" or "adjust": a click or key since the last change of the address
  const ADJUST = '[data-testid="stSlider"], [data-testid="stButtonGroup"]';
  for (const type of ["pointerdown", "keydown"]) {
    window.addEventListener(type, (event) => {
      const target = event.target;
      fresh = target instanceof Element && target.closest(ADJUST) ? "adjust" : "push";
    }, true);
  }
  window.addEventListener("popstate", () => { fresh = null; }, true);
  const push = history.pushState.bind(history);
  const replace = history.replaceState.bind(history);
  const write = (data, title, url) => {
    const next = url == null ? null : new URL(url, location.href);
    if (next == null || next.href === location.href) {
      return replace(data, title, url);
    }
    const page = next.pathname !== location.pathname;
    const change = fresh === "push" || (fresh === "adjust" && page) ? push : replace;
    fresh = null;
    return change(data, title, url);
  };
  history.pushState = write;
  history.replaceState = write;
})();
</script>"""

#: The theme's primary colour (``.streamlit/config.toml``), which Streamlit also draws as the
#: text of a selected tab, segment or pill (on a 10% tint of itself) and of a slider's value:
#: #d6336c read 4.01:1 there (views round 15); this reads 5.4:1 on its tint, 6.3:1 on white.
PRIMARY = "#b02a5a"
#: That text on the dark theme (``--theme.base dark``), where :data:`PRIMARY` reads 2.9:1 on
#: the page: 5.3:1 on its tint there. Buttons filled with the primary keep it (white on it).
DARK_PRIMARY_TEXT = "#f06595"
#: Where Streamlit draws text in the primary colour.
PRIMARY_TEXT = (
    '[role="tab"][aria-selected="true"] p',
    '[data-testid="stButtonGroup"] [aria-checked="true"] p',
    '[data-testid="stSliderThumbValue"] p',
)
#: A slider's thumb, drawn in the primary: 2.86:1 on the dark page, under the 3:1 a control's
#: state needs (recheck of views round 15); :data:`DARK_PRIMARY_TEXT` there.
SLIDER_THUMB = (
    '[data-testid="stSlider"] div[style*="position: absolute"][style*="touch-action: none"]'
)
DARK_CSS = f"""<style>
{", ".join(PRIMARY_TEXT)} {{ color: {DARK_PRIMARY_TEXT} !important; }}
{SLIDER_THUMB} {{ background-color: {DARK_PRIMARY_TEXT} !important; }}
</style>"""


def style() -> None:
    """The dashboard's few style rules (:data:`PAGE_CSS`): readable captions, column rows that
    wrap before they cut a label, a chart title or a legend, tab rows that wrap on a phone, a
    visible focus ring and hover-only controls shown while focused, controls that stay visible
    in forced colours, and on the dark theme, primary-coloured text that passes AA
    (:data:`DARK_CSS`). Call after :func:`follow_theme`."""
    st.html(PAGE_CSS + (DARK_CSS if charts.TEXT_COLOUR.get() == charts.DARK_TEXT else ""))


def sidebar(current: str = "") -> None:
    """The sidebar below Streamlit's page navigation (``st.navigation`` in ``app.py``): while
    jobs train, their live progress (``current``: the shown page's URL path), and at its foot,
    where it takes no room, :data:`TOUCH_SCROLL_JS` and :data:`HISTORY_JS`. Streamlit's own
    navigation closes the
    sidebar after a tap on a phone (views round 13: custom page links left it open over 300 of
    390 px)."""
    with st.sidebar:
        # the registry reads its settings (MOVIERATE_TRAINING_WORKERS): a bad one shows as its
        # own message here, and the page below still draws; not on Train, whose form says it
        with error_boundary() if current != "train" else contextlib.suppress(MovierateError):
            if state.job_registry().active_jobs():
                st.divider()
                _sidebar_jobs_live()
        st.html(TOUCH_SCROLL_JS + HISTORY_JS, unsafe_allow_javascript=True)


def fragment(func: _F | None = None, *, run_every: float | None = None) -> Any:
    """``st.fragment`` whose body runs inside :func:`error_boundary`: use it for every fragment
    of the dashboard (``@shell.fragment`` or ``@shell.fragment(run_every=2.0)``).

    Streamlit catches an exception raised in a fragment itself, draws its stack trace
    (``st.exception``) and re-raises it as ``FragmentHandledException``, so the page's own
    boundary comes too late: an expected error (a :class:`MovierateError`, e.g. too few movies
    for the chosen filter) would show as a traceback. Here it shows as ``st.error`` inside the
    fragment, and the rest of the page draws on. ``st.rerun``/``st.stop`` pass through (they
    are not exceptions of class ``Exception``)."""

    def decorate(body: _F) -> _F:
        @functools.wraps(body)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            follow_theme()  # a fragment's own rerun runs no app.py (recheck: dark text again)
            with error_boundary():
                return body(*args, **kwargs)
            return None  # the boundary showed the error

        return st.fragment(guarded, run_every=run_every)  # type: ignore[return-value]

    return decorate if func is None else decorate(func)


@fragment(run_every=2.0)
def _sidebar_jobs_live() -> None:
    active = state.job_registry().active_jobs()
    if not active:
        st.rerun(scope="app")
    st.caption("Training now")
    for job in active:
        st.progress(job.fraction, text=job_progress_text(job))
    st.page_link(page("train"), label="Watch on the Train page", icon=":material/monitoring:")


def page_key(current: StreamlitPage) -> str | None:
    """The key in :data:`PAGES` of the page ``st.navigation`` chose (None if unknown)."""
    for key, entry in PAGES.items():
        if entry.title == current.title:
            return key
    return None


#: Session key: the page ``st.navigation`` chose for this run (pickers remember where a pick
#: was made: ``widgets.pick_models``).
CURRENT_PAGE = "_movierate_current_page"


#: Session key: this run reopened the page without the link's ignored values.
_REOPENED = "_movierate_url_reopened"


def top_notices(current: StreamlitPage) -> None:
    """Check the link's parameters for ``current`` (:func:`state.read_url`) and show, at the
    top of the page, one line per thing ignored from the link and any other queued notice
    (:func:`state.add_notice`, e.g. what an import changed in the data).

    A link with an ignored value opens the page again with the accepted values only:
    Streamlit seeds a URL-bound widget from the link the page was opened with, so deleting
    the value is not enough (``?tsne_min=1e400`` crashed an integer input inside Streamlit).
    The notices are queued, so they show on the reopened page. A locale whose file-name
    encoding cannot carry the folders' paths (:func:`config.locale_problem`) stops the page
    with that message instead."""
    st.session_state[CURRENT_PAGE] = current
    if problem := config.locale_problem():  # every page would fail on its folders
        st.error(md(problem), icon=":material/language:")
        st.stop()
    given = set(st.query_params)
    try:
        key = page_key(current)
        accepted = state.read_url(key) if key is not None else None
    except (MovierateError, PermissionError):  # a store or setting no model can be read from:
        accepted = None  # the page says so in its own error box (bad-input round 18, recheck B
        # s27: a traceback in the log)
    except Exception:  # a broken link check must never keep the page from drawing
        log.exception("Checking the link's parameters failed")
        accepted = None
    reopened = st.session_state.pop(_REOPENED, False)  # at most once in a row: never a loop
    if accepted is not None and set(accepted) != given and not reopened:
        st.session_state[_REOPENED] = True
        try:
            st.switch_page(current, query_params=accepted)
        except StreamlitAPIException:
            # Some parameter is bound to a widget drawn on an earlier run of this page (the
            # link became invalid while the page was open, e.g. its model was deleted in
            # another tab): Streamlit refuses to set it. No widget is seeded from the link any
            # more, so the page goes on, with the ignored widget values reset to their default.
            st.session_state.pop(_REOPENED, None)
            for key in given - set(accepted):
                st.session_state.pop(key, None)
    show_notices(state.pop_notices())


def show_notices(notices: list[str]) -> None:
    """The queued notices as one warning, one line each (nothing when there are none)."""
    if notices:
        st.warning("\n\n".join(notices), icon=":material/info:")


def debug_mode() -> bool:
    """True when ``MOVIERATE_DEBUG`` is set (to anything but ``0``/empty), as for the CLI:
    then unexpected errors show their traceback on the page."""
    return os.environ.get("MOVIERATE_DEBUG", "").strip() not in ("", "0")


def show_details(details: str | None) -> None:
    """The traceback of a failure: in a "Details" expander in debug mode (:func:`debug_mode`),
    else a line saying where it is (it names server files, so it stays off the page)."""
    if not details:
        return
    if debug_mode():
        with st.expander("Details"):
            st.code(details, language="text")
    else:
        st.caption(
            "The details are in the server log; restart the dashboard with MOVIERATE_DEBUG=1 "
            "to see them here."
        )


def permission_text(exc: PermissionError) -> str:
    """What a page says when a folder of movierate's may not be read or written: which path,
    and how to fix it (the server's user needs permission on it, or another folder)."""
    where = f" {os.fsdecode(exc.filename)}" if exc.filename is not None else ""
    return (
        f"Permission denied:{where}. The dashboard's user may not read or change it (or a "
        "folder above it); fix the folder's permissions (e.g. `chmod u+rwx` on it as its "
        "owner), or restart the dashboard with MOVIERATE_HOME (or MOVIERATE_DATA_DIR) set to a "
        "folder it can use."
    )


@contextmanager
def error_boundary() -> Iterator[None]:
    """Show a MovierateError as ``st.error``; anything else as a friendly error saying what to
    do. The traceback always goes to the server log (``logging.exception``); the page shows it
    only in debug mode (:func:`debug_mode`), since it names server files and paths."""
    try:
        yield
    except MovierateError as exc:
        st.error(md(str(exc)), icon=":material/warning:")
    except PermissionError as exc:  # recheck B (s27): "Something went wrong" and a traceback
        log.warning("A dashboard page could not read a folder: %s", exc)
        st.error(md(permission_text(exc)), icon=":material/lock:")
    except Exception as exc:  # a page must never end in a raw stack trace
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        log.exception("Unexpected error on a dashboard page (%s)", when)
        if debug_mode():
            st.error(
                f"Something went wrong: {type(exc).__name__}: {md(str(exc))}. The details are below "
                "and in the server log.",
                icon=":material/error:",
            )
            show_details(traceback.format_exc())
            return
        st.error(
            f"Something went wrong on this page ({type(exc).__name__}, {when}). "
            "Reload the page or try other settings; if it keeps happening, report it with "
            "that time: the details are in the server log. To see them here, restart the "
            "dashboard with MOVIERATE_DEBUG=1.",
            icon=":material/error:",
        )
