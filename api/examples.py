"""One example per documented body, shown in /openapi.json; a test validates each against its model."""

from __future__ import annotations

from typing import Any

from simulacra.infra.scopes import DEFAULT_SCOPES

DS, GEN = "ds_5f1c0a9e3b7d42a8c611", "gen_0b9e7c5d1a3f48e2b907"
WHE = "whe_8c1f0e2d3b4a59687a6b"
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
    "artifact_url": f"https://api.example.com/v1/generations/{GEN}/artifact?expires=1764324900&signature=5e0f3c2a9b1d4e6f8a7c0b2d4f6e8a1c.9f2c41d7e0b3a58c6d2e9f1b7a4c0e3d5f8b2a6c9e1d4f7b0a3c5e8d2f6b9a1c",
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


def report_link(path: str) -> str:
    """A report_url as the API writes it: the signature seals the tenant (infra/sealed_links.py)."""
    return f"https://api.example.com{path}/report?expires=1764324900&signature=q3Vd0sLk9Zb2mH7xY1cT4nE8rW6uA5oJpQ0iG3fK2sD9vB7lN1eM4tR8yU6wC0xZ"


# Figures from examples/tracker_q3.csv (trimmed to a few nodes).
VALIDATION = {
    "model_version": 1,
    "held_out_fidelity": {
        "computed": True,
        "train_rows": 4000,
        "held_out_rows": 1000,
        "score": 0.9472,
        "column_shapes": 0.9594,
        "column_pair_trends": 0.9349,
        "reference": {"score": 0.9368, "column_shapes": 0.9508, "column_pair_trends": 0.9229},
        "worst_columns": [{"column": "price", "score": 0.94, "reference": 0.94}],
        "worst_pairs": [{"columns": ["brand", "price"], "score": 0.897, "reference": 0.902}],
    },
    "nodes": [
        {
            "name": "price",
            "parents": ["brand", "region"],
            "mechanism": "additive_noise(linear)",
            "metric": "r2",
            "held_out": 0.682,
            "baseline": 0.0,
            "in_sample": {"r2": 0.6971},
        },
        {
            "name": "brand",
            "parents": ["segment"],
            "mechanism": "classifier(logistic)",
            "metric": "log_likelihood",
            "held_out": -1.025,
            "baseline": -1.3607,
            "in_sample": {"accuracy": 0.643},
        },
    ],
    "falsification": {
        "verdict": "not falsified: the data reject 2 of the 21 independences the graph implies",
        "falsified": False,
        "test": "gsq",
        "alpha": 0.01,
        "rows_used": 5000,
        "tests": 21,
        "violated": 2,
        "violated_share": 0.0952,
        "violated_after_fdr": 2,
        "max_violated_share": 0.2,
        "violations": [
            {
                "column": "purchase_intent",
                "independent_of": "age_band",
                "given": ["segment", "brand", "price", "awareness", "satisfaction"],
                "p_value": 1.5e-11,
            }
        ],
        "permutations": {
            "run": 20,
            "p_value": 0.0476,
            "informative": True,
            "median_violated_share": 0.8571,
            "violated_shares": [0.8571, 0.7619, 0.9048, 0.8095, 0.8571, 0.9524, 0.8571, 0.7143, 0.8571, 0.9048]
            + [0.8095, 0.8571, 0.9048, 0.7619, 0.8571, 0.9048, 0.8095, 0.8571, 0.9524, 0.8571],
        },
        "note": "21 tests at alpha 0.01: about 0.2 rejections are expected by chance even for the true graph; "
        "2 of the 2 remain significant after Benjamini-Hochberg correction.",
    },
    "robustness": {
        "bootstrap_resamples": 10,
        "edge_stability": [
            {"from": "segment", "to": "brand", "stability": 1.0, "adjacency_stability": 1.0},
            {"from": "brand", "to": "price", "stability": 0.6, "adjacency_stability": 1.0},
        ],
        "contested_edges": [
            {
                "from": "brand",
                "to": "price",
                "doubt": "direction",
                "reason": "turned round in 40% of discovery's bootstrap subsamples",
                "stability": 0.6,
                "adjacency_stability": 1.0,
                "settle_with": [
                    {
                        "if": "brand comes before price (it is a cause of it)",
                        "causal_hints": {"required": [{"from": "brand", "to": "price"}]},
                    },
                    {
                        "if": "price comes before brand",
                        "causal_hints": {"required": [{"from": "price", "to": "brand"}]},
                    },
                ],
            }
        ],
        "note": None,
    },
    "warnings": [],
    "seconds": 1.6,
}
EFF = "eff_7d2e9a0c4b1f53e8a6d2"
EFFECT_REQUEST = {
    "treatment": {"column": "price", "from": 4.99, "to": 5.49},
    "outcome": "purchase_intent",
    "segment_by": "segment",
    "seed": 11,
    "samples": 20000,
    "confidence_level": 0.95,
    "interval_method": "bootstrap_rediscover",
}
ARM_SUPPORT = {"in_seed_range": True, "level": "good"}
SUPPORT = {
    "in_support": True,
    "level": "good",
    "share_of_seed_rows_at_or_near": 0.1128,
    "near_window": 0.175,
    "from": {"value": 4.99, "share_of_seed_rows_at_or_near": 0.132, **ARM_SUPPORT},
    "to": {"value": 5.49, "share_of_seed_rows_at_or_near": 0.1128, **ARM_SUPPORT},
}
# Measured on examples/tracker_q3.csv (true effect -6.23: examples/make_tracker.py sampled under do()).
EFFECT = {
    **{key: JOB[key] for key in ("status", "stage", "progress", "created_at", "updated_at", "dataset_id", "error")},
    "job_id": f"job_{EFF}",
    "kind": "effect",
    "effect_id": EFF,
    "poll_interval_seconds": 0.0,
    **EFFECT_REQUEST,
    "outcome_level": None,
    "model_version": 1,
    "expires_at": "2026-11-29T10:00:00+00:00",
    "estimand": "E[outcome | do(treatment = to)] - E[outcome | do(treatment = from)]",
    "estimate": -6.25995,
    "ci_low": -6.591011,
    "ci_high": -5.928889,
    "method": "bootstrap_rediscover",
    "resamples": 20,
    "interval_covers": "Uncertainty about the graph and the fit together: on each bootstrap resample of the seed rows "
    "the graph was discovered again (with the dataset's hints and edits), the mechanisms the outcome depends on "
    "refitted on it and the effect recomputed; ...",
    "arms": {"from": {"value": 4.99, "mean": 43.7799}, "to": {"value": 5.49, "mean": 37.51995}},
    "support": SUPPORT,
    "segments": [
        {
            "level": "genz_switcher",
            "estimate": -6.279986,
            "ci_low": -6.619779,
            "ci_high": -5.940194,
            "units": 2918,
            "support": {
                **SUPPORT,
                "share_of_seed_rows_at_or_near": 0.15102,
                "from": {"value": 4.99, "share_of_seed_rows_at_or_near": 0.163265, **ARM_SUPPORT},
                "to": {"value": 5.49, "share_of_seed_rows_at_or_near": 0.15102, **ARM_SUPPORT},
            },
        }
    ],
    "graph_path": [["price", "purchase_intent"], ["price", "satisfaction", "purchase_intent"]],
    "structure": {
        "resamples": 20,
        "rows_per_resample": 5000,
        "resamples_with_path": 20,
        "paths": [
            {"path": ["price", "purchase_intent"], "resamples": 20},
            {"path": ["price", "satisfaction", "purchase_intent"], "resamples": 14},
        ],
        "contested_edges": [
            {
                "from": "satisfaction",
                "to": "purchase_intent",
                "in_model": True,
                "present_share": 0.7,
                "reversed_share": 0.3,
                "absent_share": 0.0,
                "effect_with": -6.2859,
                "effect_reversed": -6.2555,
                "effect_without": None,
            }
        ],
        "effect_low": -6.4878,
        "effect_high": -5.9028,
        "effect_median": -6.1741,
    },
    "effect_range": None,
    "note": None,
    "warnings": [],
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
        "scopes": [scope.value for scope in DEFAULT_SCOPES],
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
        "scope": " ".join(DEFAULT_SCOPES),
    },
    "UploadForm": {
        "file": "Segment,Region,Price\ngenz_switcher,north,5.49\n",
        "retention_hours": 24,
        "causal_hints": {"tiers": [["Segment", "Region"], ["Price"]]},
    },
    "DatasetAccepted": {"dataset_id": DS, "job_id": f"job_{DS}", "status": "queued"},
    "Dataset": {**DATASET, "validation": VALIDATION, "report_url": report_link(f"/v1/datasets/{DS}")},
    "DatasetPage": {"data": [{**DATASET, "validation": None, "report_url": None}], "next_cursor": None},
    "GenerationRequest": {"row_count": 2000, "conditions": CONDITIONS, "format": "csv", "seed": 11},
    "GenerationAccepted": {"generation_id": GEN, "dataset_id": DS, "job_id": f"job_{GEN}", "status": "queued"},
    "EffectRequest": EFFECT_REQUEST,
    "EffectAccepted": {"effect_id": EFF, "dataset_id": DS, "job_id": f"job_{EFF}", "status": "queued"},
    "Effect": {**EFFECT, "report_url": report_link(f"/v1/effects/{EFF}")},
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
        "report_url": report_link(f"/v1/generations/{GEN}"),
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
    "DatasetUpdate": {"retention_hours": 72},
    "SignupRequest": {"company": "Acme Research", "contact_email": "data@acme.example", "contact_name": "Ada"},
    "SignupStatus": {
        "request_id": "sgn_6c1d0f3a9b8e47d2a5c4b3e2f1a0d9c8",
        "status": "approved",
        "company": "Acme Research",
        "created_at": "2026-11-28T09:00:00+00:00",
        "decided_at": "2026-11-28T09:30:00+00:00",
        "tenant": "acme-research",
        "credential_claim_token": "sct_Jq3v0mE4h2b8KxW1",
        "claim_expires_at": "2026-12-01T09:30:00+00:00",
        "reason": None,
        "status_url": "https://api.example.com/v1/signup/sgn_6c1d0f3a9b8e47d2a5c4b3e2f1a0d9c8",
    },
    "RotationRequest": {},
    "CredentialRotation": {
        "rotation_id": "rot_2b7e4c9d1a0f3e5b6c8d",
        "client_id": "cl_3f9a1b2c4d5e6f70",
        "status": "pending",
        "created_at": "2026-11-28T10:00:00+00:00",
        "expires_at": "2026-12-01T10:00:00+00:00",
        "credential_claim_token": "sct_Vb7wQ2rT9yU4iO1p",
        "previous_secret_overlap_seconds": 3600,
    },
    "AuditPage": {
        "data": [
            {
                "at": "2026-11-28T10:05:00+00:00",
                "actor": "client:cl_3f9a1b2c4d5e6f70",
                "tenant": "acme",
                "action": "credentials_rotated",
                "outcome": "ok",
                "request_id": "req_8d2f0c4b6a1e",
                "detail": {"client_id": "cl_3f9a1b2c4d5e6f70"},
            }
        ],
        "next_cursor": None,
    },
    "WebhookEndpointCreate": {
        "url": "https://hooks.acme.example/simulacra",
        "event_types": ["job.succeeded", "job.failed", "job.partial"],
        "description": "pipeline trigger",
    },
    "WebhookEndpoint": {
        "endpoint_id": WHE,
        "url": "https://hooks.acme.example/simulacra",
        "event_types": ["job.succeeded", "job.failed", "job.partial"],
        "description": "pipeline trigger",
        "created_at": "2026-11-30T09:00:00+00:00",
        "deliveries_url": f"/v1/webhook-endpoints/{WHE}/deliveries",
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+2DaOqHdf3w=",
    },
    "WebhookEndpointPage": {
        "data": [
            {
                "endpoint_id": WHE,
                "url": "https://hooks.acme.example/simulacra",
                "event_types": ["job.succeeded", "job.failed"],
                "description": None,
                "created_at": "2026-11-30T09:00:00+00:00",
                "deliveries_url": f"/v1/webhook-endpoints/{WHE}/deliveries",
                "secret": None,
            }
        ]
    },
    "WebhookSecret": {
        "endpoint_id": WHE,
        "secret": "whsec_4eTPkz0v1y0mJ3h2p9QWb3xq7Vd5oN8rLs2cFgHkA1E=",
        "previous_secret_expires_at": "2026-12-01T09:00:00+00:00",
    },
    "WebhookDeliveryPage": {
        "data": [
            {
                "delivery_id": "dlv_1d4e7a0b3c6f9e2d5a8b",
                "event_id": "evt_9a2c5e8b1d4f7a0c3e6b",
                "event_type": "job.succeeded",
                "status": "succeeded",
                "created_at": "2026-11-30T10:00:02+00:00",
                "finished_at": "2026-11-30T10:00:13+00:00",
                "attempts": [
                    {
                        "attempt": 1,
                        "at": "2026-11-30T10:00:02+00:00",
                        "status_code": 503,
                        "error": "Answered HTTP 503; a 2xx status acknowledges a delivery.",
                    },
                    {"attempt": 2, "at": "2026-11-30T10:00:08+00:00", "status_code": 200, "error": None},
                ],
            }
        ],
        "next_cursor": None,
    },
    "OpenIdConfiguration": {
        "issuer": "https://api.example.com/",
        "token_endpoint": "https://api.example.com/oauth/token",
        "jwks_uri": "https://api.example.com/.well-known/jwks.json",
    },
    "ProtectedResourceMetadata": {
        "resource": "https://api.example.com",
        "authorization_servers": ["https://api.example.com/"],
        "scopes_supported": ["datasets:write", "datasets:read", "generations:write", "generations:read", "admin"],
        "bearer_methods_supported": ["header"],
        "resource_documentation": "https://api.example.com/llms.txt",
    },
}
