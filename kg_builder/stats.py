"""Counts per node label and per relationship type, like section 2.4 of the AliMe MKG paper."""

from __future__ import annotations

from dataclasses import dataclass

from kg_builder.ontology import NODE_LABELS, RELATIONSHIP_TYPES
from neo4j import Driver


@dataclass(frozen=True)
class GraphStats:
    """How many nodes of each label and relationships of each type the graph holds."""

    nodes: dict[str, int]
    relationships: dict[str, int]

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_relationships(self) -> int:
        return sum(self.relationships.values())

    def as_table(self) -> str:
        """A plain-text table for the terminal."""
        width = max(len(name) for name in (*self.nodes, *self.relationships)) + 2
        lines = ["nodes".ljust(width) + "count"]
        lines += [f"  {label}".ljust(width) + f"{count:>7}" for label, count in self.nodes.items()]
        lines.append("  (all)".ljust(width) + f"{self.total_nodes:>7}")
        lines.append("relationships".ljust(width) + "count")
        lines += [f"  {rel}".ljust(width) + f"{count:>7}" for rel, count in self.relationships.items()]
        lines.append("  (all)".ljust(width) + f"{self.total_relationships:>7}")
        return "\n".join(lines)


def graph_stats(driver: Driver, database: str = "neo4j") -> GraphStats:
    """Count the ontology's labels and relationship types (count store lookups, fast at any size)."""
    nodes = {
        label: driver.execute_query(f"MATCH (n:{label}) RETURN count(n) AS c", database_=database).records[0]["c"]
        for label in NODE_LABELS
    }
    relationships = {
        rel: driver.execute_query(f"MATCH ()-[r:{rel}]->() RETURN count(r) AS c", database_=database).records[0]["c"]
        for rel in RELATIONSHIP_TYPES
    }
    return GraphStats(nodes=nodes, relationships=relationships)
