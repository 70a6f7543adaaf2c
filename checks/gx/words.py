"""GX's own words for an expectation ("email values must be unique.") and GX's own check of
an expectation's argument values, both without running anything."""

from __future__ import annotations

import re
from typing import Any

from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from checks.suite_result import condense


def description(config: ExpectationConfiguration) -> str | None:
    """GX's own rendered description of an expectation with its arguments ("email values must
    be unique.", "total values must be greater than or equal to 0.01 and less than or equal to
    100000."), or None when GX cannot render it."""
    try:
        expectation = config.to_domain_obj()
        expectation.render()
        rendered: dict[str, Any] = dict(
            (expectation.rendered_content or [])[0].value.to_json_dict()
        )
    except Exception:  # words are a convenience: never let them break the run
        return None
    params = {name: p.get("value") for name, p in (rendered.get("params") or {}).items()}

    def value(match: re.Match[str]) -> str:
        found = params.get(match.group(1))
        if isinstance(found, float) and found.is_integer():
            found = int(found)
        return match.group(0) if found is None else str(found)

    template = rendered.get("template")
    return re.sub(r"\$(\w+)", value, template) if isinstance(template, str) else None


def validate_expectation_document(item: dict[str, Any]) -> list[str]:
    """Problems GX's model finds building one expectation that checks.suite_file accepted
    (the argument values: types, ranges)."""
    from great_expectations.exceptions.exceptions import GreatExpectationsError
    from pydantic.v1 import ValidationError

    type_name = item.get("type")
    fields = {k: v for k, v in item.items() if k != "id"}
    try:
        ExpectationConfiguration(**fields).to_domain_obj()
    except ValidationError as exc:
        return _plain_errors([dict(e) for e in exc.errors()])
    except GreatExpectationsError as exc:
        text = str(exc)
        if text.endswith(" not found"):
            return [f"type: GX has no expectation named {type_name!r}"]
        return [condense(text)]
    except (TypeError, ValueError) as exc:
        return [condense(str(exc))]
    return []


def _plain_errors(errors: list[dict[str, Any]]) -> list[str]:
    """pydantic's errors as "field: message", one line per field, union noise dropped."""
    by_field: dict[str, list[str]] = {}
    for error in errors:
        loc = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
        message = str(error.get("msg", "invalid"))
        # GX accepts {"$PARAMETER": ...} in most fields: "not a valid dict" is that alternative.
        if error.get("type") == "type_error.dict" and any(
            ".".join(str(p) for p in e.get("loc", ())) == loc and e is not error for e in errors
        ):
            continue
        if message == "extra fields not permitted":
            message = "not an argument of this expectation"
        found = by_field.setdefault(loc, [])
        if message not in found:
            found.append(message)
    return [f"{loc}: {' or '.join(ms)}" if loc else " or ".join(ms) for loc, ms in by_field.items()]
