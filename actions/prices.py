"""Prices as the shopper reads them, in the currency the catalog gives, whatever the language of the reply."""

from __future__ import annotations

from kg_builder.catalog.records import DEFAULT_CURRENCY

SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€"}


def format_price(price: float, currency: str | None) -> str:
    """'¥39', '$20', '€5', 'SEK 25' (no currency: the catalog's default, CNY)."""
    code = currency or DEFAULT_CURRENCY
    symbol = SYMBOLS.get(code)
    return f"{symbol}{price:g}" if symbol else f"{code} {price:g}"
