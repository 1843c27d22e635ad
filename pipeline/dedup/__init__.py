"""Deduplication at Beam scale: signatures -> groups -> verdicts; components; decontamination."""
