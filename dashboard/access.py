"""Who is looking: the signed-in user (OIDC through `st.login` when `[auth]` is configured in
secrets) or the single local user, and the roles that person holds by owner e-mail."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from monitor.access import MAINTAINER, RESPONDER, VIEWER, Viewer, roles_for
from monitor.config.model import Config
from monitor.config.values import printable_name

ACTOR_KEY = "dxq_actor"  # the local user's name, kept in the browser session
_ROUTED = "dxq_name_drawn_by_router"
# The names a browser uses for a dashboard served on this machine. Any other Host in local
# mode is a page of another site whose name now resolves here (DNS rebinding).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def auth_configured() -> bool:
    """Whether `[auth]` is present in Streamlit's secrets."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def local_host(host: str) -> bool:
    """Whether a Host header (`localhost:8501`, `[::1]:8501`, `127.0.0.1`) names this machine."""
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:
        return False
    return name is not None and name.rstrip(".") in LOCAL_HOSTS


def refuse_foreign_host() -> None:
    """In local mode (no sign-in configured), stop the page unless the browser asked for
    localhost, 127.0.0.1 or [::1]: called by the router before any page reads or acts.
    (Without a request, as under AppTest, there is no Host to check.)"""
    host = st.context.headers.get("Host")
    if auth_configured() or host is None or local_host(host):
        return
    st.error(
        "This dashboard runs in single-user mode and answers only at localhost, 127.0.0.1 or "
        "[::1]. Open it at http://localhost:<port>, or configure sign-in ([auth]) to serve it "
        "under another name."
    )
    st.stop()


def current_viewer(config: Config) -> Viewer:
    """The signed-in user's roles, or every role for the single local user."""
    if not auth_configured():
        # The field's own value, even when emptied: actions refuse a blank or invisible name.
        local = printable_name(str(st.session_state.get(ACTOR_KEY, "")))
        return Viewer(local, False, frozenset({VIEWER, RESPONDER, MAINTAINER}), frozenset())
    email = str(st.user.get("email") or "") if st.user.is_logged_in else ""
    return roles_for(config, email)


def sign_in_bar(config: Config) -> Viewer:
    """The sidebar's identity block: sign in/out with OIDC, or the local name field.

    With sign-in configured, a visitor who is not signed in sees only a sign-in prompt: the
    page stops here."""
    with st.sidebar:
        if auth_configured():
            if not st.user.is_logged_in:
                st.caption("Sign in to see the dashboard.")
                if st.button("Sign in", key="dxq_login"):
                    st.login()
            else:
                st.caption(f"Signed in as {st.user.get('email')}")
                if st.button("Sign out", key="dxq_logout"):
                    st.logout()
        elif not st.session_state.get(_ROUTED):  # a page run on its own (tests)
            _name_input()
    if auth_configured() and not st.user.is_logged_in:
        st.title("Sign in")
        st.info(
            "This dashboard is shared: sign in (button in the sidebar) to see the data "
            "exchanges, their checks and alerts."
        )
        st.stop()
    return current_viewer(config)


def name_field() -> None:
    """The local user's name in the sidebar, drawn by the router (streamlit_app.py) before
    the page: a widget of the entrypoint is one widget on every page, so the name typed once
    is kept for the browser session (a widget drawn by a page is that page's own)."""
    if auth_configured():
        return
    st.session_state[_ROUTED] = True
    with st.sidebar:
        _name_input()


def _name_input() -> None:
    # No placeholder: a greyed name (the OS user) looked like a filled-in value.
    st.text_input(
        "Your name (recorded when you act)",
        key=ACTOR_KEY,
        help="Recorded when you acknowledge, silence or run. Single-user mode on localhost; "
        "configure [auth] in secrets to sign in.",
    )
