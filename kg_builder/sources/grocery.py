"""Packaged grocery products (Grocery Store dataset): name, class, description and web-shop facts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kg_builder.sources.datasets import GROCERY_ICONIC

_MANUFACTURER = re.compile(r"^Manufacturer and volume:\s*(?P<brand>[^,]+?)\s*,\s*(?P<volume>.+?)\s*$", re.M)
_COUNTRY = re.compile(r"^Manufacturing country:\s*(?P<country>.+?)\s*$", re.M)


@dataclass(frozen=True)
class GroceryProduct:
    """One packaged product and the facts its description file states."""

    name: str
    coarse_class: str
    description: str
    brand: str | None
    volume: str | None
    country: str | None
    path: Path


def read_grocery_products(root: Path) -> Iterator[GroceryProduct]:
    """Yield every product under `iconic-images-and-descriptions/Packages/<class>/<product>/`."""
    for folder in sorted((root / GROCERY_ICONIC / "Packages").glob("*/*")):
        files = sorted(folder.glob("*_Description.txt"))
        if not files:
            continue
        text = files[0].read_text(encoding="utf-8", errors="replace")
        maker, country = _MANUFACTURER.search(text), _COUNTRY.search(text)
        yield GroceryProduct(
            name=folder.name.replace("-", " "),
            coarse_class=folder.parent.name.replace("-", " "),
            description=text.split("\n", 1)[0].strip(),
            brand=maker["brand"].strip().title() if maker else None,
            volume=maker["volume"] if maker else None,
            country=country["country"] if country else None,
            path=files[0],
        )
