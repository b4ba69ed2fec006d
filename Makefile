# Two commands: `make run` (set up everything and chat in the terminal) and `make test` (every test suite).
SHELL := /bin/bash
APP := .venv-app/bin/python
ENV := source scripts/env.sh &&

.PHONY: run run-check test setup neo4j graph lookups train actions stores web restart stop status stats lint

# Servers that run already are left running (restarted only when their code or model changed; `make restart` always).
run: run-check train actions web  ## set up, build the demo MKG, train if needed, start the servers, open rasa shell
	scripts/shell.sh

run-check:  # a second `make run` while the first one's rasa shell is open says so and changes nothing
	@scripts/shell.sh check

test: train actions web  ## set up where needed, then ruff, pytest (incl. the widget in Chromium), rasa data validate, rasa test
	scripts/test.sh

setup:  ## apt packages, both virtual environments, Neo4j jars (each skipped when present)
	scripts/setup.sh

neo4j: setup  ## start Neo4j on 127.0.0.1 (or use NEO4J_URI)
	scripts/neo4j.sh start

SHARED_DATA ?= ../shared/data

graph: neo4j  ## build the demo MKG from data/catalog with every learned stage and the image links (idempotent; models are cached)
	scripts/graph.sh "$(SHARED_DATA)"

lookups: setup  ## regenerate Rasa lookup tables and synonyms from the catalog
	$(ENV) $(APP) -m kg_builder lookups --source data/catalog

train: lookups  ## train the Rasa model when its inputs changed
	scripts/train.sh

actions: graph  ## start the action server (a running one is restarted only when actions/ or kg_builder/ changed)
	scripts/actions.sh start

stores: setup  ## PostgreSQL (conversations) and Redis (conversation locks) on 127.0.0.1, or yours (scripts/env.sh)
	scripts/stores.sh start

web: train actions stores  ## start the Rasa server (socket.io + REST) and the chat page on http://127.0.0.1:8080/ (same rule)
	scripts/web.sh start

restart: train graph stores  ## stop and start the action server, the Rasa server and the chat page
	scripts/actions.sh restart
	scripts/web.sh restart

stats:  ## node and relationship counts of the graph
	$(ENV) $(APP) -m kg_builder stats

status:
	-scripts/neo4j.sh status
	-scripts/actions.sh status
	-scripts/web.sh status
	-scripts/stores.sh status

stop:  ## stop what the project started (by pid file)
	scripts/web.sh stop
	scripts/actions.sh stop
	scripts/neo4j.sh stop
	NEO4J_INSTANCE=test scripts/neo4j.sh stop
	scripts/stores.sh stop

lint:
	.venv-app/bin/ruff check . && .venv-app/bin/ruff format --check .
