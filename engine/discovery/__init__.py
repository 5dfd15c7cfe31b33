"""Structure discovery: a causal graph from the cleaned table (causal-learn), oriented to a DAG under
the user's hints, with each edge's bootstrap stability."""

from simulacra.engine.discovery.discover import DEFAULT, Choices, discover_graph

__all__ = ["DEFAULT", "Choices", "discover_graph"]
