"""The store: the pool's state in SQLite (in memory, or a file that survives a restart).

One connection serves every request thread, under a lock. Sessions are read without
being spent (an answer the service refuses for a reason the client can mend, such as a
stale DEVICE_KEY or a mistyped MFA code, may be sent again) and spent atomically when an
answer succeeds, so the same Session never answers twice.
"""

from __future__ import annotations

import json
import os
import secrets as _csprng
import sqlite3
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .. import _srp
from .._encoding import pad
from ..exceptions import InternalErrorError, InvalidParameterError, NotAuthorizedError, ResourceNotFoundError
from ..modexp import Backend
from ._config import PoolConfig, UserSpec
from ._errors import INCORRECT, fail

__all__ = ["Store"]

SCHEMA_VERSION = "2"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, sub TEXT UNIQUE NOT NULL, srp_id TEXT NOT NULL, salt BLOB NOT NULL,
    verifier BLOB NOT NULL, mfa INTEGER NOT NULL, phone TEXT NOT NULL, group_key TEXT NOT NULL,
    totp_secret TEXT, totp_enabled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS devices (
    device_key TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username),
    group_key TEXT NOT NULL, salt BLOB, verifier BLOB, confirmed INTEGER NOT NULL DEFAULT 0,
    remembered INTEGER NOT NULL DEFAULT 0, name TEXT, created REAL NOT NULL, modified REAL NOT NULL,
    last_auth REAL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, challenge TEXT NOT NULL, data TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY, username TEXT NOT NULL, device_key TEXT, origin TEXT NOT NULL,
    expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS revoked_origins (origin TEXT PRIMARY KEY, username TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_expire ON sessions (expires);
"""


def _private_file(path: str) -> None:
    """Create the database file readable by its owner only (SQLite gives its journals the same
    mode), or make an existing one so."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


class Store:
    """The pool's state; thread-safe."""

    def __init__(
        self,
        config: PoolConfig,
        users: Mapping[str, str | UserSpec],
        db: str,
        clock: Callable[[], datetime],
        backend: Backend,
    ) -> None:
        self.config = config
        self.clock = clock
        self.backend = backend
        self.lock = threading.RLock()
        if db != ":memory:" and not db.startswith("file:"):
            _private_file(db)  # it holds the signing key, verifiers and refresh tokens
        self.db = sqlite3.connect(db, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(_SCHEMA)
        self.closed = False
        #: MFA codes "sent", by username (read with LocalCognito.outbox)
        self.outbox: dict[str, list[str]] = {}
        #: called with (username, code) whenever a code is "sent" (the CLI prints it)
        self.on_code: Callable[[str, str], None] | None = None
        version = self.meta("schema_version")
        if version is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise ValueError(f"this database was written by another version of the emulator (schema {version})")
        for name, spec in users.items():
            self.add_user(name, spec if isinstance(spec, UserSpec) else UserSpec(password=spec))

    # -- queries ---------------------------------------------------------------------------------
    def q(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self.lock:
            if self.closed:
                raise fail(InternalErrorError, "The local pool is shutting down.")
            return list(self.db.execute(sql, args))

    def changed(self, sql: str, *args: Any) -> int:
        """Run a write; how many rows it changed."""
        with self.lock:
            if self.closed:
                raise fail(InternalErrorError, "The local pool is shutting down.")
            return self.db.execute(sql, args).rowcount

    def close(self) -> None:
        """Close the database once no query runs (handler threads may still be finishing)."""
        with self.lock:
            if not self.closed:
                self.closed = True
                self.db.close()

    def meta(self, name: str) -> str | None:
        rows = self.q("SELECT value FROM meta WHERE name = ?", name)
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, name: str, value: str) -> None:
        self.q("INSERT OR REPLACE INTO meta VALUES (?, ?)", name, value)

    def now(self) -> datetime:
        return self.clock()

    # -- users and devices -----------------------------------------------------------------------
    def add_user(self, username: str, spec: UserSpec) -> None:
        if self.q("SELECT 1 FROM users WHERE username = ?", username):
            return  # a file-backed pool keeps its users across restarts
        sub = str(uuid.uuid4())
        srp_id = username if self.config.user_id_for_srp == "username" else sub
        salt = int.from_bytes(_csprng.token_bytes(16), "big")
        x = _srp.compute_x(salt=salt, pool=self.config.pool_name, identity=srp_id, password=spec.password)
        verifier = pad(_srp.compute_verifier(x, backend=self.backend))
        group_key = "-" + _csprng.token_urlsafe(7)[:9]
        self.q(
            "INSERT INTO users (username, sub, srp_id, salt, verifier, mfa, phone, group_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            username,
            sub,
            srp_id,
            pad(salt),
            verifier,
            int(spec.mfa),
            spec.phone,
            group_key,
        )

    def user(self, username: object) -> sqlite3.Row:
        """The user by username, sub or SRP identity; NotAuthorized for an unknown one (existence hidden)."""
        rows = self.q("SELECT * FROM users WHERE username = ? OR sub = ?", username, username)
        if not rows:
            raise fail(NotAuthorizedError, INCORRECT)
        return rows[0]

    def device(self, device_key: object, username: str) -> sqlite3.Row:
        rows = self.q("SELECT * FROM devices WHERE device_key = ? AND username = ?", device_key, username)
        if not rows:
            raise fail(ResourceNotFoundError, "Device does not exist.")
        return rows[0]

    def device_count(self, username: str | None = None) -> int:
        """Confirmed devices, for one user or all (for tests and the demo)."""
        sql = "SELECT COUNT(*) AS n FROM devices WHERE confirmed = 1" + (" AND username = ?" if username else "")
        return int(self.q(sql, *([username] if username else []))[0]["n"])

    def send_code(self, username: str) -> str:
        """A fresh six-digit code, "sent" to the user (kept in the outbox)."""
        code = f"{_csprng.randbelow(10**6):06d}"
        with self.lock:
            self.outbox.setdefault(username, []).append(code)
        if self.on_code is not None:
            self.on_code(username, code)
        return code

    # -- sessions ----------------------------------------------------------------------------------
    def new_session(self, challenge: str, data: Mapping[str, Any]) -> str:
        """A Session for ``challenge``; expired ones are purged as new ones are made."""
        sid = _csprng.token_urlsafe(48)
        expires = (self.now() + self.config.session_ttl).timestamp()
        self.q("DELETE FROM sessions WHERE expires < ?", self.now().timestamp())
        self.q("INSERT INTO sessions VALUES (?, ?, ?, ?)", sid, challenge, json.dumps(dict(data)), expires)
        return sid

    def peek_session(self, sid: object, challenge: str) -> dict[str, Any]:
        """The Session's data, for an answer to ``challenge``; it stays until :meth:`spend_session`."""
        if not isinstance(sid, str) or not sid:
            raise fail(InvalidParameterError, "Missing required parameter Session")
        rows = self.q("SELECT challenge, data, expires FROM sessions WHERE id = ?", sid)
        if not rows or rows[0]["challenge"] != challenge:
            raise fail(NotAuthorizedError, "Invalid session for the user.")
        if rows[0]["expires"] < self.now().timestamp():
            self.q("DELETE FROM sessions WHERE id = ?", sid)
            raise fail(NotAuthorizedError, "Invalid session for the user, session is expired.")
        data: dict[str, Any] = json.loads(rows[0]["data"])
        data["_sid"] = sid
        return data

    def spend_session(self, sid: str | None) -> None:
        """Spend a Session as its answer succeeds; a Session spent already (a race) is refused."""
        if sid is not None and self.changed("DELETE FROM sessions WHERE id = ?", sid) != 1:
            raise fail(NotAuthorizedError, "Invalid session for the user.")

    def update_session(self, sid: str, data: Mapping[str, Any]) -> None:
        self.q(
            "UPDATE sessions SET data = ? WHERE id = ?", json.dumps({k: v for k, v in data.items() if k != "_sid"}), sid
        )
