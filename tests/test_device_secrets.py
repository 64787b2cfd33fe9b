"""DeviceSecrets: the ConfirmDevice verifier, byte-exact with AWS's JS client."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import srp_device
from srp_device import DeviceSecrets, SrpDeviceError
from srp_device._encoding import from_java_bytes, pad

from .vectors import load_vectors, vector_ids

JS_VERIFIERS = load_vectors("device_verifier.json")
DEVICE_KEY = "us-east-1_8c0f1f86-5b2e-4e5a-9d2b-0e6f4c1d2a3b"
GROUP_KEY = "-nNwnPidS"


@pytest.mark.parametrize("v", JS_VERIFIERS, ids=vector_ids)
def test_from_parts_matches_aws_js_client(v: dict, backend: str) -> None:
    s = DeviceSecrets.from_parts(
        device_key=v["device_key"],
        device_group_key=v["device_group_key"],
        device_password=v["device_password"],
        salt=bytes.fromhex(v["salt_random_hex"]),
        backend=backend,
    )
    assert s.verifier_config == {"PasswordVerifier": v["PasswordVerifier"], "Salt": v["Salt"]}
    assert s.salt.hex() == v["salt_hex"]
    assert s.verifier.hex() == v["verifier_hex"]
    # the JS client's device password is base64 of the 40 random bytes it drew
    assert base64.b64decode(v["device_password"]) == bytes.fromhex(v["password_random_hex"])


def _sent(v: dict, member: str) -> bytes:
    return base64.b64decode(v[member])


@pytest.mark.parametrize(
    ("vector_id", "check"),
    [
        ("salt-top-bit-set", lambda v: len(_sent(v, "Salt")) == 17 and _sent(v, "Salt")[0] == 0),
        ("salt-leading-zero-byte", lambda v: len(_sent(v, "Salt")) == 15),
        ("salt-zero-byte-then-top-bit", lambda v: _sent(v, "Salt") == bytes.fromhex(v["salt_random_hex"])),
        ("verifier-top-bit-set", lambda v: len(_sent(v, "PasswordVerifier")) == 385),
        ("verifier-one-leading-zero-byte", lambda v: len(_sent(v, "PasswordVerifier")) == 383),
        ("verifier-two-leading-zero-bytes", lambda v: len(_sent(v, "PasswordVerifier")) == 382),
        ("verifier-odd-length-hex", lambda v: len(format(int(v["verifier_hex"], 16), "x")) % 2 == 1),
        ("salt-odd-length-hex", lambda v: len(format(int(v["salt_hex"], 16), "x")) % 2 == 1),
    ],
)
def test_targeted_edge_cases_are_in_the_vectors(vector_id: str, check) -> None:  # type: ignore[no-untyped-def]
    (v,) = [v for v in JS_VERIFIERS if v["id"] == vector_id]
    assert check(v)


def test_vectors_cover_regions_and_dashed_group_keys() -> None:
    regions = {v["device_key"].split("_")[0] for v in JS_VERIFIERS}
    assert len(regions) >= 5
    assert all(v["device_group_key"].startswith("-") for v in JS_VERIFIERS)
    assert len(JS_VERIFIERS) >= 300


def test_ryanmab_published_verifier(backend: str) -> None:
    """White-box through _srp: the crate's DeviceKey ("mock-device-key") is outside the API
    pattern that DeviceSecrets enforces, and its salt is 32 ASCII bytes sent as they are."""
    from srp_device import _srp
    from srp_device.modexp import get_backend

    (v,) = [v for v in load_vectors("ryanmab_aws_cognito_srp.json") if v["kind"] == "device_verifier"]
    salt = base64.b64decode(v["Salt"])
    x = _srp.compute_x(
        salt=from_java_bytes(salt), pool=v["device_group_key"], identity=v["device_key"], password=v["device_password"]
    )
    verifier = _srp.compute_verifier(x, backend=get_backend(backend))
    assert base64.b64encode(pad(verifier)).decode() == v["PasswordVerifier"]


# ---- properties -----------------------------------------------------------------------

device_keys = st.builds(
    lambda region, hexpart: f"{region}_{hexpart}",
    st.sampled_from(["us-east-1", "eu-west-2", "ap-south-1"]),
    st.text("0123456789abcdef-", min_size=1, max_size=40),
)
group_keys = st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s)


@given(key=device_keys, group=group_keys, pw=st.text(min_size=1, max_size=64), salt=st.binary(min_size=16, max_size=16))
def test_from_parts_properties(key: str, group: str, pw: str, salt: bytes) -> None:
    s = DeviceSecrets.from_parts(device_key=key, device_group_key=group, device_password=pw, salt=salt)
    v = from_java_bytes(s.verifier)
    assert 0 < v < srp_device.N
    assert pad(v) == s.verifier
    salt_int = from_java_bytes(s.salt)
    assert salt_int == int.from_bytes(salt, "big") and salt_int >= 0
    assert pad(salt_int) == s.salt  # canonical: no redundant zero byte, sign byte when needed
    assert len(s.salt) <= 17
    again = DeviceSecrets.from_parts(device_key=key, device_group_key=group, device_password=pw, salt=salt)
    assert again == s
    config = s.verifier_config
    assert base64.b64decode(config["Salt"]) == s.salt
    assert base64.b64decode(config["PasswordVerifier"]) == s.verifier


def test_generate_draws_fresh_secrets() -> None:
    a = DeviceSecrets.generate(device_key=DEVICE_KEY, device_group_key=GROUP_KEY)
    b = DeviceSecrets.generate(device_key=DEVICE_KEY, device_group_key=GROUP_KEY)
    assert a.device_password != b.device_password
    assert a.salt != b.salt and a.verifier != b.verifier
    assert len(a.device_password) == 56 and len(base64.b64decode(a.device_password)) == 40
    assert 15 <= len(a.salt) <= 17 or int.from_bytes(a.salt, "big") < 2**112


def test_generate_is_consistent_with_from_parts() -> None:
    a = DeviceSecrets.generate(device_key=DEVICE_KEY, device_group_key=GROUP_KEY)
    b = DeviceSecrets.from_parts(
        device_key=DEVICE_KEY, device_group_key=GROUP_KEY, device_password=a.device_password, salt=a.salt
    )
    assert a == b


# ---- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"device_key": 123},
        {"device_group_key": None},
        {"device_password": b"bytes"},
        {"salt": "00ff"},
    ],
)
def test_wrong_types_raise_type_error(kwargs: dict) -> None:
    args = {"device_key": DEVICE_KEY, "device_group_key": GROUP_KEY, "device_password": "pw", "salt": b"\x01" * 16}
    args.update(kwargs)
    with pytest.raises(TypeError):
        DeviceSecrets.from_parts(**args)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("device_key", ""),
        ("device_key", "no-underscore"),
        ("device_key", "us-east-1_XYZ"),  # upper-case is outside [0-9a-f-]
        ("device_key", "us-east-1_" + "a" * 50),  # 60 chars > 55
        ("device_key", "us east-1_abc"),
        ("device_group_key", ""),
        ("device_password", ""),
        ("salt", b""),
    ],
)
def test_bad_values_raise_validation_error_naming_the_field(field: str, value: object) -> None:
    args = {"device_key": DEVICE_KEY, "device_group_key": GROUP_KEY, "device_password": "pw", "salt": b"\x01" * 16}
    args[field] = value
    with pytest.raises(SrpDeviceError) as info:
        DeviceSecrets.from_parts(**args)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert info.value.field == field  # type: ignore[attr-defined]
    assert field in str(info.value)


def test_generate_validates_before_drawing() -> None:
    with pytest.raises(ValueError, match="device_key"):
        DeviceSecrets.generate(device_key="bad", device_group_key=GROUP_KEY)


# ---- secrets stay secret --------------------------------------------------------------------


def test_password_never_in_repr_or_str() -> None:
    s = DeviceSecrets.generate(device_key=DEVICE_KEY, device_group_key=GROUP_KEY)
    for text in (repr(s), str(s), f"{s}", repr([s]), repr({"d": s})):
        assert s.device_password not in text
        assert DEVICE_KEY in text


def test_errors_never_echo_the_password() -> None:
    secret = "hunter2-very-secret"
    with pytest.raises(SrpDeviceError) as info:
        DeviceSecrets.from_parts(device_key="bad key", device_group_key=GROUP_KEY, device_password=secret, salt=b"1")
    assert secret not in str(info.value) and secret not in repr(info.value)


def test_frozen() -> None:
    s = DeviceSecrets.generate(device_key=DEVICE_KEY, device_group_key=GROUP_KEY)
    with pytest.raises(AttributeError):
        s.device_password = "x"  # type: ignore[misc]


# ---- storage ---------------------------------------------------------------------------------------


def test_storage_round_trip() -> None:
    s = DeviceSecrets.generate(device_key=DEVICE_KEY, device_group_key=GROUP_KEY)
    text = s.to_json_including_password()
    record = json.loads(text)
    assert record["version"] == 1 and record["device_password"] == s.device_password
    assert DeviceSecrets.from_json(text) == s
    assert DeviceSecrets.from_json(text.encode()) == s


@given(salt=st.binary(min_size=1, max_size=32), pw=st.text(min_size=1))
def test_storage_round_trip_any_salt(salt: bytes, pw: str) -> None:
    s = DeviceSecrets.from_parts(device_key=DEVICE_KEY, device_group_key=GROUP_KEY, device_password=pw, salt=salt)
    assert DeviceSecrets.from_json(s.to_json_including_password()) == s


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r.update(version=2), "version"),
        (lambda r: r.pop("device_password"), "device_password"),
        (lambda r: r.update(salt="!!"), "salt"),
        (lambda r: r.update(salt=base64.b64encode(b"\x00\x01").decode()), "salt"),
        (lambda r: r.update(salt=base64.b64encode(b"\x80").decode()), "salt"),
        (lambda r: r.update(device_key="nope"), "device_key"),
    ],
)
def test_storage_rejects_bad_records(mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    s = DeviceSecrets.generate(device_key=DEVICE_KEY, device_group_key=GROUP_KEY)
    record = json.loads(s.to_json_including_password())
    mutate(record)
    with pytest.raises(ValueError, match=field) as info:
        DeviceSecrets.from_json(json.dumps(record))
    assert s.device_password not in str(info.value)


def test_storage_rejects_non_json() -> None:
    with pytest.raises(ValueError, match="record"):
        DeviceSecrets.from_json("{not json")
    with pytest.raises(ValueError, match="record"):
        DeviceSecrets.from_json("[]")
