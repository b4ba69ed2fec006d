"""Custom actions (actions.py) and the plain-Python shopping services they call."""
