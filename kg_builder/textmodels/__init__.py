"""Training code shared by the model families: the text model registry (small BERTs of named sizes), the BERT
pair classifier, MLM pre-training, metrics, batches without repeated entities and the in-batch contrastive loss."""
