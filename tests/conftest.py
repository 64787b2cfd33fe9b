from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from srp_device import available_backends
from srp_device.modexp import available_kernels

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        action="append",
        default=[],
        help="run backend-parametrized tests only with this modexp backend, e.g. native:portable (repeatable)",
    )


def every_backend() -> list[str]:
    """Every backend this machine runs, the native engine once per kernel ("native:mulx", ...)."""
    out: list[str] = []
    for name in available_backends():
        out.extend([f"native:{k}" for k in available_kernels()] if name == "native" else [name])
    return out


def _selected(config: pytest.Config) -> list[str]:
    found = every_backend()
    # "native" alone means the native engine's default kernel on this machine
    wanted = [f"native:{available_kernels()[0]}" if w == "native" and available_kernels() else w
              for w in config.getoption("--backend")]
    if wanted:
        missing = [w for w in wanted if w not in found]
        if missing:
            raise pytest.UsageError(f"backend(s) not available here: {missing}; available: {found}")
        return wanted
    return found


@pytest.fixture(scope="session")
def selected_backends(request: pytest.FixtureRequest) -> list[str]:
    """The backends this run tests (all, or those --backend names)."""
    return _selected(request.config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _selected(metafunc.config), scope="session")


def pytest_configure(config: pytest.Config) -> None:
    # nox's sessions test the installed package: fail at once if the source tree got imported instead.
    if os.environ.get("SRP_DEVICE_TEST_INSTALLED"):
        import srp_device

        where = os.path.dirname(srp_device.__file__)
        if "site-packages" not in where:
            raise pytest.UsageError(f"srp_device was imported from {where}, not from the installed package")


def pytest_report_header(config: pytest.Config) -> str:
    import srp_device

    return f"srp_device {srp_device.__version__} from {os.path.dirname(srp_device.__file__)}; backends: " + ", ".join(
        _selected(config)
    )
