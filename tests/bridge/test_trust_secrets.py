"""Trust boundaries of the settings (issue 13, item 10): weak, guessable or equal secrets are
refused outside demo mode (naming the setting, never echoing its value), and the demo refuses a
public interface unless told. Through Settings.from_env and through a real
`python -m handover_bridge` on SQLite and PostgreSQL (the `store` fixture). The /metrics and login
limits are in test_trust_ops.py."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from handover_bridge.config import ConfigError, Settings, secret_problem

from .conftest import ROOT, free_port

GOOD = {
    "JIELI_SECRET_KEY": "Wk3ZqT9vLr2nXc7HbP4mJd8sYf1gQa6u",
    "JIELI_ACTION_TOKEN": "Ne5Rt8KyUw2Ip0OzLx3Cv7Bm4Hj9Gs6d",
}
WEAK = [
    "changeme-changeme",
    "xxxxxxxxxxxxxxxx",
    "your-secret-key-here",
    "changeme-changeme-changeme-changeme",
    "x" * 48,
    "your-secret-key-here-your-secret-key-here",
    "yoursecretkeyherepleasechangeme123",
    "secretsecretsecretsecretsecretsecret",
    "password-password-password-password",
    "test" * 10,
    "a1b2" * 10,
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "qwertyuiopasdfghjklzxcvbnm1234567890",
    "my-super-long-random-production-secret-2024",
    "a-real-secret-key-0123456789abcdef",
    "jieli-demo-secret-key--not-for-production",
    "0000000000000000000000000000000000000000",
    "aaaabbbbaaaabbbbaaaabbbbaaaabbbbaaaa1",
]


@pytest.mark.parametrize("weak", WEAK)
def test_weak_secrets_are_refused_outside_demo_mode_naming_the_setting(weak):
    assert secret_problem(weak)
    for name in ("JIELI_SECRET_KEY", "JIELI_ACTION_TOKEN"):
        with pytest.raises(ConfigError, match=name) as refused:
            Settings.from_env({**GOOD, name: weak})
        assert weak not in str(refused.value)  # the value itself is never echoed
        assert "token_urlsafe" in str(refused.value)  # how to make a good one


def test_equal_secrets_are_refused_and_random_ones_pass():
    same = GOOD["JIELI_SECRET_KEY"]
    with pytest.raises(ConfigError, match="JIELI_SECRET_KEY and JIELI_ACTION_TOKEN are the same value"):
        Settings.from_env({"JIELI_SECRET_KEY": same, "JIELI_ACTION_TOKEN": f"  {same} "})
    with pytest.raises(ConfigError, match="JIELI_SECRET_KEY and JIELI_RASA_TOKEN are the same value"):
        Settings.from_env({**GOOD, "JIELI_RASA_TOKEN": same})
    for _ in range(200):
        for value in (secrets.token_urlsafe(32), secrets.token_urlsafe(24), secrets.token_hex(32), str(uuid.uuid4())):
            assert secret_problem(value) is None, value
    # demo mode keeps its fixed, marked values and checks nothing
    assert Settings.from_env({"JIELI_DEMO_MODE": "true", "JIELI_SECRET_KEY": "changeme"}).secret_key == "changeme"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.168.1.20", "shop.example.com"])
def test_demo_mode_refuses_a_public_interface_unless_told(host):
    with pytest.raises(ConfigError, match="JIELI_DEMO_ALLOW_PUBLIC"):
        Settings.from_env({"JIELI_DEMO_MODE": "true", "JIELI_HOST": host})
    allowed = Settings.from_env({"JIELI_DEMO_MODE": "true", "JIELI_HOST": host, "JIELI_DEMO_ALLOW_PUBLIC": "true"})
    assert allowed.host == host
    Settings.from_env({**GOOD, "JIELI_HOST": host})  # outside demo mode any interface is the operator's call


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "localhost", "::1", "[::1]"])
def test_demo_mode_on_loopback_is_fine(host):
    assert Settings.from_env({"JIELI_DEMO_MODE": "true", "JIELI_HOST": host}).host == host


def bridge_command(store, port: int, *args: str, **env: str) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JIELI_")}
    return subprocess.Popen(
        [sys.executable, "-m", "handover_bridge", "--port", str(port), *args],
        cwd=ROOT,
        env={**clean, "PYTHONPATH": str(ROOT), "JIELI_LOG_LEVEL": "WARNING", **store.env(), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def refused(process: subprocess.Popen) -> str:
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("the bridge started instead of refusing")
    assert process.returncode == 2, stderr
    return stderr


def test_the_bridge_process_refuses_weak_secrets_and_a_public_demo(store):
    port = free_port()
    stderr = refused(
        bridge_command(store, port, JIELI_SECRET_KEY="changeme-changeme", JIELI_ACTION_TOKEN="xxxxxxxxxxxxxxxx")
    )
    assert "JIELI_SECRET_KEY is too short" in stderr and "JIELI_ACTION_TOKEN is too short" in stderr
    assert "changeme-changeme" not in stderr
    stderr = refused(
        bridge_command(
            store, port, JIELI_SECRET_KEY=GOOD["JIELI_SECRET_KEY"], JIELI_ACTION_TOKEN=GOOD["JIELI_SECRET_KEY"]
        )
    )
    assert "JIELI_SECRET_KEY and JIELI_ACTION_TOKEN are the same value" in stderr
    for args, env in ((("--host", "0.0.0.0"), {}), ((), {"JIELI_HOST": "0.0.0.0"})):
        stderr = refused(bridge_command(store, port, *args, JIELI_DEMO_MODE="true", **env))
        assert "not a loopback address" in stderr and "JIELI_DEMO_ALLOW_PUBLIC" in stderr


def test_a_public_demo_starts_when_told_to(store):
    port = free_port()
    process = bridge_command(store, port, "--host", "0.0.0.0", JIELI_DEMO_MODE="true", JIELI_DEMO_ALLOW_PUBLIC="true")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[1][-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the public demo did not start"
            time.sleep(0.2)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
