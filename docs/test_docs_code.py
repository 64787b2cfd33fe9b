"""Every ```python block of the documentation runs, page by page, against the local emulator.

The blocks of a page run in order in one namespace, as a reader would paste them. The
names the pages leave to the reader (POOL_ID, CLIENT_ID, PASSWORD, read_code) are filled
from a fresh emulator, and AWS_ENDPOINT_URL points boto3 and aiobotocore at it, so a page's
`boto3.client("cognito-idp", region_name="us-east-1")` talks to the emulator unchanged.
Run by nox's docs session: python -m pytest docs/test_docs_code.py
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from srp_device.emulator import LocalCognito, PoolConfig, UserSpec

DOCS = Path(__file__).resolve().parent
PAGES = sorted(p for p in DOCS.glob("*.md") if "```python" in p.read_text(encoding="utf-8"))
PASSWORD = "Passw0rd!"


def blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)


def test_every_page_with_code_is_checked() -> None:
    assert {p.name for p in PAGES} >= {"quickstart.md", "signing-in.md", "storing-devices.md", "emulator.md"}


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_code_runs(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with LocalCognito({"alice": UserSpec(PASSWORD, mfa=True)}, config=PoolConfig(device_tracking="opt_in")) as c:
        for name, value in {
            "AWS_ENDPOINT_URL": c.endpoint_url,
            "COGNITO_ENDPOINT": c.endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }.items():
            monkeypatch.setenv(name, value)
        namespace: dict[str, Any] = {
            "__name__": f"docs_{page.stem}",
            "POOL_ID": c.user_pool_id,
            "CLIENT_ID": c.client_id,
            "PASSWORD": PASSWORD,
            "read_code": lambda challenge: c.last_code("alice"),
        }
        for i, code in enumerate(blocks(page), 1):
            exec(compile(code, f"{page.name}, python block {i}", "exec"), namespace)
