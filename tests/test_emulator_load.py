"""The emulator under load, faults and hostile input: the figures of the load-and-fault issue.

Loopback only, every loop bounded in count and time. Marked ``load`` (deselect locally
with ``-m "not load"``); CI runs them. Each test prints its figure.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srp_device import DeviceSecrets, UserAuth, api, flows
from srp_device.emulator import LocalCognito, PoolConfig, UserSpec

pytestmark = pytest.mark.load
PASSWORD = "Correct-Horse-9"
TARGET = "AWSCognitoIdentityProviderService."


def _client(c: LocalCognito, pool: int = 10) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=c.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}, max_pool_connections=pool),
    )


def _figure(name: str, value: object) -> None:
    print(f"\nFIGURE {name}: {value}")


@pytest.fixture
def cognito() -> Iterator[LocalCognito]:
    users = {f"user{i}": UserSpec(PASSWORD, mfa=False) for i in range(20)}
    with LocalCognito(users, config=PoolConfig(device_tracking="always")) as c:
        yield c


def test_1000_device_sign_ins_from_200_threads(cognito: LocalCognito) -> None:
    client = _client(cognito, pool=200)
    devices: dict[str, Any] = {}
    for i in range(20):
        kw = dict(
            user_pool_id=cognito.user_pool_id, client_id=cognito.client_id, username=f"user{i}", password=PASSWORD
        )
        devices[f"user{i}"] = flows.sign_in(client, **kw).device
    errors: list[BaseException] = []

    def one(n: int) -> None:
        name = f"user{n % 20}"
        try:
            result = flows.sign_in(
                client,
                user_pool_id=cognito.user_pool_id,
                client_id=cognito.client_id,
                username=name,
                password=PASSWORD,
                device=devices[name],
            )
            assert result.steps[-1] == "DEVICE_PASSWORD_VERIFIER" and not result.forgot_stale_device
        except BaseException as exc:  # counted, not raised: the figure is the count
            errors.append(exc)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=200) as pool:
        list(pool.map(one, range(1000)))
    _figure("1000 device sign-ins from 200 threads", f"{len(errors)} errors in {time.perf_counter() - started:.1f} s")
    assert errors == []


def test_200_connections_opened_at_once_are_all_answered(cognito: LocalCognito) -> None:
    host, port = cognito.endpoint_url.rsplit("//", 1)[1].rsplit(":", 1)
    body = json.dumps(
        {
            "ClientId": cognito.client_id,
            "AuthFlow": "USER_SRP_AUTH",
            "AuthParameters": {"USERNAME": "user0", "SRP_A": format(2**200 + 7, "x")},
        }
    )
    barrier = threading.Barrier(200)
    timings: list[float] = []
    failures: list[str] = []

    def one() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            barrier.wait(timeout=30)
            started = time.perf_counter()
            connection.request(
                "POST",
                "/",
                body,
                {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + "InitiateAuth"},
            )
            answer = connection.getresponse()
            answer.read()
            timings.append(time.perf_counter() - started)
            if answer.status != 200:
                failures.append(str(answer.status))
        except OSError as exc:
            failures.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    _figure("200 connections at once", f"{len(timings)} answered, {len(failures)} failed, slowest {max(timings):.2f} s")
    assert failures == [] and len(timings) == 200 and max(timings) <= 3.0


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_40_connections_of_maximal_headers_cost_little_memory(cognito: LocalCognito) -> None:
    host, port = cognito.endpoint_url.rsplit("//", 1)[1].rsplit(":", 1)
    before = _rss()
    value = "x" * 65536

    def one() -> None:
        with socket.create_connection((host, int(port)), timeout=10) as s:
            try:
                s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
                for i in range(100):
                    s.sendall(f"X-Big-{i}: {value}\r\n".encode())
                s.sendall(b"\r\n")
                s.recv(1024)
            except OSError:
                pass  # the server closes an over-long head: that is the point

    with ThreadPoolExecutor(max_workers=40) as pool:
        list(pool.map(lambda _: one(), range(40)))
    grown = (_rss() - before) / 2**20
    status, _ = _post(cognito, "ListDevices", {"AccessToken": "x.y.z"})
    _figure("40 connections of maximal headers", f"RSS grew {grown:.1f} MiB; still serving: HTTP {status}")
    assert grown <= 100 and status == 400


def _post(c: LocalCognito, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    host, port = c.endpoint_url.rsplit("//", 1)[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(
            "POST",
            "/",
            json.dumps(body),
            {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + operation},
        )
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        connection.close()


def test_10000_unanswered_sign_ins_are_forgotten_once_expired() -> None:
    now = [datetime.now(timezone.utc)]
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, clock=lambda: now[0]) as c:
        host, port = c.endpoint_url.rsplit("//", 1)[1].rsplit(":", 1)
        size_before = c._store.q("SELECT COUNT(*) AS n FROM sessions")[0]["n"]
        body = json.dumps(
            {
                "ClientId": c.client_id,
                "AuthFlow": "USER_SRP_AUTH",
                "AuthParameters": {"USERNAME": "bob", "SRP_A": format(2**200 + 7, "x")},
            }
        )

        def burst(n: int) -> int:
            connection = http.client.HTTPConnection(host, int(port), timeout=30)  # keep-alive: one connection
            ok = 0
            for _ in range(n):
                connection.request("POST", "/", body, {"X-Amz-Target": TARGET + "InitiateAuth"})
                answer = connection.getresponse()
                answer.read()
                ok += answer.status == 200
            connection.close()
            return ok

        with ThreadPoolExecutor(max_workers=4) as pool:
            assert sum(pool.map(burst, [2500] * 4)) == 10_000
        held = c._store.q("SELECT COUNT(*) AS n FROM sessions")[0]["n"]
        now[0] += c.config.session_ttl + timedelta(seconds=1)
        burst(1)
        after = c._store.q("SELECT COUNT(*) AS n FROM sessions")[0]["n"] - 1  # less the one just made
        _figure("10,000 unanswered sign-ins", f"held {held} sessions; after expiry {after} (before: {size_before})")
        assert held == 10_000 and after == size_before


def _confirm(client: Any, barrier: threading.Barrier, token: str, secrets: DeviceSecrets) -> bool:
    barrier.wait(timeout=30)
    try:
        client.confirm_device(**api.confirm_device(token, secrets))
        return True
    except client.exceptions.DeviceKeyExistsException:
        return False


def test_20_concurrent_confirmations_of_one_key_have_one_winner(cognito: LocalCognito) -> None:
    client = _client(cognito, pool=40)
    wins: list[int] = []
    for round_ in range(10):
        user = UserAuth(cognito.user_pool_id, cognito.client_id, "user1", PASSWORD)
        result = client.respond_to_auth_challenge(
            **user.respond_to_password_verifier(client.initiate_auth(**user.initiate_auth()))
        )
        tokens = result["AuthenticationResult"]
        meta = api.new_device_metadata(result)
        assert meta is not None
        candidates = [
            DeviceSecrets.generate(device_key=meta.device_key, device_group_key=meta.device_group_key)
            for _ in range(20)
        ]
        confirm = functools.partial(_confirm, client, threading.Barrier(20), tokens["AccessToken"])
        with ThreadPoolExecutor(max_workers=20) as pool:
            outcome = list(pool.map(confirm, candidates))
        wins.append(sum(outcome))
        winner = candidates[outcome.index(True)]
        signed = flows.sign_in(
            client,
            user_pool_id=cognito.user_pool_id,
            client_id=cognito.client_id,
            username="user1",
            password=PASSWORD,
            device=winner,
        )
        assert signed.steps[-1] == "DEVICE_PASSWORD_VERIFIER", round_
    _figure("20 concurrent ConfirmDevice on one key, 10 rounds", f"successes per round {wins}")
    assert wins == [1] * 10


def _launch(*args: str, stderr: int = subprocess.DEVNULL) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """``srp-device emulator ARGS`` on a free port, and the start-up JSON it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "srp_device", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "}\n":
        line = proc.stdout.readline()
        assert line, "the emulator did not start"
        lines.append(line)
    return proc, json.loads("".join(lines))


