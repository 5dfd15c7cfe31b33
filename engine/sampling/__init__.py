"""Sampling: rows drawn from a fitted model under interventions or observational conditions, with
their feasibility, post-processing to the cleaned schema's types, and privacy figures."""

from simulacra.engine.sampling.sample import generate_rows

__all__ = ["generate_rows"]
