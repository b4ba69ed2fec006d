"""Components that run inside the Rasa server (.venv-rasa), not in the action server.

Importing the package (Rasa does when it loads any of its components or channels) installs the prebuilt validator
of action server responses (action_validation.py)."""

from rasa_addons.action_validation import install

install()
