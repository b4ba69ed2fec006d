"""Event classes found by name from a table, not by walking every subclass of Event.

Rasa 3.6 turns each stored event back into an object with `Event.resolve_by_type(name)`, which lists every subclass
of `Event` (recursively, checking each for abstract methods) on every call: for a tracker of 40 events, 40 walks.
Under the closed-loop load that was about 4.5% of the Rasa server's CPU (py-spy, README: Speed). `install()` keeps
what the walk found for each name; a name it does not know yet (or a default) still goes to Rasa's own walk, so an
event class imported later is found as before."""

from __future__ import annotations

from rasa.shared.core.events import Event

_rasa_resolve_by_type = Event.resolve_by_type
_known: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Event.resolve_by_type, answered from the table when the name was resolved before."""
    found = _known.get(type_name)
    if found is not None:
        return found
    found = _rasa_resolve_by_type(type_name, default)
    if found is not None and found is not default:
        _known[type_name] = found
    return found


def install() -> None:
    """Resolve event names from the table in this process."""
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
