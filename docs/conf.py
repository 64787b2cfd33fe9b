"""Sphinx configuration: the site is built in strict mode (``sphinx-build -W -n``)."""

from __future__ import annotations

import srp_device

project = "srp-device"
author = "the srp-device developers"
copyright = "the srp-device developers, Apache-2.0"
release = version = srp_device.__version__

extensions = ["sphinx.ext.autodoc", "myst_parser"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "test_docs_code.py"]
html_theme = "furo"
html_title = f"srp-device {release}"
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}

# No network when the site is built (so no intersphinx): names from the standard library
# and from boto3 are left as plain text; every srp_device name must resolve.
nitpick_ignore_regex = [
    ("py:.*", r"(typing|collections\.abc|datetime|enum|pathlib|http|sqlite3|threading|os|pytest|_pytest)\..*"),
    ("py:.*", r"(Any|Callable|Mapping|Iterable|Iterator|Sequence|Generator|AsyncIterator|Awaitable|Literal)"),
    ("py:.*", r"(datetime|timedelta|Path|TypedDict|Protocol|NotRequired|Required|TypeVar|Enum|Exception)"),
    ("py:class", r"(int|str|bytes|bytearray|bool|float|dict|list|tuple|set|object|type|None|ValueError|TypeError)"),
    ("py:class", r"(T|R|Self|NoneType|ellipsis)"),
    # a property typed ``dict[str, str]`` reaches the resolver split at its comma
    ("py:class", r"dict\[str"),
]
