"""One local Temporal dev server and one event loop for the workflow tests (no pytest-asyncio here).

Every test drives its coroutine with `run`, on the loop that started the environment, so the client
and the workers it creates never cross event loops.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.workflows.support import start_environment

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]
# A test that waits for something that never happens fails after this long instead of hanging the run.
TEST_TIMEOUT_SECONDS = 60.0


@pytest.fixture(scope="session")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as session_runner:
        yield session_runner


@pytest.fixture(scope="session")
def run(runner: asyncio.Runner) -> Run[Any]:
    def run_with_timeout(coro: Coroutine[Any, Any, T]) -> T:
        return runner.run(asyncio.wait_for(coro, TEST_TIMEOUT_SECONDS))

    return run_with_timeout


@pytest.fixture(scope="session")
def workflow_env(runner: asyncio.Runner) -> Iterator[WorkflowEnvironment]:
    env = runner.run(start_environment())
    try:
        yield env
    finally:
        runner.run(env.shutdown())


@pytest.fixture
def temporal(workflow_env: WorkflowEnvironment) -> Client:
    return workflow_env.client


@pytest.fixture
def task_queue() -> str:
    """A fresh queue per test: no test's worker picks up another test's workflow or activity."""
    return f"workflow-tests-{uuid.uuid4().hex}"
