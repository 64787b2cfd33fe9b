"""LocalCognito: the pool, served on loopback in a background thread (or the foreground)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TextIO

from ..exceptions import ValidationError
from ..modexp import Backend, get_backend
from ._asgi import App, Server
from ._auth import Auth
from ._config import PoolConfig, UserSpec
from ._devices import Devices
from ._store import Store
from ._tokens import Tokens
from ._wire import Wire, routes

__all__ = ["LocalCognito"]


class LocalCognito:
    """A local user pool on loopback, started on ``__enter__`` (or :meth:`~srp_device.emulator.LocalCognito.start`).

    ``users`` maps usernames to passwords (or :class:`UserSpec`). ``db`` is ``":memory:"``
    or a file path (state survives a restart). ``port=0`` picks a free port.
    ``clock`` returns the aware "now" the pool uses (tests move it).
    """

    def __init__(
        self,
        users: Mapping[str, str | UserSpec] | None = None,
        *,
        config: PoolConfig | None = None,
        db: str = ":memory:",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] | None = None,
        backend: str | Backend | None = None,
        log: TextIO | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValidationError("host", "the emulator serves loopback only")
        self.config = config or PoolConfig()
        self._store = Store(
            self.config, users or {}, db, clock or (lambda: datetime.now(timezone.utc)), get_backend(backend)
        )
        self._tokens = Tokens(self._store)
        auth, devices = Auth(self._store, self._tokens), Devices(self._store, self._tokens)
        self._wire = Wire(routes(auth, devices), self._tokens, self.outbox)
        self._server = Server(App(self._wire, log), host, port)
        self._tokens.base_url = self.endpoint_url

    def __repr__(self) -> str:
        return f"LocalCognito(endpoint_url={self.endpoint_url!r}, user_pool_id={self.config.user_pool_id!r})"

    @property
    def endpoint_url(self) -> str:
        """The URL to give a client as its endpoint (``http://127.0.0.1:PORT``)."""
        host, port = self._server.address
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    @property
    def user_pool_id(self) -> str:
        """The pool's id, as :class:`PoolConfig` set it."""
        return self.config.user_pool_id

    @property
    def client_id(self) -> str:
        """The app client's id, as :class:`PoolConfig` set it."""
        return self.config.client_id

    @property
    def jwks_url(self) -> str:
        """Where the pool's signing keys are served (as the service serves them under its issuer)."""
        return f"{self.endpoint_url}/{self.config.user_pool_id}/.well-known/jwks.json"

    def on_code(self, callback: Callable[[str, str], None] | None) -> None:
        """Call ``callback(username, code)`` whenever an MFA code is "sent" (the CLI prints them)."""
        self._store.on_code = callback

    def start(self) -> LocalCognito:
        """Serve in a background thread (idempotent); returns self once it accepts connections."""
        self._server.start()
        return self

    def close(self) -> None:
        """Stop serving and close the store."""
        self._server.stop()
        self._store.close()

    def __enter__(self) -> LocalCognito:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def outbox(self, username: str) -> list[str]:
        """The MFA codes "sent" to a user, oldest first."""
        with self._store.lock:
            return list(self._store.outbox.get(username, []))

    def last_code(self, username: str) -> str:
        """The newest MFA code sent to ``username``."""
        codes = self.outbox(username)
        if not codes:
            raise ValidationError("username", "no MFA code was sent to this user")
        return codes[-1]

    def device_count(self, username: str | None = None) -> int:
        """Confirmed devices, for one user or all (for tests and the demo)."""
        return self._store.device_count(username)

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the CLI's mode)."""
        try:
            self._server.serve_forever()
        finally:
            self._server.stop()
            self._store.close()
