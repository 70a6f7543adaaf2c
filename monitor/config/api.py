"""The `api` section of the monitor file: the bearer tokens of the HTTP API (`dxq api`).

Each token has a name. A token named like an owner acts as that owner, with that owner's
roles (docs/monitor-file.md#api); any other name may read but not act."""

from __future__ import annotations

from pydantic import field_validator

from monitor.config.values import Model, printable_name

MIN_TOKEN_LENGTH = 16


class Api(Model):
    tokens: dict[str, str] = {}

    @field_validator("tokens")
    @classmethod
    def _check_tokens(cls, tokens: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for name, token in tokens.items():
            if printable_name(name) != name:
                raise ValueError(f"token name '{name}' must be a readable name without blanks")
            if not token.strip():
                raise ValueError(
                    f"the token '{name}' is empty: set the environment variable it names"
                )
            if len(token) < MIN_TOKEN_LENGTH:
                raise ValueError(
                    f"the token '{name}' is too short to be secret: use at least "
                    f"{MIN_TOKEN_LENGTH} random characters (e.g. `openssl rand -hex 24`)"
                )
            if token in seen:
                raise ValueError(f"the tokens '{seen[token]}' and '{name}' are the same secret")
            seen[token] = name
        return tokens
