"""The ``srp-device`` command: new-device, emulator, demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from . import api
from ._device import DeviceSecrets
from .exceptions import SrpDeviceError

__all__ = ["main"]


class _UsageError(Exception):
    """A refusal the CLI explains in one line (exit status 2)."""


def _write_private(path: str, text: str, *, force: bool) -> None:
    """Write ``text`` to ``path`` readable by the owner only (0600), replacing it atomically.

    An existing file is kept unless ``force``: it may hold another device's password.
    Errors name ``path`` as the user wrote it, never the temporary file beside it.
    """
    if os.path.lexists(path) and not force:
        raise _UsageError(f"{path} exists (a device record there would be lost); pass --force to replace it")
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    problem = None
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        problem = exc.strerror or type(exc).__name__
    if problem is not None:
        raise _UsageError(f"cannot write {path}: {problem}")


def _new_device(args: argparse.Namespace) -> int:
    secrets = DeviceSecrets.generate(
        device_key=args.device_key, device_group_key=args.device_group_key, backend=args.backend
    )
    request: dict[str, Any]
    if args.access_token:
        request = dict(api.confirm_device(args.access_token, secrets, args.device_name))
    else:
        request = {"DeviceKey": secrets.device_key, "DeviceSecretVerifierConfig": secrets.verifier_config}
        if args.device_name:
            request["DeviceName"] = args.device_name
    if args.out:
        _write_private(args.out, secrets.to_json_including_password() + "\n", force=args.force)
    output: dict[str, Any] = {"ConfirmDevice": request}
    if args.out:
        output["device_record"] = os.path.abspath(args.out)
    if args.show_password:
        output["device_password"] = secrets.device_password
    print(json.dumps(output, indent=2))
    if not args.out and not args.show_password:
        print(
            "note: the device password was not saved (use --out FILE); without it this device cannot sign in",
            file=sys.stderr,
        )
    return 0


_DEFAULT_USER = ("alice", "Passw0rd!")
# --config keys: the JSON type each takes (users is checked on its own)
_CONFIG_KEYS: dict[str, type | tuple[type, ...]] = {
    "users": dict,
    "user_pool_id": str,
    "client_id": str,
    "client_secret": str,
    "device_tracking": str,
    "challenge_required_on_new_device": bool,
    "user_id_for_srp": str,
    "explicit_auth_flows": list,
    "issuer": str,
    "mfa_attempts": int,
    "admin_credentials": dict,
}
_USER_KEYS: dict[str, type] = {"password": str, "mfa": bool, "phone": str}


def _load_config(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(users, PoolConfig settings) from a --config file, every key and type checked."""
    from .emulator import UserSpec

    try:
        with open(path, encoding="utf-8") as f:
            conf = json.load(f)
    except OSError as exc:
        raise _UsageError(f"--config {path}: {exc.strerror}") from None
    except ValueError:
        raise _UsageError(f"--config {path}: not JSON") from None
    if not isinstance(conf, dict):
        raise _UsageError(f"--config {path}: must be a JSON object")
    for key, value in conf.items():
        if key not in _CONFIG_KEYS:
            raise _UsageError(f"--config {path}: unknown key {key!r} (known: {', '.join(_CONFIG_KEYS)})")
        wanted = _CONFIG_KEYS[key]
        if not isinstance(value, wanted) or (isinstance(value, bool) and wanted is int):
            raise _UsageError(f"--config {path}: {key} must be a JSON {_json_type(wanted)}")
    users: dict[str, Any] = {}
    for name, spec in conf.get("users", {}).items():
        if isinstance(spec, str):
            users[name] = spec
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("password"), str):
            raise _UsageError(f"--config {path}: users.{name} must be a password or an object with a password")
        for key, value in spec.items():
            if key not in _USER_KEYS or not isinstance(value, _USER_KEYS[key]):
                raise _UsageError(f"--config {path}: users.{name}.{key} is not a known key of the right type")
        users[name] = UserSpec(**spec)
    settings = {k: v for k, v in conf.items() if k != "users"}
    if "explicit_auth_flows" in settings:
        settings["explicit_auth_flows"] = tuple(settings["explicit_auth_flows"])
    if "admin_credentials" in settings:
        creds = settings["admin_credentials"]
        key, secret = creds.get("access_key_id"), creds.get("secret_access_key")
        shaped = set(creds) == {"access_key_id", "secret_access_key"}
        if not (shaped and isinstance(key, str) and isinstance(secret, str)):
            raise _UsageError(f"--config {path}: admin_credentials must be {{access_key_id, secret_access_key}}")
        settings["admin_credentials"] = (key, secret)
    return users, settings


def _json_type(wanted: type | tuple[type, ...]) -> str:
    names: dict[object, str] = {dict: "object", str: "string", bool: "boolean", list: "array", int: "integer"}
    return names.get(wanted, "value")


