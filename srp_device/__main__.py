"""python -m srp_device: the srp-device command line."""

from .cli import main

raise SystemExit(main())
