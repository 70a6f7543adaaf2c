"""Carry out a dashboard action, then rerun so every part of the page shows the new state,
with the outcome shown once at the top ("flash" message)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import data
from monitor import actions

_KEY = "dxq_flash"


def perform(action: Callable[[], object]) -> None:
    """Run `action`; on success forget cached reads and rerun with its message."""
    try:
        message = action()
    except actions.ActionFailed as exc:
        st.error(str(exc))
        return
    data.clear()
    st.session_state[_KEY] = str(message)
    st.rerun()


def show_flash() -> None:
    """Show (once) the message of the action just carried out."""
    message = st.session_state.pop(_KEY, None)
    if message:
        st.success(message)
