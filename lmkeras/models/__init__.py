"""Model builders, one module per family (see each module)."""
