"""Paper section 2.1, the textual MKG: corpus, phrase and POI mining, relation extraction, NER, inference,
completion, and the stage runner that applies them in a build."""
