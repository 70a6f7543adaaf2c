"""Who is calling the API: the bearer token's name and the roles it carries (monitor.access)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from monitor.access import VIEWER, Viewer, is_loopback, roles_of
from monitor.config.model import Config


@dataclass(frozen=True)
class Refusal:
    """Why a request may not go on: 401 (who are you?) or 403 (not allowed)."""

    status: int
    detail: str


def identify(config: Config, authorization: str | None) -> Viewer | Refusal:
    """The caller behind an `Authorization` header.

    Without tokens in the monitor file the API serves reads to anyone on loopback and refuses
    every action (nobody could be named in the audit trail)."""
    tokens = config.api.tokens
    if not tokens:
        return Viewer("anonymous", True, frozenset({VIEWER}), frozenset())
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return Refusal(401, "send 'Authorization: Bearer TOKEN' with a token of api.tokens")
    for name, token in tokens.items():
        if hmac.compare_digest(presented.strip().encode(), token.encode()):
            return roles_of(config, name, [name])
    return Refusal(401, "unknown token")


def may_act(config: Config, caller: Viewer) -> Refusal | None:
    """Refusal for callers that may not act at all (no tokens configured)."""
    if not config.api.tokens:
        return Refusal(
            401, "this API has no tokens: declare api.tokens in the monitor file to act through it"
        )
    return None


def check_bind(config: Config, host: str) -> str | None:
    """The problem with serving on `host`, if any: never beyond loopback without tokens."""
    if not is_loopback(host) and not config.api.tokens:
        return (
            f"--host {host} would serve the API beyond this machine without tokens: declare "
            "api.tokens in the monitor file, or serve on 127.0.0.1"
        )
    return None
