"""Bytes, hex, base64 and TIMESTAMP text exactly as Cognito's own clients produce them.

Every integer that goes into a hash or an HMAC is encoded as Java's
``BigInteger.toByteArray()``: minimal big-endian two's complement, so a positive value
whose top bit is set carries a ``0x00`` sign byte, and a negative value is written in
two's complement. AWS's JavaScript client calls the hex form of this ``padHex``.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timedelta, timezone

from .exceptions import ValidationError

__all__ = [
    "b64",
    "b64decode_lenient",
    "cognito_timestamp",
    "from_java_bytes",
    "pad",
    "pad_hex",
    "parse_cognito_timestamp",
    "parse_signed_hex",
    "utf8",
    "within_skew",
]

_SIGNED_HEX = re.compile(r"-?[0-9a-fA-F]+")
_B64_ALPHABET = re.compile(r"[A-Za-z0-9+/\-_]*={0,2}")

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # datetime.weekday() order
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIMESTAMP = re.compile(
    r"(?P<wd>[A-Z][a-z]{2}) (?P<mon>[A-Z][a-z]{2}) (?P<day>[1-9][0-9]?) "
    r"(?P<h>[0-9]{2}):(?P<m>[0-9]{2}):(?P<s>[0-9]{2}) UTC (?P<y>[0-9]{4})"
)


def _require_int(n: object, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, not {type(n).__name__}")
    return n


def pad(n: int) -> bytes:
    """pad(n) = Java BigInteger(n).toByteArray(): minimal big-endian two's complement.

    >>> pad(20).hex(), pad(236).hex(), pad(-20).hex(), pad(-236).hex(), pad(0).hex()
    ('14', '00ec', 'ec', 'ff14', '00')
    """
    _require_int(n)
    # Java: bitLength() (of ~n for negatives) / 8 + 1 bytes, so there is room for a sign bit.
    bits = n.bit_length() if n >= 0 else (~n).bit_length()
    length = bits // 8 + 1
    return n.to_bytes(length, "big", signed=True)


def from_java_bytes(data: bytes) -> int:
    """int(data) read as Java's new BigInteger(byte[]): big-endian two's complement."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    if len(data) == 0:
        raise ValidationError("data", "empty byte string is not an integer")
    return int.from_bytes(data, "big", signed=True)


def pad_hex(n: int) -> str:
    """pad_hex(n) = lower-case hex of pad(n), as AWS's JS client's padHex (which is upper/lower agnostic)."""
    return pad(n).hex()


def parse_signed_hex(text: object, field: str, *, error: type[ValidationError] = ValidationError) -> int:
    """int(text, 16) for the hex Cognito sends (SALT, SRP_B): optional leading '-', no prefix.

    Java's ``new BigInteger(text, 16)`` semantics: the digits are a magnitude, ``-`` makes
    it negative. Anything else (empty, ``0x``, spaces, underscores) is rejected, naming
    ``field``.
    """
    if not isinstance(text, str):
        raise error(field, f"must be a hex string, not {type(text).__name__}")
    if not _SIGNED_HEX.fullmatch(text):
        raise error(field, "must be hexadecimal digits with an optional leading '-'")
    return int(text, 16)


def b64(data: bytes) -> str:
    """Standard, padded base64 text of data."""
    return base64.b64encode(data).decode("ascii")


def b64decode_lenient(text: object, field: str, *, error: type[ValidationError] = ValidationError) -> bytes:
    """Decode standard or URL-safe base64, padded or not (as Amplify JS v6 accepts SECRET_BLOCK)."""
    if not isinstance(text, str):
        raise error(field, f"must be a base64 string, not {type(text).__name__}")
    if not text or not _B64_ALPHABET.fullmatch(text):
        raise error(field, "must be non-empty base64 (standard or URL-safe)")
    body = text.rstrip("=").replace("-", "+").replace("_", "/")
    if len(body) % 4 == 1:
        raise error(field, "base64 text has an impossible length")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error:  # pragma: no cover - excluded by the checks above
        raise error(field, "is not valid base64") from None


def cognito_timestamp(dt: datetime) -> str:
    """TIMESTAMP = Java "EEE MMM d HH:mm:ss z yyyy" in English, UTC: ``Tue Jan 2 03:04:05 UTC 2024``.

    Names come from fixed tables, never the locale; the day is not zero-padded; the
    hour is 00..23. ``dt`` must be timezone-aware (naive datetimes raise ValueError);
    it is converted to UTC first.
    """
    if not isinstance(dt, datetime):
        raise TypeError(f"dt must be a datetime, not {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValidationError("dt", "must be timezone-aware (a naive datetime has no defined UTC time)")
    u = dt.astimezone(timezone.utc)
    return (
        f"{_WEEKDAYS[u.weekday()]} {_MONTHS[u.month - 1]} {u.day} "
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d} UTC {u.year:04d}"
    )


def parse_cognito_timestamp(text: object, field: str = "TIMESTAMP") -> datetime:
    """The aware UTC datetime a canonical TIMESTAMP names; anything non-canonical raises.

    Canonical means: what :func:`cognito_timestamp` would render for that instant, so a
    zero-padded day or a wrong weekday is rejected, as the service rejects them.
    """
    if not isinstance(text, str):
        raise ValidationError(field, f"must be a string, not {type(text).__name__}")
    rule = "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english"
    m = _TIMESTAMP.fullmatch(text)
    if m is None or m["mon"] not in _MONTHS:
        raise ValidationError(field, rule)
    try:
        dt = datetime(
            int(m["y"]),
            _MONTHS.index(m["mon"]) + 1,
            int(m["day"]),
            int(m["h"]),
            int(m["m"]),
            int(m["s"]),
            tzinfo=timezone.utc,
        )
    except ValueError:
        raise ValidationError(field, rule) from None
    if cognito_timestamp(dt) != text:
        raise ValidationError(field, "weekday does not match the date")
    return dt


def within_skew(stamp: datetime, now: datetime, skew: timedelta) -> bool:
    """abs(stamp - now) <= skew."""
    return abs(stamp - now) <= skew


def utf8(text: str, field: str) -> bytes:
    """UTF-8 bytes of ``text``; a lone surrogate is a ValidationError naming ``field``.

    The error is raised outside the ``except`` block: UnicodeEncodeError carries the whole
    string (a password, say) and must not ride along as ``__context__``.
    """
    try:
        return text.encode()
    except UnicodeEncodeError:
        pass
    raise ValidationError(field, "must be valid Unicode text (it holds a lone surrogate)")
