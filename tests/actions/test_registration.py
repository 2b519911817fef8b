"""The action package registers every action of domain.yml, and importing it does no work."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml
from rasa_sdk.executor import ActionExecutor

from jieli_testkit import ROOT


def domain_actions() -> set[str]:
    return set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["actions"])


def test_every_domain_action_is_registered():
    executor = ActionExecutor()
    executor.register_package("actions")
    registered = set(executor.actions)
    assert domain_actions() <= registered
    assert registered - domain_actions() == set(), "no action the domain does not know"


def test_importing_the_package_reads_no_file_and_opens_no_database(tmp_path):
    """House style: nothing runs at import time."""
    db = tmp_path / "never" / "shop.db"
    code = (
        "import actions, actions.shop.seed, actions.shop.http, actions.shop.sql, actions.shop.factory\n"
        "from rasa_sdk.executor import ActionExecutor\n"
        "e = ActionExecutor(); e.register_package('actions'); print(len(e.actions))\n"
    )
    env = {
        "PYTHONPATH": str(ROOT),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "JIELI_SHOP_DB_URL": f"sqlite:///{db}",
        "JIELI_POLICY_PATH": str(tmp_path / "missing.yml"),
        "JIELI_MANUALS_PATH": str(tmp_path / "missing2.yml"),
        "JIELI_BRIDGE_URL": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(domain_actions()))
    assert not db.parent.exists()
