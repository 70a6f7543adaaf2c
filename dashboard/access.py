"""Who is looking: the signed-in user (OIDC through `st.login` when `[auth]` is configured in
secrets) or the single local user, and the roles that person holds by owner e-mail."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

import streamlit as st

from monitor.config.model import Config

VIEWER, RESPONDER, MAINTAINER, ONCALL = "viewer", "responder", "maintainer", "oncall"


@dataclass(frozen=True)
class Viewer:
    """The person using the dashboard and what they may do."""

    actor: str  # recorded in audit events: an e-mail or a local name
    signed_in: bool
    roles: frozenset[str]
    owner_ids: frozenset[str]  # the owners of the monitor file this person is

    def may_run(self) -> bool:
        """Queue a run now: the local user or anyone holding the responder role."""
        return RESPONDER in self.roles

    def may_respond(self, owners: list[str]) -> bool:
        """Acknowledge and silence: the local user, on-call, maintenance, or an owner of it."""
        if not self.signed_in:
            return RESPONDER in self.roles
        return bool({ONCALL, MAINTAINER} & self.roles) or bool(self.owner_ids & set(owners))


def auth_configured() -> bool:
    """Whether `[auth]` is present in Streamlit's secrets."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_viewer(config: Config) -> Viewer:
    """The signed-in user's roles, or every role for the single local user."""
    if not auth_configured():
        # The field's own value, even when emptied: actions refuse a blank name.
        local = str(st.session_state.get("dxq_actor", "")).strip()
        return Viewer(local, False, frozenset({VIEWER, RESPONDER, MAINTAINER}), frozenset())
    email = str(st.user.get("email") or "") if st.user.is_logged_in else ""
    return roles_for(config, email)


def roles_for(config: Config, email: str) -> Viewer:
    """The roles of a signed-in e-mail address from the owners it appears under."""
    mine = {
        owner_id
        for owner_id, owner in config.owners.items()
        if email and email.lower() in (e.lower() for e in owner.email)
    }
    roles = {VIEWER}
    owner_roles = {config.owners[o].role for o in mine}
    if mine:
        roles.add(RESPONDER)
    if "oncall" in owner_roles:
        roles.add(ONCALL)
    if "maintenance" in owner_roles:
        roles.add(MAINTAINER)
    return Viewer(email or "anonymous", bool(email), frozenset(roles), frozenset(mine))


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
        else:
            st.text_input(
                "Your name (recorded when you acknowledge)",
                key="dxq_actor",
                placeholder=_os_user(),
                help="Single-user mode on localhost. Configure [auth] in secrets to sign in.",
            )
    if auth_configured() and not st.user.is_logged_in:
        st.title("Sign in")
        st.info(
            "This dashboard is shared: sign in (button in the sidebar) to see the data "
            "exchanges, their checks and alerts."
        )
        st.stop()
    return current_viewer(config)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a container
        return "local user"
