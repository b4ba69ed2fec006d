"""What one turn of the assistant says and what the conversation should remember (no Rasa types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """What one turn says and what the conversation should remember."""

    text: str
    images: list[str] = field(default_factory=list)
    listed_items: list[str] | None = None  # None: leave the slot as it is
    item_in_focus: str | None = None
    payload: dict[str, Any] | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    needs: dict[str, list[str]] | None = None  # the scenarios / problems / POIs the conversation is about
    carousel: list[dict[str, Any]] = field(default_factory=list)  # numbered item cards for the chat widget
    prompt: str = ""  # the line that carries the buttons when media come between
    video: str | None = None  # URL of an MP4
    property_in_focus: str | None = None  # the property last answered, "" to forget it
    search_state: dict[str, Any] | None = None  # the search behind the list shown (actions/listing.py), {} to forget
