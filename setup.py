"""Builds the C engine, srp_device._native; everything else is in pyproject.toml.

The extension is optional: without a working C compiler `pip install` still succeeds
and srp_device falls back to another backend, visibly (`srp-device info`). Set
SRP_DEVICE_REQUIRE_NATIVE=1 to make a failed build an error, as CI does.
"""

import os
import sys

from setuptools import Extension, setup

ENGINE = "srp_device/_engine"
SOURCES = [f"{ENGINE}/{name}.c" for name in ("module", "engine", "kernel_portable", "kernel_mulx", "kernel_ifma")]
HEADERS = [f"{ENGINE}/{name}.h" for name in ("engine", "ct", "mont64")]

if sys.platform == "win32":
    FLAGS = ["/O2"]
else:
    FLAGS = ["-O3", "-fvisibility=hidden", "-Wall", "-Wextra"]

setup(
    # installed as <prefix>/share/doc/srp-device/, beside the LICENSE in the wheel's metadata
    data_files=[("share/doc/srp-device", ["CHANGELOG.md", "README.md", "LICENSE"])],
    ext_modules=[
        Extension(
            "srp_device._native",
            sources=SOURCES,
            depends=HEADERS,
            extra_compile_args=FLAGS,
            optional=os.environ.get("SRP_DEVICE_REQUIRE_NATIVE", "") not in ("1", "true", "yes"),
        )
    ]
)
