"""Catalog input: the record format, file readers, whole-folder loading, harvest from ../shared/data, NLU lookups."""
