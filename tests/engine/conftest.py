from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def make_tracker() -> Callable[..., pd.DataFrame]:
    spec = importlib.util.spec_from_file_location("make_tracker", EXAMPLES / "make_tracker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_tracker


@pytest.fixture(scope="session")
def tracker_csv(tmp_path_factory: pytest.TempPathFactory, make_tracker: Callable[..., pd.DataFrame]) -> str:
    path = tmp_path_factory.mktemp("tracker") / "tracker.csv"
    make_tracker(5000, 7).to_csv(path, index=False)
    return str(path)
