"""Fixtures shared by the unit tests: the demo catalog in the in-memory store, and the assistant over it."""

from __future__ import annotations

import pytest

from actions.assistant import ShoppingAssistant
from actions.memory_store import InMemoryGraphStore


@pytest.fixture(scope="module")
def demo_store() -> InMemoryGraphStore:
    """The demo catalog's files, as the in-memory store reads them."""
    return InMemoryGraphStore.from_catalog()


@pytest.fixture(scope="module")
def demo(demo_store: InMemoryGraphStore) -> ShoppingAssistant:
    """The assistant over the demo catalog (no encoder: search by words and the graph)."""
    return ShoppingAssistant(demo_store)


@pytest.fixture(scope="module")
def store(demo_store: InMemoryGraphStore) -> InMemoryGraphStore:
    """The store a test module reads (a module may define its own)."""
    return demo_store


@pytest.fixture(scope="module")
def assistant(demo: ShoppingAssistant) -> ShoppingAssistant:
    """The assistant a test module talks to (a module may define its own)."""
    return demo
