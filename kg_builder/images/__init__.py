"""Image extraction: detail-page generation, cutting, filtering, quarantine."""