def _sign_in_until(client: Any, info: dict[str, Any], stop: threading.Event, acknowledged: list[str]) -> None:
    """Sign in (a new device each time) until stopped or the server dies; record acknowledged devices."""
    while not stop.is_set():
        try:
            result = flows.sign_in(
                client,
                user_pool_id=info["user_pool_id"],
                client_id=info["client_id"],
                username="bob",
                password=PASSWORD,
            )
        except Exception:
            return  # the server was killed mid-call: that device was never acknowledged
        if result.new_device and result.device is not None:
            acknowledged.append(result.device.device_key)  # ConfirmDevice answered 200


def test_kill_9_under_load_loses_no_acknowledged_device(tmp_path: Path) -> None:
    db, config = tmp_path / "pool.sqlite3", tmp_path / "pool.json"
    config.write_text(json.dumps({"users": {"bob": {"password": PASSWORD, "mfa": False}}, "device_tracking": "always"}))
    acknowledged: list[str] = []
    for _ in range(3):
        proc, info = _launch("--db", str(db), "--config", str(config))
        client = boto3.client(
            "cognito-idp",
            endpoint_url=info["endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
        )
        stop = threading.Event()
        load = functools.partial(_sign_in_until, client, info, stop, acknowledged)
        workers = [threading.Thread(target=load) for _ in range(4)]
        for w in workers:
            w.start()
        time.sleep(1.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        assert proc.stdout is not None
        proc.stdout.close()
        stop.set()
        for w in workers:
            w.join(30)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT device_key FROM devices WHERE confirmed = 1")}
    lost = [k for k in acknowledged if k not in stored]
    _figure("kill -9 under load, 3 times", f"{len(acknowledged)} devices acknowledged, {len(lost)} lost, integrity ok")
    assert acknowledged and lost == []


_OPS = st.sampled_from(
    [
        "InitiateAuth",
        "RespondToAuthChallenge",
        "ConfirmDevice",
        "ListDevices",
        "AdminListDevices",
        "GetDevice",
        "Nope",
        "",
        "AWSCognitoIdentityProviderService",
    ]
)
_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    op=_OPS,
    body=st.one_of(_JSONISH.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300)),
    extra=st.dictionaries(
        st.sampled_from(
            ["Content-Type", "Authorization", "X-Amz-Date", "Transfer-Encoding", "Content-Encoding", "Expect"]
        ),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
        max_size=3,
    ),
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE"]),
    target=st.sampled_from(["/", "/x", "/_local/outbox", "/us-east-1_LocalPool1/.well-known/jwks.json", "//"]),
)
def test_fuzzed_http_never_gets_a_5xx(
    cognito: LocalCognito, op: str, body: bytes, extra: dict[str, str], method: str, target: str
) -> None:
    host, port = cognito.endpoint_url.rsplit("//", 1)[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        headers = {"X-Amz-Target": TARGET + op, **extra}
        connection.request(method, target, body, headers)
        answer = connection.getresponse()
        answer.read()
        assert answer.status < 500, (answer.status, op, extra)
    except (http.client.HTTPException, ConnectionError):
        pass  # the server may close a connection it refuses; the next request must still be served
    finally:
        connection.close()
    assert _post(cognito, "ListDevices", {"AccessToken": "x.y.z"})[0] == 400  # still serving


# ---- hostile requests one at a time ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "srp_a",
    ["zz", "0", "", format(int("F" * 768, 16), "x") + "00", None, 5],
)
def test_srp_a_is_checked_at_initiate_auth(cognito: LocalCognito, srp_a: Any) -> None:
    from srp_device.modexp import N

    value = format(N, "x") if srp_a == "0" else srp_a  # N itself: A = 0 mod N
    status, body = _post(
        cognito,
        "InitiateAuth",
        {
            "ClientId": cognito.client_id,
            "AuthFlow": "USER_SRP_AUTH",
            "AuthParameters": {"USERNAME": "user0", "SRP_A": value},
        },
    )
    assert status == 400 and body["__type"] == "InvalidParameterException", body


