"""The action server's responses, validated with schema validators built once, each event against its own kind.

Rasa 3.6 checks every response of the action server with `jsonschema.validate(result, schema)`, which first checks
the schema itself against its meta-schema, on every call: under load that was about 45% of the Rasa server's CPU
(py-spy on `benchmarks/assistant_latency.py --mode closed_loop`, README: Speed). `install()` replaces
`RemoteAction._validate_action_result` with the same validation against the same schema, built once.

In that schema each event must match exactly one of 23 alternatives (`oneOf`), each of which fixes the event's name
(`"event": {"const": ...}`), so jsonschema tried all 23 on every event (still about 5% of the Rasa server's CPU,
py-spy, 2026-11-28). An event whose name one alternative fixes can match that one only, so it is checked against that
alternative alone; the result is the same. Whatever fails there, or does not fit that shape, is judged by the full
validator, which raises Rasa's `ValidationError` with its message: a malformed response is rejected as before."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.protocols import Validator
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


def _validator(schema: dict[str, Any]) -> Validator:
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@dataclass(frozen=True)
class ResponseValidators:
    """The full validator, and the pieces of the fast path: the response with each event checked only against the
    properties all events share, and per event name the validator of its alternative."""

    full: Validator
    outline: Validator | None = None
    per_event: dict[str, Validator] | None = None

    def is_valid(self, result: Any) -> bool:
        """As `full.is_valid(result)`, checking each event against its own alternative only."""
        if self.outline is None or self.per_event is None:
            return self.full.is_valid(result)
        if not self.outline.is_valid(result):
            return False
        for event in result.get("events") or ():
            event_validator = self.per_event.get(event.get("event"))
            if event_validator is None or not event_validator.is_valid(event):
                return False
        return True


def event_alternatives(schema: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """Per event name, its alternative in the schema's `oneOf` over events; None when the alternatives are not each
    fixed to a distinct event name (then the fast path would not be the same check)."""
    items = schema.get("properties", {}).get("events", {}).get("items", {})
    alternatives = items.get("oneOf")
    if items.get("type") != "object" or "event" not in items.get("required", ()) or not alternatives:
        return None
    names = [alternative.get("properties", {}).get("event", {}).get("const") for alternative in alternatives]
    if not all(isinstance(name, str) for name in names) or len(set(names)) != len(names):
        return None
    return dict(zip(names, alternatives, strict=True))


@functools.cache
def response_validators() -> ResponseValidators:
    """The validators of Rasa's action response schema (each schema checked once, here)."""
    schema = RemoteAction.action_response_format_spec()
    full = _validator(schema)
    alternatives = event_alternatives(schema)
    if alternatives is None:
        return ResponseValidators(full)
    shared = {key: value for key, value in schema["properties"]["events"]["items"].items() if key != "oneOf"}
    outline = {**schema, "properties": {**schema["properties"], "events": {"type": "array", "items": shared}}}
    return ResponseValidators(full, _validator(outline), {name: _validator(a) for name, a in alternatives.items()})


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the prebuilt validators."""
    checks = response_validators()
    if checks.is_valid(result):
        return True
    try:
        checks.full.validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


def install() -> None:
    """Use the prebuilt validators in every RemoteAction of this process."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
