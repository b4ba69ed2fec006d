"""Every regular expression the servers apply to text runs in time linear in it: each module-level pattern of the
modules the action server and rasa_addons import, and each function that applies one to a user's message, on
40,000 digits, 40,000 spaces and 1 MB of mixed text (the issue's quadratic ordinal patterns took 12 s and 21 s on
the first two; the look-ahead model-number pattern 20 s).

No timings are asserted: each call runs in a forked process that must finish within LIMIT_S, a bound far above
what a linear scan needs on a loaded machine (under half a second here) and far below what a quadratic one does.
A fork, not a thread: a regex search holds the GIL until it ends, so a thread could not be given up on."""

from __future__ import annotations

import ast
import importlib
import multiprocessing
import re
from collections.abc import Callable
from typing import Any

import pytest

from actions.comparison import quantity
from actions.constraints import ConstraintParser, price_bound
from actions.entity_linking import NEED_KINDS, EntityLinker
from actions.kbqa import PRICE_WORDS, is_follow_up
from actions.language import detect_language
from actions.memory_store import InMemoryGraphStore, tokens
from actions.ordinals import ordinal_index, ordinal_indices
from actions.pictures import about_focus, subject_text
from actions.retrieval import content_words, is_model_number, lucene_query
from kg_builder.faq.features import features
from tests.unit.test_light_imports import _first_party_imports, _module_file

