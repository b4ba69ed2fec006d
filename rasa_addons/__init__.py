"""Components that run inside the Rasa server (.venv-rasa), not in the action server."""
