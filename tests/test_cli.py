"""The srp-device command: new-device, emulator, demo."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from srp_device import DeviceSecrets, flows
from srp_device.cli import main

KEY = "us-east-1_1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"


def test_new_device_prints_confirm_device_and_writes_a_private_record(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "device.json"
    assert (
        main(
            [
                "new-device",
                "--device-key",
                KEY,
                "--device-group-key",
                "-grp",
                "--device-name",
                "pi",
                "--out",
                str(out),
                "--access-token",
                "abc.def.ghi",
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    request = printed["ConfirmDevice"]
    assert request["DeviceKey"] == KEY and request["AccessToken"] == "abc.def.ghi" and request["DeviceName"] == "pi"
    assert set(request["DeviceSecretVerifierConfig"]) == {"PasswordVerifier", "Salt"}
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    secrets = DeviceSecrets.from_json(out.read_text())
    assert secrets.verifier_config == request["DeviceSecretVerifierConfig"]
    assert secrets.device_password not in json.dumps(printed)  # shown only when asked


def test_new_device_shows_the_password_only_when_asked(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["new-device", "--device-key", KEY, "--device-group-key", "-grp", "--show-password"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert len(printed["device_password"]) == 56 and "AccessToken" not in printed["ConfirmDevice"]


def test_new_device_bad_key_is_a_clean_error(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["new-device", "--device-key", "bad", "--device-group-key", "-g"]) == 2
    assert "device_key" in capsys.readouterr().err


def test_python_dash_m_and_the_emulator_command(tmp_path: Path) -> None:
    config = tmp_path / "pool.json"
    config.write_text(
        json.dumps({"users": {"carol": {"password": "Pw-123456", "mfa": False}}, "device_tracking": "always"})
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "srp_device",
            "emulator",
            "--port",
            "0",
            "--db",
            str(tmp_path / "db.sqlite3"),
            "--config",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        while not lines or lines[-1] != "}":
            lines.append(proc.stdout.readline().rstrip("\n"))
        info = json.loads("\n".join(lines))
        client = boto3.client(
            "cognito-idp",
            endpoint_url=info["endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
        )
        first = flows.sign_in(
            client,
            user_pool_id=info["user_pool_id"],
            client_id=info["client_id"],
            username="carol",
            password="Pw-123456",
        )
        again = flows.sign_in(
            client,
            user_pool_id=info["user_pool_id"],
            client_id=info["client_id"],
            username="carol",
            password="Pw-123456",
            device=first.device,
        )
        assert again.steps[-1] == "DEVICE_PASSWORD_VERIFIER"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_demo_runs_the_lifecycle_and_exits_0() -> None:
    done = subprocess.run([sys.executable, "-m", "srp_device", "demo"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every step went as expected" in done.stdout
    for step in ("ConfirmDevice", "UpdateDeviceStatus remembered", "ListDevices", "ForgetDevice", "MFA asked again"):
        assert step in done.stdout


def test_only_the_demo_and_the_pytest_fixture_import_an_aws_sdk() -> None:
    """The library takes any client object; only the demo and the boto3 client fixture import boto3."""
    import srp_device

    package = Path(srp_device.__file__).resolve().parent
    importers = sorted(
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if "import boto3" in p.read_text() or "import botocore" in p.read_text()
    )
    assert importers == ["_demo.py", "pytest_plugin.py"]


def test_demo_prints_a_progress_line_for_a_slow_step() -> None:
    import io
    import time

    from srp_device._demo import _Steps

    out = io.StringIO()
    steps = _Steps(out)
    steps.run("slow step", lambda: (time.sleep(1.3), (True, "done"))[1])
    steps.run("failing step", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    text = out.getvalue()
    assert "slow step: still working" in text
    assert [r.ok for r in steps.rows] == [True, False] and "RuntimeError: boom" in text
    assert "slow step" in steps.table()


def test_info_names_the_backend_kernel_and_timing(capsys: pytest.CaptureFixture[str]) -> None:
    from srp_device import modexp

    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    backend = modexp.get_backend()
    assert (info["backend"], info["kernel"], info["constant_time"]) == (backend.name, backend.kernel, True)
    assert info["versions"]["cryptography"] and info["kernels_runnable"] == modexp.available_kernels()
    assert main(["--backend", "python", "info"]) == 0
    out = capsys.readouterr().out
    assert "backend:        python" in out and "VARIABLE TIME" in out


def test_info_runs_as_a_module() -> None:
    proc = subprocess.run([sys.executable, "-m", "srp_device", "info"], capture_output=True, text=True, check=True)
    assert "constant time" in proc.stdout and "kernel" in proc.stdout


# ---- the command line as a new user meets it --------------------------------------------------------


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "srp_device", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_version() -> None:
    import srp_device

    proc = _cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"srp-device {srp_device.__version__}"


def test_global_options_work_after_the_subcommand_too() -> None:
    before, after = _cli("--backend", "python", "info"), _cli("info", "--backend", "python")
    assert before.returncode == after.returncode == 0
    assert "backend:        python" in after.stdout and before.stdout == after.stdout


def test_an_unusable_backend_stops_the_demo_in_one_line() -> None:
    proc = _cli("demo", "--backend", "no-such-backend")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "srp-device: error: unknown backend 'no-such-backend'; choose one of native, gmpy2, python or 'auto'"
    ]
    assert "KeyError" not in proc.stdout + proc.stderr


def test_new_device_out_keeps_an_existing_record_unless_forced(tmp_path: Path) -> None:
    args = ("new-device", "--device-key", "us-east-1_ab", "--device-group-key", "-g", "--out", "device.json")
    assert _cli(*args, cwd=tmp_path).returncode == 0
    first = (tmp_path / "device.json").read_text()
    refused = _cli(*args, cwd=tmp_path)
    assert refused.returncode == 2 and "device.json exists" in refused.stderr and "--force" in refused.stderr
    assert (tmp_path / "device.json").read_text() == first  # the first device's password is not lost
    forced = _cli(*args, "--force", cwd=tmp_path)
    assert forced.returncode == 0 and (tmp_path / "device.json").read_text() != first
    assert stat.S_IMODE(os.stat(tmp_path / "device.json").st_mode) == 0o600
    missing = _cli(*args[:-1], "no/such/dir/device.json", cwd=tmp_path)
    assert missing.returncode == 2
    assert "cannot write no/such/dir/device.json" in missing.stderr and ".tmp" not in missing.stderr


@pytest.mark.parametrize("command", ["new-device", "emulator", "info", "demo"])
def test_every_subcommand_help_says_what_it_does(command: str) -> None:
    proc = _cli(command, "--help")
    assert proc.returncode == 0
    description = proc.stdout.split("\n\n")[1]
    assert len(description.split()) >= 12, description
