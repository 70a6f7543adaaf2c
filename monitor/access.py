"""Who may do what: the roles a person holds through the owners of the monitor file. One rule
for the dashboard's signed-in users and the HTTP API's tokens (docs/operations.md)."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from dataclasses import dataclass

from monitor.config.model import Config

VIEWER, RESPONDER, MAINTAINER, ONCALL = "viewer", "responder", "maintainer", "oncall"


@dataclass(frozen=True)
class Viewer:
    """A person using the dashboard or the API and what they may do."""

    actor: str  # recorded in audit events: an e-mail, a local name or a token's name
    signed_in: bool  # False only for the single local user of a dashboard on localhost
    roles: frozenset[str]
    owner_ids: frozenset[str]  # the owners of the monitor file this person is

    def may_run(self) -> bool:
        """Queue a run now: the local user or anyone holding the responder role."""
        return RESPONDER in self.roles

    def may_respond(self, owners: Collection[str]) -> bool:
        """Acknowledge and silence: the local user, on-call, maintenance, or an owner of it."""
        if not self.signed_in:
            return RESPONDER in self.roles
        return bool({ONCALL, MAINTAINER} & self.roles) or bool(self.owner_ids & set(owners))


def roles_of(config: Config, actor: str, owner_ids: Collection[str]) -> Viewer:
    """The roles of a signed-in person who is `owner_ids` of the monitor file: every owner
    responds for its integrations; on-call and maintenance owners for all of them."""
    mine = frozenset(o for o in owner_ids if o in config.owners)
    roles = {VIEWER}
    owner_roles = {config.owners[o].role for o in mine}
    if mine:
        roles.add(RESPONDER)
    if "oncall" in owner_roles:
        roles.add(ONCALL)
    if "maintenance" in owner_roles:
        roles.add(MAINTAINER)
    return Viewer(actor, True, frozenset(roles), mine)


def roles_for(config: Config, email: str) -> Viewer:
    """The roles of a signed-in e-mail address from the owners it appears under."""
    mine = {
        owner_id
        for owner_id, owner in config.owners.items()
        if email and email.lower() in (e.lower() for e in owner.email)
    }
    viewer = roles_of(config, email or "anonymous", mine)
    return Viewer(viewer.actor, bool(email), viewer.roles, viewer.owner_ids)


def is_loopback(address: str) -> bool:
    """Whether `address` is this machine only: the dashboard and the API serve anywhere else
    only with sign-in or tokens."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False
