"""The `partner` of an external system: the company that runs it and how to reach it.

    systems:
      psp:
        external: true
        partner: {name: PayFast Ltd, email: support@payfast.example, phone: +49 30 1234567}

A system with `external: true` is run by someone else (a payment provider, a courier): when
its data is wrong, the owners need to know whom to call. The dashboard's map marks it and
alert messages about its integrations name the partner (docs/monitor-file.md#systems).
"""

from __future__ import annotations

from pydantic import field_validator, model_validator

from monitor.config.values import Model, OptionalText, check_email, printable_name


class Partner(Model):
    """Who runs an external system: a name and at least one way to reach them."""

    name: str
    email: OptionalText = None
    phone: OptionalText = None
    url: OptionalText = None  # a support portal or status page

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        shown = printable_name(name)
        if not shown:
            raise ValueError("give the partner's name as people know it, e.g. PayFast Ltd")
        return shown

    @field_validator("email")
    @classmethod
    def _check_email(cls, email: str | None) -> str | None:
        return None if email is None else check_email(email, "support@partner.example")

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str | None) -> str | None:
        from monitor.config.model import check_http_url  # model.py imports this module

        return None if url is None else check_http_url(url)

    @model_validator(mode="after")
    def _check_reachable(self) -> Partner:
        if not (self.email or self.phone or self.url):
            raise ValueError(
                f"no way to reach {self.name}: give at least one of email, phone or url"
            )
        return self

    def contact(self) -> str:
        """ "PayFast Ltd (support@payfast.example, +49 30 1234567)": the one wording of a
        partner, for the map and alert messages."""
        ways = [way for way in (self.email, self.phone, self.url) if way]
        return f"{self.name} ({', '.join(ways)})"


def check_partner(partner: Partner | None, external: bool | None) -> Partner | None:
    """A system's `partner` against its `external` (None when `external` was itself wrong):
    an external system needs a partner, and only an external one has one."""
    if external is None:
        return partner
    if external and partner is None:
        raise ValueError(
            "an external system needs its partner's contact: add partner: "
            "{name: …, email: …} (or phone, url)"
        )
    if not external and partner is not None:
        raise ValueError("'partner' is for a system run by an external partner: add external: true")
    return partner
