"""README's quick start runs as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_quick_start_prints_a_verifier_config() -> None:
    section = README.split("## Quick start", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    assert len(code.group(1).strip().splitlines()) == 3
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), "README quick start", "exec"), {})
    printed = out.getvalue()
    assert printed.startswith("{'PasswordVerifier': '") and "'Salt': '" in printed


def test_readme_names_the_two_commands() -> None:
    assert 'python -m pip install -e ".[demo]" && srp-device demo' in README
    assert 'python -m pip install -e ".[test]" && python -m pytest' in README
