"""The action server's responses, validated with a schema validator built once.

Rasa 3.6 checks every response of the action server with `jsonschema.validate(result, schema)`, which first checks
the schema itself against its meta-schema, on every call: under load that was about 45% of the Rasa server's CPU
(py-spy on `benchmarks/assistant_latency.py --mode closed_loop`, README: Speed). `install()` replaces
`RemoteAction._validate_action_result` with the same validation against the same schema, whose validator is
built once: a malformed response is still rejected with the same `ValidationError` and message."""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.protocols import Validator
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.cache
def response_validator() -> Validator:
    """A validator of Rasa's action response schema (the schema is checked once, here)."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the prebuilt validator."""
    try:
        response_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


def install() -> None:
    """Use the prebuilt validator in every RemoteAction of this process."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
