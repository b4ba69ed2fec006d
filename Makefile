# Two commands: `make run` (set up everything and chat in the terminal) and `make test` (every test suite).
SHELL := /bin/bash
APP := .venv-app/bin/python
ENV := source scripts/env.sh &&

.PHONY: run test setup neo4j graph lookups train actions web stop status stats lint

run: train actions web  ## set up, build the demo MKG, train if needed, start the servers and the chat page, open rasa shell
	$(ENV) .venv-rasa/bin/rasa shell --model models/current.tar.gz --endpoints endpoints.yml --interface 127.0.0.1 --port 5006

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

actions: graph  ## (re)start the action server
	scripts/actions.sh restart

web: train actions  ## (re)start the Rasa server (socket.io + REST) and the chat page on http://127.0.0.1:8080/
	scripts/web.sh restart

stats:  ## node and relationship counts of the graph
	$(ENV) $(APP) -m kg_builder stats

status:
	-scripts/neo4j.sh status
	-scripts/actions.sh status
	-scripts/web.sh status

stop:  ## stop what the project started (by pid file)
	scripts/web.sh stop
	scripts/actions.sh stop
	scripts/neo4j.sh stop
	NEO4J_INSTANCE=test scripts/neo4j.sh stop

lint:
	.venv-app/bin/ruff check . && .venv-app/bin/ruff format --check .
