"""Cleaning: read an upload (CSV, Parquet, Arrow IPC, SPSS), type and name its columns, drop and
collapse what cannot be modelled, and record every step in the schema."""

from simulacra.engine.cleaning.clean import clean_table

__all__ = ["clean_table"]
