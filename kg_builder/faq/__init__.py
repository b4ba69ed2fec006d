"""DeepQA fallback: matching a customer question to the most similar FAQ."""
