"""Sessions a developer runs as CI does: ``nox`` (all), ``nox -s tests-3.12``, ``nox -s dist``, ...

Every test session installs srp-device as users get it (built from source into the
session's own virtual environment, never editable) and runs the test suite from a copy
of tests/ outside the source tree, so that ``import srp_device`` can only find the
installed package: a file missing from the wheel, or an engine that failed to build,
fails the session.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
nox.options.sessions = ["dist", "tests", "examples", "docs", "no-compiler"]
nox.options.error_on_missing_interpreters = True


def _run_suite_installed(session: nox.Session, *pytest_args: str) -> None:
    """The test suite against the installed package, from a copy of tests/ outside the source tree."""
    with tempfile.TemporaryDirectory(prefix="srp-device-tests-") as tmp:
        work = Path(tmp)
        for name in ("tests", "vectors"):
            shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
        node_modules = ROOT / "tests" / "interop_js" / "node_modules"
        if node_modules.is_dir():  # the JS clients the interop tests drive (installed by npm ci)
            (work / "tests" / "interop_js" / "node_modules").symlink_to(node_modules, target_is_directory=True)
        # The C sources only, for the ctgrind and build-variant tests (no package here to import).
        shutil.copytree(ROOT / "srp_device" / "_engine", work / "srp_device" / "_engine")
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, work / name)
        session.chdir(work)
        session.run(
            "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args,
            env={"SRP_DEVICE_TEST_INSTALLED": "1", "HYPOTHESIS_PROFILE": "ci"},
        )
        session.chdir(ROOT)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The suite on one CPython, against srp-device built and installed from this tree.

    The engine's C code is the same on every CPython, so here the backend-parametrised
    tests run on its default kernel and the load suite is left to ``dist`` (pass
    ``-- --backend ...`` to choose); ``dist`` runs everything on the installed wheel.
    """
    session.install(f"{ROOT}[test,gmpy2]", env={"SRP_DEVICE_REQUIRE_NATIVE": "1"})
    session.run("srp-device", "info")
    _run_suite_installed(session, *(session.posargs or ["--backend", "native", "-m", "not load"]))


@nox.session(python="3.11")
def dist(session: nox.Session) -> None:
    """Build the sdist and the wheel, check what they ship, then test the installed wheel."""
    out = ROOT / "dist"
    shutil.rmtree(out, ignore_errors=True)
    session.install("build")
    session.run("python", "-m", "build", "--outdir", str(out), str(ROOT), env={"SRP_DEVICE_REQUIRE_NATIVE": "1"})
    sdist = next(out.glob("srp_device-*.tar.gz"))
    wheel = next(out.glob("srp_device-*.whl"))
    with tarfile.open(sdist) as tar:
        names = {Path(n).relative_to(Path(n).parts[0]).as_posix() for n in tar.getnames() if len(Path(n).parts) > 1}
    for needed in ("LICENSE", "CHANGELOG.md", "README.md", "srp_device/_engine/engine.c", "tests/test_modexp.py"):
        if needed not in names:
            session.error(f"the sdist lacks {needed}")
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
    dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    docs = dist_info.replace(".dist-info", ".data") + "/data/share/doc/srp-device"
    for needed in (
        f"{dist_info}/licenses/LICENSE",
        f"{docs}/CHANGELOG.md",
        f"{docs}/LICENSE",
        "srp_device/py.typed",
        "srp_device/_native.pyi",
        "srp_device/pytest_plugin.py",
    ):
        if needed not in names:
            session.error(f"the wheel lacks {needed}")
    if not any(n.startswith("srp_device/_native.") and n.endswith((".so", ".pyd")) for n in names):
        session.error("the wheel has no compiled engine")
    session.install(f"{wheel}[test,gmpy2]")
    session.run("srp-device", "info")
    _run_suite_installed(session)


@nox.session(python="3.11")
def examples(session: nox.Session) -> None:
    """Every script in examples/, against the local emulator."""
    session.install(f"{ROOT}[demo]", "aiobotocore", "pytest")
    session.chdir(ROOT / "examples")
    session.run("python", "confirm_and_remember_device.py")
    session.run("python", "aiobotocore_device_sign_in.py")
    session.run("python", "fleet_provisioning.py", "12")
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_with_the_emulator.py")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the documentation site in strict mode (a warning or a broken reference fails), then run its code."""
    session.install(f"{ROOT}[docs,demo]", "aiobotocore", "pytest")
    session.run("sphinx-build", "-W", "--keep-going", "-n", "-b", "html", "docs", "docs/_build/html")
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "docs/test_docs_code.py")


@nox.session(python="3.11", name="no-compiler")
def no_compiler(session: nox.Session) -> None:
    """pip install where no C compiler works: it succeeds, auto falls back, and info says so.

    From a fresh sdist, so that no object compiled earlier in the working tree can be reused.
    """
    session.install("build")
    with tempfile.TemporaryDirectory(prefix="srp-device-sdist-") as tmp:
        session.run("python", "-m", "build", "--sdist", "--outdir", tmp, str(ROOT), silent=True)
        sdist = next(Path(tmp).glob("srp_device-*.tar.gz"))
        session.install("--no-cache-dir", str(sdist), env={"CC": "false", "SRP_DEVICE_REQUIRE_NATIVE": ""})
    check = (
        "import json, subprocess, srp_device\n"
        "info = json.loads(subprocess.run(['srp-device', 'info', '--json'], capture_output=True, text=True,"
        " check=True).stdout)\n"
        "assert info['native_built'] is False and 'not built' in info['native_error'], info\n"
        "assert (info['backend'], info['constant_time']) == ('python', False), info\n"
        "s = srp_device.DeviceSecrets.generate(device_key='us-east-1_ab', device_group_key='-g')\n"
        "assert s == srp_device.DeviceSecrets.from_json(s.to_json_including_password())\n"
        "print('installed without a compiler: backend', info['backend'], '- VARIABLE TIME, as info says')\n"
    )
    session.run("python", "-c", check)
    session.run("srp-device", "info")
