"""Readers for the public e-commerce datasets in ../shared/data (each keeps file and line of every record)."""