LIMIT_S = 5.0
_UNIT = '口红 lipstick 12 第3 号 no. #2 number five what about "n25" rx-78 price 多少钱呢？\n<b>x</b> [a](b) -- '
HOSTILE = {
    "40k-digits": "1" * 40_000,
    "40k-spaces": " " * 40_000,
    "1MB-mixed": (_UNIT * (1_000_000 // len(_UNIT) + 1))[:1_000_000],
}
# jieba segments about 200,000 characters a second (linearly): the word functions built on it get the first
# 100,000 characters of the mixed text, 50 times what a turn passes them (longer messages never reach a step).
JIEBA_CHARS = 100_000
SERVER_ENTRY_POINTS = (
    "actions.actions",
    "actions.memory_store",  # the in-memory store of the tests and the offline chat
    "rasa_addons.apology_policy",
    "rasa_addons.message_limit",
    "rasa_addons.socketio_channel",
)
# Calls of `re` with a pattern built at run time in those modules: (module, function, the pattern's source).
DYNAMIC_PATTERNS = {  # a literal value term between fixed look-arounds: linear
    ("actions.constraints", "search", "f'(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])'"),
}


def server_modules() -> list[str]:
    """The first-party modules the servers import (from their sources' import statements) that use `re`."""
    modules = set().union(*(_first_party_imports(name) for name in SERVER_ENTRY_POINTS))
    return sorted(m for m in modules if (f := _module_file(m)) and re.search(r"^import re$", f.read_text(), re.M))


def module_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """(module.NAME, pattern) for every compiled pattern at module level of the servers' modules."""
    found = []
    for name in server_modules():
        module = importlib.import_module(name)
        found += [(f"{name}.{attr}", value) for attr, value in vars(module).items() if isinstance(value, re.Pattern)]
    return found


def finishes(call: Callable[[], Any]) -> bool:
    """True when the call returns without error within LIMIT_S (in a forked child, killed when late)."""
    child = multiprocessing.get_context("fork").Process(target=call, daemon=True)
    child.start()
    child.join(LIMIT_S)
    if child.is_alive():
        child.kill()
        child.join()
        return False
    return child.exitcode == 0


def scan(pattern: re.Pattern[str], text: str) -> None:
    pattern.findall(text)
    pattern.search(text)
    pattern.match(text)
    pattern.fullmatch(text)
    pattern.sub(" ", text)


PATTERNS = module_patterns()


def test_the_servers_modules_with_patterns_are_the_known_ones() -> None:
    """A new module with patterns joins the scan below by itself; this list only says what is scanned."""
    assert server_modules() == [
        "actions.assistant",
        "actions.comparison",
        "actions.constraints",
        "actions.entity_linking",
        "actions.kbqa",
        "actions.language",
        "actions.listing",
        "actions.memory_store",
        "actions.ordinals",
        "actions.pictures",
        "actions.retrieval",
        "kg_builder.catalog.records",
        "kg_builder.faq.features",
        "kg_builder.sources.customer_questions",
    ]
    assert len(PATTERNS) >= 15


def test_no_pattern_is_built_at_run_time_but_the_known_literal_ones() -> None:
    """Patterns built inside functions escape the module-level scan: each must be a known, linear one."""
    found = set()
    for name in server_modules():
        tree = ast.parse(_module_file(name).read_text(encoding="utf-8"))  # type: ignore[union-attr]
        for node in ast.walk(tree):
            is_re_call = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr not in ("compile", "escape")
            )
            if is_re_call and node.args:
                found.add((name, node.func.attr, ast.unparse(node.args[0])))
    assert found == DYNAMIC_PATTERNS


@pytest.mark.parametrize("text_name", HOSTILE)
@pytest.mark.parametrize(("pattern_name", "pattern"), PATTERNS, ids=[name for name, _ in PATTERNS])
def test_every_pattern_is_linear(pattern_name: str, pattern: re.Pattern[str], text_name: str) -> None:
    assert finishes(lambda: scan(pattern, HOSTILE[text_name])), f"{pattern_name} on {text_name}"


@pytest.fixture(scope="module")
def linkers() -> tuple[EntityLinker, EntityLinker, ConstraintParser]:
    """The product and the needs linkers of the demo catalog (about 800 names each), and its constraint parser."""
    store = InMemoryGraphStore.from_catalog()
    content_words("口红")  # jieba loads its dictionary once, in this process, not in every child
    products = EntityLinker.from_store(store)
    return products, EntityLinker.from_store(store, NEED_KINDS), ConstraintParser(products, store.value_names())


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "ordinal_index": lambda text, _: ordinal_index(text, 5),
    "is_follow_up": lambda text, _: is_follow_up(text),
    "price_words": lambda text, _: PRICE_WORDS.search(text),
    "detect_language": lambda text, _: detect_language(text),
    "memory_store.tokens": lambda text, _: tokens(text),
    "faq.features": lambda text, _: features(text),
    "is_model_number": lambda text, _: is_model_number(text),
    "mentions": lambda text, linkers: linkers[0].mentions(text),
    "need_mentions": lambda text, linkers: linkers[1].mentions(text),
    "content_words": lambda text, _: content_words(text[:JIEBA_CHARS]),
    "lucene_query": lambda text, _: lucene_query(text[:JIEBA_CHARS]),
    "pictures.subject_text": lambda text, _: subject_text(text),
    "pictures.about_focus": lambda text, _: about_focus(text),
    "constraints.parse": lambda text, linkers: linkers[2].parse(text),
    "constraints.price_bound": lambda text, _: price_bound(text),
    "ordinal_indices": lambda text, _: ordinal_indices(text, 5),
    "comparison.quantity": lambda text, _: quantity(text),
}


@pytest.mark.parametrize("text_name", HOSTILE)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_on_user_text_is_linear(
    function: str, text_name: str, linkers: tuple[EntityLinker, EntityLinker, ConstraintParser]
) -> None:
    assert finishes(lambda: FUNCTIONS[function](HOSTILE[text_name], linkers)), f"{function} on {text_name}"


def test_the_rewritten_model_number_test_keeps_its_meaning() -> None:
    assert all(is_model_number(word) for word in ("n25", "rx-78", "303a", "a-1"))
    assert not any(is_model_number(word) for word in ("", "-", "303", "abc", "a 1", "口红1", "A1", "a١"))
    assert finishes(lambda: scan(re.compile(r"\d{1,3}\s{0,3}号"), HOSTILE["40k-digits"]))
    assert not finishes(lambda: scan(re.compile(r"(?=.*\d)(?=.*[a-z])[a-z0-9\-]+"), " " * 100_000))  # the harness
