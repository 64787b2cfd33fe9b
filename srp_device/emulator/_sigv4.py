"""Admin* calls are authenticated as the service authenticates them: a SigV4 signature, recomputed
with botocore's own signer over the request as received, with the emulator's credentials.

The credentials are ``PoolConfig.admin_credentials`` (default ``("local", "local")``, what
the examples and tests give boto3); the request's X-Amz-Date must be within 15 minutes of
the pool's clock. botocore comes with boto3 (``srp-device[demo]``); without it Admin* calls
are refused.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from ..exceptions import ServiceError
from ._errors import FailError

__all__ = ["SIGV4_SKEW", "verify_sigv4"]

SIGV4_SKEW = timedelta(minutes=15)
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/"
    r"aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*Signature=(?P<sig>[0-9a-f]{64})"
)


def _refuse(code: str, message: str) -> FailError:
    return FailError(ServiceError(message, code=code))


def verify_sigv4(
    headers: Mapping[str, str], path: str, body: bytes, credentials: tuple[str, str], now: datetime
) -> None:
    """Raise unless ``headers`` carry a valid SigV4 signature of this request by ``credentials``."""
    match = _AUTH.fullmatch(headers.get("authorization", "").strip())
    if match is None:
        raise _refuse("MissingAuthenticationTokenException", "Admin operations need a SigV4-signed request")
    if not hmac.compare_digest(match["key"].encode(), credentials[0].encode()):
        raise _refuse("UnrecognizedClientException", "The security token included in the request is invalid.")
    stamp = headers.get("x-amz-date", "")
    try:
        when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise _refuse("IncompleteSignatureException", "X-Amz-Date is missing or malformed") from None
    if abs(now - when) > SIGV4_SKEW or stamp[:8] != match["date"]:
        raise _refuse("InvalidSignatureException", "Signature expired: the request time is too far from now")
    signed = match["signed"].split(";")
    if "host" not in signed or any(h not in headers for h in signed):
        raise _refuse("IncompleteSignatureException", "SignedHeaders names a header the request lacks")
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:
        raise _refuse(
            "InternalErrorException", "verifying SigV4 needs botocore: pip install 'srp-device[demo]'"
        ) from None
    request = AWSRequest(
        method="POST", url=f"http://{headers['host']}{path}", data=body, headers={h: headers[h] for h in signed}
    )
    request.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(credentials[0], credentials[1]), match["service"], match["region"])
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected.encode(), match["sig"].encode()):
        raise _refuse(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )
