"""Request and response bodies (pydantic v2). Unknown request fields are refused."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Json, field_validator

from simulacra.api.errors import JOB_FAILURE_CODES
from simulacra.workflows.contracts import MAX_RETENTION_HOURS

Strict = ConfigDict(extra="forbid")


def json_number(value: Any) -> Any:
    """JSON's `true` and "5" are not numbers (pydantic's lax mode would take them as 1 and 5); 26.0 is an integer to
    JSON Schema, so lax conversion stays for real numbers. Used as a before-validator on JSON bodies' number fields
    (multipart fields arrive as text and do not use it)."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON number")
    return value


def numbers_only(*fields: str) -> Any:
    return field_validator(*fields, mode="before")(lambda cls, value: json_number(value))


# The schema's ceiling, published in OpenAPI: SIMULACRA_MAX_GENERATION_ROWS's default (operators may set a lower cap).
MAX_ROWS = 100_000_000


class CredentialClaimRequest(BaseModel):
    model_config = Strict
    credential_claim_token: str = Field(min_length=1, max_length=512)


class CredentialClaimResponse(BaseModel):
    client_id: str
    client_secret: str
    token_url: str
    audience: str
    scopes: list[str]
    tenant: str


class TokenRequest(BaseModel):
    """OAuth2 client-credentials request (RFC 6749 §4.4), as a form or JSON; credentials may come by HTTP Basic."""

    grant_type: Literal["client_credentials"]
    client_id: str | None = None
    client_secret: str | None = None
    audience: str | None = Field(default=None, description="If given, must be this API's audience.")
    scope: str | None = Field(default=None, description="Space-separated subset of the client's scopes.")


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


class NumericRange(BaseModel):
    model_config = Strict
    min: float | None = None
    max: float | None = None
    _numbers = numbers_only("min", "max")


class Conditions(BaseModel):
    model_config = Strict
    categorical: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Column -> level -> share, for categorical, ordinal and boolean columns (levels as in the schema).",
    )
    numeric: dict[str, NumericRange] = Field(default_factory=dict)
    # Checked against the dataset's schema by engine.checks.conditions, which also says what is not supported yet.
    mode: Literal["intervene", "condition"] = "intervene"

    @field_validator("categorical", mode="before")
    @classmethod
    def _shares_are_numbers(cls, value: Any) -> Any:
        for levels in value.values() if isinstance(value, dict) else ():
            for share in levels.values() if isinstance(levels, dict) else ():
                json_number(share)
        return value


RetentionHours = Field(
    default=None,
    ge=1,
    le=MAX_RETENTION_HOURS,
    description=f"Hours until removal (default 24, at most {MAX_RETENTION_HOURS}).",
)


HINTS_DESCRIPTION = (
    'JSON object of background knowledge: {"tiers": [["segment", "region"], ["price"]], '
    '"forbidden": [{"from": "purchase_intent", "to": "price"}], "required": [["brand", "price"]]}. '
    "No edge may point from a later tier to an earlier one. Columns by raw header or cleaned name."
)


class UploadFields(BaseModel):
    """The multipart form fields sent beside `file`."""

    model_config = Strict
    retention_hours: int | None = RetentionHours
    causal_hints: Json[dict[str, Any]] | None = Field(default=None, description=HINTS_DESCRIPTION)


class UploadForm(BaseModel):
    """Documents the multipart body; the upload itself is streamed, never parsed into this model."""

    model_config = Strict
    file: bytes = Field(
        min_length=1,
        description="The seed table: CSV (any common dialect and encoding), Parquet, an Arrow IPC file, or SPSS "
        ".sav/.zsav (value labels become the levels, in code order for scales). Told apart by the file's first "
        "bytes, so any filename and part content type (text/csv, application/x-spss-sav, "
        "application/octet-stream, ...) is accepted.",
    )
    retention_hours: int = Field(
        default=24, ge=1, le=MAX_RETENTION_HOURS, description=f"Hours until removal (at most {MAX_RETENTION_HOURS})."
    )
    causal_hints: dict[str, Any] = Field(default_factory=dict, description=HINTS_DESCRIPTION)


class GraphEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    op: Literal["add", "remove", "reverse"]
    source: str = Field(alias="from", description="Cleaned column name (or raw header).")
    target: str = Field(alias="to", description="Cleaned column name (or raw header).")


