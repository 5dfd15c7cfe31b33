"""The ids a path may carry, each declared once: its shape, and what answers when there is no such resource.

The router checks every path id against its pattern before the endpoint runs, so nothing malformed reaches
a Temporal workflow id, a visibility query or a storage key; OpenAPI publishes the same patterns. A malformed
id answers exactly what a missing one does: another tenant's ids must look like nonsense, and nonsense like
another tenant's ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulacra.api.errors import ApiError
from simulacra.api.examples import DS, EFF, GEN, WHE
from simulacra.workflows.contracts import DERIVED_ID_DIGITS

# workflows.contracts.derived_id: a prefix and the first hex digits of a SHA-256.
_DERIVED = f"[0-9a-f]{{{DERIVED_ID_DIGITS}}}"


@dataclass(frozen=True)
class PathId:
    name: str  # the path parameter
    pattern: str  # unanchored: the whole value must match
    not_found_code: str
    not_found_detail: str  # formatted with the id's repr
    example: str  # published in OpenAPI

    @property
    def anchored(self) -> str:
        """The pattern as JSON Schema wants it (a JSON Schema pattern matches anywhere in the value)."""
        return f"^{self.pattern}$"

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.pattern, value) is not None

    def not_found(self, value: str) -> ApiError:
        return ApiError(self.not_found_code, self.not_found_detail.format(value))


DATASET = PathId("dataset_id", f"ds_{_DERIVED}", "simio_dataset_not_found", "No dataset {!r}.", DS)
GENERATION = PathId("generation_id", f"gen_{_DERIVED}", "simio_generation_not_found", "No generation {!r}.", GEN)
EFFECT = PathId("effect_id", f"eff_{_DERIVED}", "simio_effect_not_found", "No effect {!r}.", EFF)
# A job is named after the resource it builds (workflows.contracts.job_id_for).
JOB = PathId("job_id", f"job_(ds|gen|eff)_{_DERIVED}", "simio_job_not_found", "No job {!r}.", f"job_{GEN}")
ROTATION = PathId(
    "rotation_id",
    f"rot_{_DERIVED}",
    "simio_rotation_request_not_found",
    "No rotation {!r}.",
    "rot_2b7e4c9d1a0f3e5b6c8d",
)
# infra.credentials and infra.signups draw these at random.
CLIENT = PathId(
    "client_id",
    "cl_[0-9a-f]{16}",
    "simio_client_not_found",
    "No live client {!r} in your tenant.",
    "cl_3f9a1b2c4d5e6f70",
)
SIGNUP = PathId(
    "request_id",
    "sgn_[0-9a-f]{32}",
    "simio_signup_not_found",
    "No signup request has this id.",
    "sgn_6c1d0f3a9b8e47d2a5c4b3e2f1a0d9c8",
)
# infra.webhook_store: derived from the creating request, like datasets.
WEBHOOK_ENDPOINT = PathId(
    "endpoint_id",
    f"whe_{_DERIVED}",
    "simio_webhook_endpoint_not_found",
    "No webhook endpoint {!r}.",
    WHE,
)
ERROR_CODE = PathId("code", "simio_[a-z_]{1,64}", "simio_not_found", "No error code {!r}.", "simio_dataset_not_found")

PATH_IDS: dict[str, PathId] = {
    path_id.name: path_id
    for path_id in (DATASET, GENERATION, EFFECT, JOB, ROTATION, CLIENT, SIGNUP, WEBHOOK_ENDPOINT, ERROR_CODE)
}


def seed_for(resource_id: str) -> int:
    """A job's default seed, from its id: a retried request (the same id) resumes the same work."""
    return int(resource_id.partition("_")[2], 16) % 2**31
