"""Cross-modal text-image matching (paper section 2.2.3): two-stream ViT + BERT, its variants, and losses."""
