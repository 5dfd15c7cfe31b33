"""The shipped alerting rules are valid, and each fires when it should and only then (promtool)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.promtool import promtool

ROOT = Path(__file__).resolve().parent.parent.parent
RULES = ROOT / "infra" / "prometheus" / "alerts.yml"
UNIT_TESTS = Path(__file__).with_name("alert_rules_test.yml")


def test_the_rules_file_is_valid() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_each_alert_fires_on_its_synthetic_series_and_stays_silent_otherwise() -> None:
    tested = promtool("test", "rules", str(UNIT_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_is_unit_tested_firing_and_silent() -> None:
    alerts = set(re.findall(r"^\s*- alert: (\w+)$", RULES.read_text(), re.MULTILINE))
    tests = UNIT_TESTS.read_text()
    fired = set(re.findall(r"alertname: (\w+)\n\s*exp_alerts:\n\s*- exp_labels", tests))
    silent = set(re.findall(r"alertname: (\w+)\n\s*exp_alerts: \[\]", tests))
    assert alerts
    assert alerts == fired == silent
