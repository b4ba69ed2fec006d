"""Components that run inside the Rasa server (.venv-rasa), not in the action server.

Importing the package (Rasa does when it loads any of its components or channels) installs the prebuilt validator
of action server responses (action_validation.py), the table of event classes (event_types.py) and the session
length limit (session_length.py)."""

from rasa_addons import action_validation, event_types, session_length

action_validation.install()
event_types.install()
session_length.install()
