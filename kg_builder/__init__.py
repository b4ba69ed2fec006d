"""kg_builder: builds the multi-modal product knowledge graph (MKG) in Neo4j from catalog files."""

__version__ = "0.1.0"
