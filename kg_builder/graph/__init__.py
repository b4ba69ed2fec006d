"""The graph side of the builder: the ontology and schema, batched writes, predicted facts, statistics."""