def _emulator(args: argparse.Namespace) -> int:
    from .emulator import LocalCognito, PoolConfig, UserSpec

    name, password = _DEFAULT_USER
    users: dict[str, Any] = {name: UserSpec(password=password)}
    settings: dict[str, Any] = {}
    if args.config:
        users, settings = _load_config(args.config)
    try:
        config = PoolConfig(**settings)
    except SrpDeviceError as exc:
        raise _UsageError(f"--config {args.config}: {exc}") from None
    codes = open(args.codes, "a", encoding="utf-8", buffering=1) if args.codes else None
    try:
        cognito = LocalCognito(
            users,
            config=config,
            db=args.db,
            host=args.host,
            port=args.port,
            backend=args.backend,
            log=sys.stderr if args.verbose else None,
        )

        def sent(username: str, code: str) -> None:
            line = json.dumps({"username": username, "code": code})
            print(f"code: {line}", file=sys.stderr, flush=True)
            if codes is not None:
                codes.write(line + "\n")

        cognito.on_code(sent)
        shown = {
            n: {"password": s if isinstance(s, str) else s.password, "mfa": isinstance(s, str) or s.mfa}
            for n, s in users.items()
        }
        print(
            json.dumps(
                {
                    "endpoint_url": cognito.endpoint_url,
                    "user_pool_id": cognito.user_pool_id,
                    "client_id": cognito.client_id,
                    "region": config.region,
                    "users": shown,
                    "jwks_url": cognito.jwks_url,
                    "outbox_url": f"{cognito.endpoint_url}/_local/outbox?username=NAME",
                    "db": args.db,
                },
                indent=2,
            ),
            flush=True,
        )
        print("serving; MFA codes are printed here as they are sent; Ctrl-C stops", file=sys.stderr, flush=True)
        try:
            cognito.serve_forever()
        except KeyboardInterrupt:
            pass
    finally:
        if codes is not None:
            codes.close()
    return 0


def _info(args: argparse.Namespace) -> int:
    import platform
    from importlib import metadata

    from . import __version__, modexp

    info = modexp.describe(args.backend)
    versions: dict[str, str | None] = {"srp_device": __version__, "python": platform.python_version()}
    for dist in ("cryptography", "gmpy2"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    info["versions"] = versions
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    timing = "constant time" if info["constant_time"] else "VARIABLE TIME (timing may leak secrets)"
    print(f"backend:        {info['backend']}" + (f" (kernel {info['kernel']})" if info["kernel"] else ""))
    print(f"timing:         {timing}")
    engine = "built" if info["native_built"] else f"not built: {info['native_error']}"
    print(f"native engine:  {engine}")
    print(
        f"kernels:        built {', '.join(info['kernels_built']) or '-'}; runnable here "
        f"{', '.join(info['kernels_runnable']) or '-'}"
    )
    print(f"cpu:            {info['machine']}; {', '.join(info['cpu_features']) or '-'}")
    print("versions:       " + ", ".join(f"{k} {v}" for k, v in versions.items() if v is not None))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from ._demo import run

    return run(backend=args.backend)


def _join_dash_values(argv: list[str]) -> list[str]:
    """Cognito group keys start with '-' ("-nNwnPidS"); argparse would read one as an option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--device-group-key" and i + 1 < len(argv):
            out.append(f"--device-group-key={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    # --backend is accepted before or after the subcommand: one parent parser serves both
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--backend",
        default=argparse.SUPPRESS,
        help="modexp backend: native (or native:KERNEL), gmpy2, python; default auto",
    )
    parser = argparse.ArgumentParser(
        prog="srp-device", description="Amazon Cognito remembered devices (device SRP).", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"srp-device {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=description, parents=[common])

    nd = command(
        "new-device",
        "make a device's secrets and print its ConfirmDevice request",
        "Make a new device password, salt and verifier for a DeviceKey and DeviceGroupKey from"
        " NewDeviceMetadata, and print the ConfirmDevice request. --out keeps the record (with the"
        " device password) in a file readable by you only; without it the password is not kept.",
    )
    nd.add_argument("--device-key", required=True)
    nd.add_argument("--device-group-key", required=True)
    nd.add_argument("--device-name")
    nd.add_argument("--access-token", help="include it, to print the complete ConfirmDevice request")
    nd.add_argument("--out", help="write the device record (with its password) to this file, mode 0600")
    nd.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    nd.add_argument("--show-password", action="store_true", help="also print the device password")
    nd.set_defaults(run=_new_device)

    em = command(
        "emulator",
        "serve a local Cognito user pool with real device SRP",
        "Serve a local Cognito user pool on loopback, with real user and device SRP, until Ctrl-C;"
        " print its endpoint, pool id, client id and users (with their passwords) as JSON first, and"
        " every MFA code sent on stderr (and to --codes FILE). The default user is alice / Passw0rd!.",
    )
    em.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (default), localhost or ::1")
    em.add_argument("--port", type=int, default=9229)
    em.add_argument("--codes", help="also append every MFA code sent to this file (one JSON line each)")
    em.add_argument(
        "--verbose", action="store_true", help="log each request on stderr: operation, status, time (never a secret)"
    )
    em.add_argument("--db", default=":memory:", help="SQLite file that keeps state across restarts")
    em.add_argument(
        "--config",
        help="JSON object with the keys " + ", ".join(_CONFIG_KEYS),
    )
    em.set_defaults(run=_emulator)

    info = command(
        "info",
        "which backend and kernel are in use, constant time or not, and versions",
        "Print the modexp backend in use, the native engine's kernel, whether it runs in constant time,"
        " the CPU features the dispatch read, and the versions of srp-device, Python and its libraries.",
    )
    info.add_argument("--json", action="store_true", help="print it as JSON")
    info.set_defaults(run=_info)

    demo = command(
        "demo",
        "the remembered-device lifecycle on the embedded emulator, with boto3",
        "Run a remembered device's whole life on an embedded local Cognito with boto3: sign in with"
        " MFA, confirm and remember the device, sign in with it (no MFA), list it, forget it; print"
        " each step with its time, and exit 0 when every step went as expected.",
    )
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(_join_dash_values(list(sys.argv[1:] if argv is None else argv)))
    args.backend = getattr(args, "backend", None)
    try:
        from .modexp import get_backend

        get_backend(args.backend)  # an unusable backend stops here, in one line
        return int(args.run(args))
    except (SrpDeviceError, OSError, _UsageError) as exc:
        print(f"srp-device: error: {exc}", file=sys.stderr)
        return 2
