"""A registry of one model family, timm-style: each model is created by name, and a name is written only here
and in the module that registers it (callers use its constants or the registry's listing)."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any, Generic, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class UnknownModelError(ValueError):
    """A name that is not registered; the message lists the names that are."""


class Registry(Generic[T]):
    """Named factories of one family: `register` / `add` them, then `list_models`, `is_model`, `create_model`."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._factories: dict[str, Callable[..., T]] = {}

    def add(self, name: str, factory: Callable[..., T]) -> None:
        """Register `factory` (a class or a function returning a model) under `name`; names are unique."""
        if name in self._factories:
            raise ValueError(f"{self.family} '{name}' is registered twice")
        self._factories[name] = factory

    def register(self, name: str) -> Callable[[F], F]:
        """Decorator form of `add`, for a class or a factory function; returns it unchanged."""

        def decorate(factory: F) -> F:
            self.add(name, factory)
            return factory

        return decorate

    def list_models(self, pattern: str = "*") -> list[str]:
        """The registered names matching a shell-style `pattern` (e.g. "*-tiny"), sorted."""
        return sorted(name for name in self._factories if fnmatchcase(name, pattern))

    def is_model(self, name: str) -> bool:
        return name in self._factories

    def create_model(self, name: str, **kwargs: Any) -> T:
        """The model registered as `name`, built with `kwargs`; an unknown name raises UnknownModelError."""
        if name not in self._factories:
            raise UnknownModelError(f"unknown model '{name}': the {self.family} models are {self.list_models()}")
        return self._factories[name](**kwargs)
