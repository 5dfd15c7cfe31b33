"""One example per documented body, shown in /openapi.json; a test validates each against its model."""

from __future__ import annotations

from typing import Any

DS, GEN = "ds_5f1c0a9e3b7d42a8c611", "gen_0b9e7c5d1a3f48e2b907"
JOB = {
    "job_id": f"job_{GEN}",
    "kind": "generation",
    "status": "ready",
    "stage": "ready",
    "progress": 1.0,
    "created_at": "2026-11-28T10:00:00+00:00",
    "updated_at": "2026-11-28T10:00:01+00:00",
    "dataset_id": DS,
    "generation_id": GEN,
    "error": None,
    "rows_requested": 2000,
    "rows_generated": 2000,
    "artifact_url": f"https://api.example.com/v1/generations/{GEN}/artifact?expires=1764324900&signature=9f2c",
    "artifact_expires_at": "2026-11-28T10:15:01+00:00",
    "poll_interval_seconds": 0.0,
}
DATASET = {
    "dataset_id": DS,
    "job_id": f"job_{DS}",
    "status": "ready",
    "stage": "ready",
    "filename": "tracker_q3.csv",
    "size_bytes": 682981,
    "row_count": 5000,
    "column_count": 8,
    "created_at": "2026-11-28T09:59:00+00:00",
    "ready_at": "2026-11-28T09:59:02+00:00",
    "expires_at": "2026-11-29T09:59:00+00:00",
    "retention_hours": 24,
    "error": None,
    "model_version": 1,
    "refit_error": None,
}
CONDITIONS = {"categorical": {"segment": {"genz_switcher": 0.3}}, "numeric": {"price": {"min": 5.49, "max": 5.49}}}

EXAMPLES: dict[str, dict[str, Any]] = {
    "CredentialClaimRequest": {"credential_claim_token": "sct_Jq3v0mE4h2b8KxW1"},
    "CredentialClaimResponse": {
        "client_id": "cl_3f9a1b2c4d5e6f70",
        "client_secret": "scs_shown-once",
        "tenant": "acme",
        "token_url": "https://api.example.com/oauth/token",
        "audience": "https://api.simulacra.local",
        "scopes": ["datasets:write", "datasets:read", "generations:write", "generations:read"],
    },
    "TokenRequest": {
        "grant_type": "client_credentials",
        "client_id": "cl_3f9a1b2c4d5e6f70",
        "client_secret": "scs_shown-once",
        "audience": "https://api.simulacra.local",
    },
    "TokenResponse": {
        "access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9.eyJ...",
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "datasets:write datasets:read generations:write generations:read",
    },
    "UploadForm": {
        "file": "Segment,Region,Price\ngenz_switcher,north,5.49\n",
        "retention_hours": 24,
        "causal_hints": {"tiers": [["Segment", "Region"], ["Price"]]},
    },
    "DatasetAccepted": {"dataset_id": DS, "job_id": f"job_{DS}", "status": "queued"},
    "Dataset": DATASET,
    "DatasetPage": {"data": [DATASET], "next_cursor": None},
    "GenerationRequest": {"row_count": 2000, "conditions": CONDITIONS, "format": "csv", "seed": 11},
    "GenerationAccepted": {"generation_id": GEN, "dataset_id": DS, "job_id": f"job_{GEN}", "status": "queued"},
    "GraphEditRequest": {"edits": [{"op": "reverse", "from": "satisfaction", "to": "price"}], "model_version": 1},
    "RefitAccepted": {"dataset_id": DS, "job_id": f"job_{DS}", "status": "ready", "model_version": 2},
    "Job": JOB,
    "JobPage": {"data": [JOB], "next_cursor": "Cg0KC2dlbl8wYjllN2M1"},
    "Generation": {
        **JOB,
        "format": "csv",
        "seed": 11,
        "conditions": CONDITIONS,
        "model_version": 1,
        "expires_at": "2026-11-29T10:00:00+00:00",
        "report": None,
    },
    "DatasetSchema": {
        "dataset_id": DS,
        "row_count": 5000,
        "columns": [
            {
                "name": "segment",
                "source_name": "Segment",
                "type": "categorical",
                "missing_share": 0.0,
                "levels": [{"value": "value_seeker", "share": 0.35}, {"value": "genz_switcher", "share": 0.15}],
            },
            {
                "name": "price",
                "source_name": "Price",
                "type": "numeric",
                "missing_share": 0.0,
                "min": 3.49,
                "max": 6.99,
                "mean": 4.87,
                "quantiles": {"p05": 3.99, "p50": 4.89, "p95": 5.99},
                "decimals": 2,
            },
        ],
        "dropped": [{"source_name": "Respondent ID", "name": "respondent_id", "reason": "id_like"}],
        "renamed": {"Segment": "segment", "Price": "price", "Respondent ID": "respondent_id"},
        "collapsed_levels": {},
    },
    "DatasetGraph": {
        "dataset_id": DS,
        "model_version": 1,
        "algorithm": "pc",
        "nodes": [{"name": "price", "parents": ["brand", "region"], "mechanism": "additive_noise(linear)", "r2": 0.70}],
        "edges": [{"from": "price", "to": "purchase_intent", "stability": 1.0}],
        "hints_applied": None,
        "oriented_by_prior": [["segment", "brand"]],
        "warnings": [],
    },
    "Usage": {
        "tenant": "acme",
        "period": "2026-11",
        "rows_per_period": 20000,
        "rows_generated": 2000,
        "rows_reserved": 0,
        "rows_remaining": 18000,
        "free_rows_per_period": 20000,
        "free_rows_remaining": 18000,
        "periods": [{"period": "2026-11", "rows_generated": 2000}],
    },
    "Health": {"status": "ok"},
    "Readiness": {"status": "ready", "checks": {"temporal": "ok", "storage": "ok"}},
    "Jwks": {
        "keys": [{"kty": "RSA", "kid": "3f9a1b2c4d5e6f70", "use": "sig", "alg": "RS256", "n": "...", "e": "AQAB"}]
    },
    "OpenIdConfiguration": {
        "issuer": "https://api.example.com/",
        "token_endpoint": "https://api.example.com/oauth/token",
        "jwks_uri": "https://api.example.com/.well-known/jwks.json",
    },
}
