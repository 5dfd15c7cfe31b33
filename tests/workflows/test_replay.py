"""Replay recorded histories of every workflow type against today's workflow code.

A dataset's workflow lives as long as its retention (days), across deploys: the new code must make
the same decisions the old code recorded, or the running workflow fails on its next task. The
histories in tests/workflows/histories/<label>/ were recorded by `python -m
tests.workflows.record_histories`; older labels stay beside newer ones (see docs/development.md).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Replayer

from simulacra.infra.config import Settings
from simulacra.infra.payload_codec import EncryptionCodec
from simulacra.infra.temporal import connect_to
from tests.workflows.conftest import Run
from tests.workflows.record_histories import HISTORIES, SCENARIOS, record
from tests.workflows.support import CONVERTER, JOB_WORKFLOW_TYPES, WORKFLOW_TYPES, WORKFLOWS

RECORDED = sorted(HISTORIES.glob("*/*.json"))
# How `encoding: binary/encrypted` reads in a history's JSON (metadata values are base64).
ENCRYPTED = base64.b64encode(b"binary/encrypted").decode()


def load(path: Path) -> WorkflowHistory:
    # The workflow id is not part of the JSON; the replay does not depend on it.
    return WorkflowHistory.from_json(path.stem, path.read_text())


def workflow_type(path: Path) -> str:
    started = json.loads(path.read_text())["events"][0]["workflowExecutionStartedEventAttributes"]
    return started["workflowType"]["name"]


def replayer(tracing: bool = False) -> Replayer:
    # As the worker runs them: the same workflow classes, sandboxed, and the same converter; with tracing on, the
    # interceptor infra/tracing.py gives the worker (tests/test_traces.py replays traced histories both ways).
    interceptors = [TracingInterceptor()] if tracing else []
    return Replayer(workflows=WORKFLOWS, data_converter=CONVERTER, interceptors=interceptors)


@pytest.mark.parametrize("tracing", [False, True], ids=["untraced", "traced"])
@pytest.mark.parametrize("path", RECORDED, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_recorded_history_replays_on_the_current_code(run: Run[None], path: Path, tracing: bool) -> None:
    async def replay() -> None:
        await replayer(tracing).replay_workflow(load(path))

    run(replay())


def test_every_workflow_type_has_recorded_histories() -> None:
    labels = sorted({path.parent for path in RECORDED})
    assert labels, f"no histories under {HISTORIES}; record them with python -m tests.workflows.record_histories"
    for label in labels:
        recorded = {workflow_type(path) for path in label.glob("*.json")}
        # Folders recorded before a workflow type existed lack it; the newest has every type.
        expected = WORKFLOW_TYPES if label == labels[-1] else JOB_WORKFLOW_TYPES
        assert expected <= recorded <= WORKFLOW_TYPES, f"{label.name} lacks {expected - recorded}"


def test_the_tests_use_the_data_converter_of_the_real_client(run: Run[Any], temporal: Client, tmp_path: Path) -> None:
    """Payloads are recorded and replayed as the API and worker encode them (encrypted, failures too), or replay
    proves nothing; only the key differs (the real one lives in storage, the tests' is fixed)."""
    settings = Settings(data_dir=tmp_path, temporal_address=temporal.service_client.config.target_host)
    real = run(connect_to(settings)).data_converter
    for converter in (CONVERTER, temporal.data_converter):
        assert converter.payload_converter_class is real.payload_converter_class
        assert converter.failure_converter_class is real.failure_converter_class
        assert type(converter.payload_codec) is type(real.payload_codec) is EncryptionCodec


def test_the_recorder_still_records_every_scenario(run: Run[None], temporal: Client, tmp_path: Path) -> None:
    """Re-recording must work the day a workflow changes, so the recorder runs here too (into tmp_path)."""

    async def scenario() -> None:
        written = await record(temporal, tmp_path)
        assert [path.stem for path in written] == list(SCENARIOS)
        assert {workflow_type(path) for path in written} == WORKFLOW_TYPES
        for path in written:
            assert ENCRYPTED in path.read_text()  # recorded through the codec, and replayed through it
            await replayer().replay_workflow(load(path))

    run(scenario())
