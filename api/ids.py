"""What follows from a resource's id."""

from __future__ import annotations


def seed_for(resource_id: str) -> int:
    """A job's default seed, from its id: a retried request (the same id) resumes the same work."""
    return int(resource_id.partition("_")[2], 16) % 2**31
