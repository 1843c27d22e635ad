"""Evaluation: few-shot prompts, RICES retrieval, scoring."""
