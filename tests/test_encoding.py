"""pad (Java toByteArray), signed hex, lenient base64 and the TIMESTAMP text."""

from __future__ import annotations

import email.utils
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import srp_device
from srp_device._encoding import (
    b64decode_lenient,
    cognito_timestamp,
    from_java_bytes,
    pad,
    parse_cognito_timestamp,
    parse_signed_hex,
)
from srp_device.exceptions import ValidationError

from .vectors import iso_utc, load_vectors, vector_ids


@pytest.mark.parametrize("v", load_vectors("java_bytearray.json"), ids=vector_ids)
def test_pad_matches_java_table(v: dict) -> None:
    assert srp_device.pad_hex(v["n"]) == v["hex"].lower()
    assert from_java_bytes(bytes.fromhex(v["hex"])) == v["n"]


def _minimal_signed(n: int) -> bytes:
    """The shortest int.to_bytes(signed=True) that holds n: the definition, by search."""
    length = 1
    while True:
        try:
            return n.to_bytes(length, "big", signed=True)
        except OverflowError:
            length += 1


@given(st.integers(min_value=-(2**3100), max_value=2**3100))
def test_pad_is_minimal_signed_big_endian(n: int) -> None:
    assert pad(n) == _minimal_signed(n)
    assert from_java_bytes(pad(n)) == n


@given(st.integers(min_value=-(2**3100), max_value=2**3100))
def test_signed_hex_round_trip(n: int) -> None:
    text = format(n, "x")  # what Java's BigInteger.toString(16) sends
    assert parse_signed_hex(text, "X") == n
    assert parse_signed_hex(text.upper(), "X") == n


@pytest.mark.parametrize("bad", ["", "-", "0x12", "12 ", " 12", "1_2", "+12", "g1", "--1", "١٢"])
def test_signed_hex_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValidationError, match="SALT"):
        parse_signed_hex(bad, "SALT")


def test_signed_hex_rejects_non_strings() -> None:
    with pytest.raises(ValidationError, match="SRP_B"):
        parse_signed_hex(12, "SRP_B")


def test_pad_type_errors() -> None:
    with pytest.raises(TypeError):
        pad("12")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pad(True)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        srp_device.pad_hex(1.0)  # type: ignore[arg-type]


@given(st.binary(min_size=1, max_size=200))
def test_lenient_base64_accepts_all_four_forms(data: bytes) -> None:
    import base64

    std = base64.b64encode(data).decode()
    url = base64.urlsafe_b64encode(data).decode()
    for text in (std, std.rstrip("="), url, url.rstrip("=")):
        assert b64decode_lenient(text, "SECRET_BLOCK") == data


@pytest.mark.parametrize("bad", ["", "a", "ab$c", "abc===", "ab=c"])
def test_lenient_base64_rejects_garbage(bad: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_BLOCK"):
        b64decode_lenient(bad, "SECRET_BLOCK")


# ---- TIMESTAMP ------------------------------------------------------------------------
# email.utils.format_datetime is the stdlib's locale-free RFC 5322 renderer: an
# independent source for the English weekday and month names.


def _english_names(dt: datetime) -> tuple[str, str]:
    rfc = email.utils.format_datetime(dt)  # "Tue, 02 Jan 2024 03:04:05 +0000"
    return rfc[:3], rfc.split()[2]


@pytest.mark.parametrize("hour", range(24))
def test_timestamp_every_hour(hour: int) -> None:
    dt = datetime(2024, 1, 2, hour, 4, 5, tzinfo=timezone.utc)
    assert cognito_timestamp(dt) == f"Tue Jan 2 {hour:02d}:04:05 UTC 2024"


@pytest.mark.parametrize("day", range(1, 32))
def test_timestamp_every_day_not_zero_padded(day: int) -> None:
    dt = datetime(2024, 12, day, 0, 0, 9, tzinfo=timezone.utc)
    wd, mon = _english_names(dt)
    assert cognito_timestamp(dt) == f"{wd} {mon} {day} 00:00:09 UTC 2024"


@pytest.mark.parametrize("month", range(1, 13))
def test_timestamp_every_month(month: int) -> None:
    dt = datetime(2023, month, 15, 23, 59, 59, tzinfo=timezone.utc)
    wd, mon = _english_names(dt)
    assert cognito_timestamp(dt) == f"{wd} {mon} 15 23:59:59 UTC 2023"


@pytest.mark.parametrize("offset", range(7))
def test_timestamp_every_weekday(offset: int) -> None:
    dt = datetime(2024, 1, 1, 12, 0, 0, tzinfo=timezone.utc) + timedelta(days=offset)
    wd, _ = _english_names(dt)
    assert cognito_timestamp(dt).split()[0] == wd


def test_timestamp_converts_to_utc() -> None:
    est = timezone(timedelta(hours=-5))
    assert cognito_timestamp(datetime(2024, 1, 1, 22, 30, 0, tzinfo=est)) == "Tue Jan 2 03:30:00 UTC 2024"


def test_timestamp_needs_aware_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        srp_device.cognito_timestamp(datetime(2024, 1, 2, 3, 4, 5))
    with pytest.raises(TypeError):
        srp_device.cognito_timestamp("2024-01-02")  # type: ignore[arg-type]


@pytest.mark.parametrize("v", [v for v in load_vectors("device_auth.json") if "error" not in v], ids=vector_ids)
def test_timestamp_matches_aws_js_date_helper(v: dict) -> None:
    sent = v["device_password_verifier_request"]["ChallengeResponses"]["TIMESTAMP"]
    assert cognito_timestamp(iso_utc(v["now"])) == sent
    assert parse_cognito_timestamp(sent) == iso_utc(v["now"]).replace(microsecond=0)


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(timezone.utc)))
def test_timestamp_parse_round_trip(dt: datetime) -> None:
    assert parse_cognito_timestamp(cognito_timestamp(dt)) == dt.replace(microsecond=0)


@pytest.mark.parametrize(
    "bad",
    [
        "Tue Jan 02 03:04:05 UTC 2024",  # zero-padded day
        "Wed Jan 2 03:04:05 UTC 2024",  # wrong weekday
        "Tue Jan 2 24:04:05 UTC 2024",  # hour 24
        "Tue Jan 2 3:04:05 UTC 2024",  # unpadded hour
        "Tue Jan 2 03:04:05 GMT 2024",
        "Di. Jan 2 03:04:05 UTC 2024",
        "Tue Foo 2 03:04:05 UTC 2024",
        "Tue Feb 30 03:04:05 UTC 2024",
        "",
    ],
)
def test_timestamp_parse_rejects_non_canonical(bad: str) -> None:
    with pytest.raises(ValidationError, match="TIMESTAMP"):
        parse_cognito_timestamp(bad)
