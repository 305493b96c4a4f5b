"""Experiments, one module per paper item; each module registers itself on import."""
