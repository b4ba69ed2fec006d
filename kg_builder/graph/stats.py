"""Counts per node label and per relationship type, like section 2.4 of the AliMe MKG paper."""

from __future__ import annotations

from dataclasses import dataclass, field

from neo4j import Driver

from kg_builder.graph.ontology import (
    BRAND,
    HAS_POI,
    IN_CATEGORY,
    NODE_LABELS,
    OF_BRAND,
    POI,
    PREFERS,
    RELATIONSHIP_TYPES,
    SATISFY,
)

# What the learned stages and completion write, marked `predicted: true` (the paper's dotted links).
PREDICTED_NODE_LABELS = (POI, BRAND)
PREDICTED_RELATIONSHIP_TYPES = (SATISFY, HAS_POI, PREFERS, IN_CATEGORY, OF_BRAND)


@dataclass(frozen=True)
class GraphStats:
    """How many nodes of each label and relationships of each type the graph holds."""

    nodes: dict[str, int]
    relationships: dict[str, int]
    predicted_nodes: dict[str, int] = field(default_factory=dict)
    predicted_relationships: dict[str, int] = field(default_factory=dict)

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_relationships(self) -> int:
        return sum(self.relationships.values())

    def as_table(self) -> str:
        """A plain-text table for the terminal."""
        width = max(len(name) for name in (*self.nodes, *self.relationships)) + 2

        def row(name: str, count: int, predicted: int | None) -> str:
            return f"  {name}".ljust(width) + f"{count:>7}" + (f"{predicted:>11}" if predicted is not None else "")

        lines = ["nodes".ljust(width) + "  count  predicted"]
        lines += [row(label, count, self.predicted_nodes.get(label)) for label, count in self.nodes.items()]
        lines.append(row("(all)", self.total_nodes, sum(self.predicted_nodes.values())))
        lines.append("relationships".ljust(width) + "  count  predicted")
        lines += [row(r, count, self.predicted_relationships.get(r)) for r, count in self.relationships.items()]
        lines.append(row("(all)", self.total_relationships, sum(self.predicted_relationships.values())))
        return "\n".join(lines)


def database_id(driver: Driver, database: str = "neo4j") -> str:
    """The id Neo4j gave the database when it was created: it tells one database from another, whatever the URI."""
    return driver.execute_query("CALL db.info() YIELD id RETURN id", database_=database).records[0]["id"]


def graph_stats(driver: Driver, database: str = "neo4j") -> GraphStats:
    """Count the ontology's labels and relationship types, and how many of them are predicted."""
    nodes = {
        label: driver.execute_query(f"MATCH (n:{label}) RETURN count(n) AS c", database_=database).records[0]["c"]
        for label in NODE_LABELS
    }
    relationships = {
        rel: driver.execute_query(f"MATCH ()-[r:{rel}]->() RETURN count(r) AS c", database_=database).records[0]["c"]
        for rel in RELATIONSHIP_TYPES
    }
    predicted_nodes = {
        label: driver.execute_query(
            f"MATCH (n:{label}) WHERE n.predicted = true RETURN count(n) AS c", database_=database
        ).records[0]["c"]
        for label in PREDICTED_NODE_LABELS
    }
    predicted_relationships = {
        rel: driver.execute_query(
            f"MATCH ()-[r:{rel}]->() WHERE r.predicted = true RETURN count(r) AS c", database_=database
        ).records[0]["c"]
        for rel in PREDICTED_RELATIONSHIP_TYPES
    }
    return GraphStats(nodes, relationships, predicted_nodes, predicted_relationships)
