"""Plain-Python keep/drop decisions over schema objects, and dedup signatures (no Beam)."""
