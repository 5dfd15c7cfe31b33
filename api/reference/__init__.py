"""The human reference at /__docs__/ and the /errors pages, generated from the OpenAPI document and the registries."""

from simulacra.api.reference.pages import Reference, build_reference

__all__ = ["Reference", "build_reference"]