def test_jwts_are_decoded_strictly(cognito: LocalCognito) -> None:
    client = _client(cognito)
    token = flows.sign_in(
        client, user_pool_id=cognito.user_pool_id, client_id=cognito.client_id, username="user0", password=PASSWORD
    ).access_token
    assert _post(cognito, "ListDevices", {"AccessToken": token})[0] == 200
    head, body, sig = token.split(".")
    for forged in (
        token + "=",
        token + "==x",
        token + "A",
        f"{head}.{body}.{sig}=",
        f"{head}=.{body}.{sig}",
        f"{head}.{body}.",
        f"{head}.{body}.{sig[:-1]}",
        "a.b.c",
        token.replace(".", "..", 1),
    ):
        status, answer = _post(cognito, "ListDevices", {"AccessToken": forged})
        assert status == 400 and answer["__type"] == "NotAuthorizedException", forged


def test_ipv6_loopback_serves_when_asked() -> None:
    if not socket.has_ipv6:
        pytest.skip("this Python has no IPv6")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}, host="::1") as c:
        assert c.endpoint_url.startswith("http://[::1]:")
        result = flows.sign_in(
            _client(c), user_pool_id=c.user_pool_id, client_id=c.client_id, username="bob", password=PASSWORD
        )
        assert result.device is not None


def test_a_slow_body_is_timed_out_and_disconnects_print_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from srp_device.emulator import _asgi

    monkeypatch.setattr(_asgi, "READ_TIMEOUT", 0.5)
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}) as c:
        host, port = c.endpoint_url.rsplit("//", 1)[1].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            answer = s.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408")
        for _ in range(20):  # abrupt disconnects mid-request
            with socket.create_connection((host, int(port)), timeout=10) as s:
                s.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"a"')
        assert _post(c, "ListDevices", {"AccessToken": "x.y.z"})[0] == 400  # still serving


def test_the_shell_emulator_prints_no_traceback_on_disconnects(tmp_path: Path) -> None:
    proc, info = _launch(stderr=subprocess.PIPE)
    url = info["endpoint_url"]
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    for request in (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{",
        b"GARBAGE\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: \xc2\xb2\r\n\r\n",
        b"GET /" + b"a" * 70000,
    ):
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(request)
    time.sleep(0.5)
    proc.terminate()
    _, stderr = proc.communicate(timeout=30)
    assert "Traceback" not in stderr and "Exception" not in stderr, stderr


def test_a_request_head_that_trickles_in_is_timed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    from srp_device.emulator import _asgi

    monkeypatch.setattr(_asgi, "READ_TIMEOUT", 0.5)
    with LocalCognito({"bob": UserSpec(PASSWORD, mfa=False)}) as c:
        host, port = c.endpoint_url.rsplit("//", 1)[1].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # ... and the rest never comes
            started = time.monotonic()
            assert s.recv(4096) == b""  # the server closed it
            assert time.monotonic() - started < 5
        assert _post(c, "ListDevices", {"AccessToken": "x.y.z"})[0] == 400  # and keeps serving