class DatasetUpdate(BaseModel):
    model_config = Strict
    retention_hours: int = Field(
        ge=1,
        le=MAX_RETENTION_HOURS,
        description="The new retention, counted from the dataset's creation like the first one "
        f"(at most {MAX_RETENTION_HOURS}).",
    )
    _numbers = numbers_only("retention_hours")


class GraphEditRequest(BaseModel):
    model_config = Strict
    edits: list[GraphEdit] = Field(min_length=1, max_length=200, description="Applied in order.")
    model_version: int | None = Field(
        default=None, description="The version you edited (from GET .../graph); refused with 409 if no longer current."
    )
    _numbers = numbers_only("model_version")


class GenerationRequest(BaseModel):
    model_config = Strict
    row_count: int = Field(ge=1, le=MAX_ROWS, description="Rows to generate (operators may set a lower cap).")
    conditions: Conditions = Field(default_factory=Conditions)
    format: Literal["csv", "parquet", "arrow"] = Field(
        default="csv", description="csv, parquet, or arrow (an Arrow IPC file)."
    )
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    retention_hours: int | None = RetentionHours
    _numbers = numbers_only("row_count", "seed", "retention_hours")


TreatmentValue = float | str | bool


class Treatment(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    column: str = Field(description="Cleaned column name (from the schema) of the column to intervene on.")
    from_: TreatmentValue = Field(
        alias="from",
        description="The reference value (DoWhy's interventions_reference): a number for a numeric column, a level "
        "for a categorical or boolean one.",
    )
    to: TreatmentValue = Field(description="The alternative value (DoWhy's interventions_alternative), same kind.")


class EffectRequest(BaseModel):
    model_config = Strict
    treatment: Treatment
    outcome: str = Field(description="Cleaned column name of the outcome.")
    outcome_level: str | bool | None = Field(
        default=None,
        description="For a categorical or boolean outcome (required there): the effect is the change in this "
        "level's share. Omit for a numeric outcome (the effect is a change of its mean).",
    )
    segment_by: str | None = Field(
        default=None,
        description="A categorical or boolean column the treatment does not affect: adds the effect per level.",
    )
    samples: int = Field(
        default=20_000, ge=1000, le=200_000, description="Monte Carlo units simulated under each intervention."
    )
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, description="Makes the estimate reproducible.")
    confidence_level: float = Field(default=0.95, ge=0.5, le=0.999)
    interval_method: Literal["bootstrap_rediscover", "bootstrap_refit"] = Field(
        default="bootstrap_rediscover",
        description="bootstrap_rediscover (default): rediscover the graph on each bootstrap resample, so the "
        "interval spans the plausible graphs; falls back to bootstrap_refit, with a `note`, when the table is "
        "too big for the compute budget. bootstrap_refit: the cheap interval, the learned graph held fixed. "
        "The result's `method` says which ran.",
    )
    retention_hours: int | None = Field(
        default=None,
        ge=1,
        le=MAX_RETENTION_HOURS,
        description="Hours the result is kept (default 24), never past its dataset's.",
    )
    _numbers = numbers_only("samples", "seed", "confidence_level", "retention_hours")


class Accepted(BaseModel):
    job_id: str
    status: str


class DatasetAccepted(Accepted):
    dataset_id: str


class GenerationAccepted(Accepted):
    generation_id: str
    dataset_id: str


class EffectAccepted(Accepted):
    effect_id: str
    dataset_id: str


class RefitAccepted(Accepted):
    dataset_id: str
    model_version: int


class JobError(BaseModel):
    code: str = Field(
        description="Stable simio_* code: one a request could have been answered with (e.g. "
        "`simio_upload_invalid`), or one only a job fails with: " + ", ".join(f"`{c}`" for c in JOB_FAILURE_CODES)
    )
    message: str


class Job(BaseModel):
    job_id: str
    kind: Literal["dataset", "generation", "effect"]
    status: str
    stage: str
    progress: float
    created_at: str | None = None
    updated_at: str | None = None
    dataset_id: str
    generation_id: str | None = None
    effect_id: str | None = None
    error: JobError | None = None
    rows_requested: int | None = None
    rows_generated: int | None = None
    artifact_url: str | None = None
    artifact_expires_at: str | None = None
    poll_interval_seconds: float = 1.0
