"""README runs as written: every Python block, in order, against the local emulator.

The names README leaves to the reader (POOL_ID, CLIENT_ID, PASSWORD, read_code, input)
are filled from a fresh emulator, and AWS_ENDPOINT_URL points boto3 at it, so README's
`boto3.client("cognito-idp", region_name="us-east-1")` talks to the emulator unchanged.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from srp_device.emulator import LocalCognito, PoolConfig, UserSpec

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```", README, re.S | re.M)
PASSWORD = "Passw0rd!"
STORED_NONE = "stored_device: srp_device.DeviceSecrets | None = None"


def _run(block: str, namespace: dict[str, Any], name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, name, "exec"), namespace)
    return out.getvalue()


def test_every_python_block_runs_against_the_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(BLOCKS) >= 5
    monkeypatch.chdir(tmp_path)
    with LocalCognito({"alice": UserSpec(PASSWORD, mfa=True)}, config=PoolConfig(device_tracking="opt_in")) as c:
        for name, value in {
            "AWS_ENDPOINT_URL": c.endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }.items():
            monkeypatch.setenv(name, value)
        asked: list[str] = []

        def read_code(challenge: Any) -> str:
            asked.append(challenge["ChallengeName"])
            return c.last_code("alice")

        namespace: dict[str, Any] = {
            "__name__": "readme",
            "POOL_ID": c.user_pool_id,
            "CLIENT_ID": c.client_id,
            "PASSWORD": PASSWORD,
            "read_code": read_code,
            "input": lambda prompt: c.last_code("alice"),
        }
        outputs = [_run(block, namespace, f"README python block {i}") for i, block in enumerate(BLOCKS, 1)]
        assert outputs[0].startswith("{'PasswordVerifier': '") and "'Salt': '" in outputs[0]
        # The low-level sign-in block, first without a device (MFA, a new device confirmed) ...
        low_level = next(b for b in BLOCKS if "user.respond_to_password_verifier" in b)
        namespace["stored_device"] = None
        _run(low_level.replace(STORED_NONE, ""), namespace, "README low-level sign-in, new device")
        device = namespace["stored_device"]
        assert device is not None and asked[-1] == "SMS_MFA"
        # ... then again with the device it kept: the device challenges, no MFA.
        asked.clear()
        _run(low_level.replace(STORED_NONE, ""), namespace, "README low-level sign-in, stored device")
        assert asked == [] and "AccessToken" in namespace["tokens"] and namespace["stored_device"] == device


def test_readme_names_the_two_commands() -> None:
    assert 'python -m pip install -e ".[demo]" && srp-device demo' in README
    assert 'python -m pip install -e ".[test]" && python -m pytest' in README


TYPED_PRELUDE = """
from collections.abc import Mapping
from typing import Any

POOL_ID: str = "us-east-1_Example1"
CLIENT_ID: str = "exampleclient"
PASSWORD: str = "example"


def read_code(challenge: Mapping[str, Any]) -> str:
    return "123456"

"""


def test_readme_code_passes_mypy_strict(tmp_path: Path) -> None:
    """What a user pastes into a strictly typed project type-checks."""
    assert STORED_NONE in README
    source = tmp_path / "readme_code.py"
    source.write_text(TYPED_PRELUDE + "\n".join(BLOCKS), encoding="utf-8")
    config = Path(__file__).resolve().parent.parent / "pyproject.toml"
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(config), "--no-incremental", str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
