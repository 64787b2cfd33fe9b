"""DeviceAuth and UserAuth against AWS's JS client and the published vectors."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest

from srp_device import DeviceAuth, DeviceSecrets, InvalidChallengeError, UserAuth, _srp
from srp_device._encoding import from_java_bytes, pad, parse_signed_hex
from srp_device.modexp import get_backend

from .vectors import iso_utc, load_vectors, vector_ids

DEVICE_VECTORS = load_vectors("device_auth.json")
USER_VECTORS = load_vectors("user_auth.json")
JS_CLIENT_ID = "vectorsclientid0000000000"


def _js_request(request: dict) -> dict:
    """The members of a JS request that a boto3 call carries (JS adds ClientMetadata: undefined/{})."""
    return {k: request[k] for k in ("ClientId", "ChallengeName", "Session", "ChallengeResponses")}


def _device(v: dict) -> DeviceSecrets:
    return DeviceSecrets.from_parts(
        device_key=v["device_key"],
        device_group_key=v["device_group_key"],
        device_password=v["device_password"],
        salt=bytes.fromhex(v["salt_random_hex"]),
    )


@pytest.mark.parametrize("v", DEVICE_VECTORS, ids=vector_ids)
def test_device_flow_matches_aws_js_client(v: dict, backend: str) -> None:
    auth = DeviceAuth(_device(v), JS_CLIENT_ID, ephemeral=int(v["a_hex"], 16), backend=backend)
    srp_step = auth.respond_to_device_srp_auth(
        {
            "ChallengeName": "DEVICE_SRP_AUTH",
            "ChallengeParameters": {"USERNAME": v["username"]},
            "Session": "device-session-1",
        }
    )
    assert auth.srp_a == v["SRP_A"]
    assert srp_step == _js_request(v["device_srp_auth_request"])
    challenge = {
        "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
        "ChallengeParameters": v["ChallengeParameters"],
        "Session": "device-session-2",
    }
    if "error" in v:
        with pytest.raises(InvalidChallengeError, match="SRP_B"):
            auth.respond_to_device_password_verifier(challenge, now=iso_utc(v["now"]))
        return
    answer = auth.respond_to_device_password_verifier(challenge, now=iso_utc(v["now"]))
    assert answer == _js_request(v["device_password_verifier_request"])


@pytest.mark.parametrize("v", [v for v in DEVICE_VECTORS if "error" not in v], ids=vector_ids)
def test_device_flow_intermediate_values(v: dict) -> None:
    """White-box: u, S and the HKDF key, formula by formula, against the JS client's own."""
    be = get_backend("auto")
    a = int(v["a_hex"], 16)
    big_b = parse_signed_hex(v["ChallengeParameters"]["SRP_B"], "SRP_B")
    u = _srp.compute_u(big_a=_srp.compute_a_public(a, backend=be), big_b=big_b)
    x = _srp.compute_x(
        salt=parse_signed_hex(v["ChallengeParameters"]["SALT"], "SALT"),
        pool=v["device_group_key"],
        identity=v["device_key"],
        password=v["device_password"],
    )
    s = _srp.compute_s_client(big_b=big_b, x=x, a=a, u=u, backend=be)
    assert format(u, "x") == v["u_hex"]
    assert format(s, "x") == v["S_hex"]
    assert _srp.derive_key(s=s, u=u).hex() == v["key_hex"]


@pytest.mark.parametrize("v", [v for v in DEVICE_VECTORS if "error" not in v], ids=vector_ids)
def test_server_side_reproduces_b_salt_and_accepts_js_signature(v: dict) -> None:
    from srp_device import SrpServer

    server = SrpServer(
        pool=v["device_group_key"],
        identity=v["device_key"],
        salt=base64.b64decode(v["Salt"]),
        verifier=pad(int(v["verifier_hex"], 16)),
        ephemeral=int(v["b_hex"], 16),
        secret_block=base64.b64decode(v["ChallengeParameters"]["SECRET_BLOCK"]),
    )
    assert server.srp_b == v["ChallengeParameters"]["SRP_B"]
    assert server.salt_hex == v["ChallengeParameters"]["SALT"]  # negative SALT included
    sent = v["device_password_verifier_request"]["ChallengeResponses"]
    server.verify(
        srp_a=v["SRP_A"],
        secret_block=sent["PASSWORD_CLAIM_SECRET_BLOCK"],
        timestamp=sent["TIMESTAMP"],
        signature=sent["PASSWORD_CLAIM_SIGNATURE"],
        now=iso_utc(v["now"]),
    )


def test_vectors_cover_the_targeted_cases() -> None:
    ids = {v["id"] for v in DEVICE_VECTORS}
    for target in (
        "A-top-bit-set",
        "A-leading-zero-byte",
        "B-top-bit-set",
        "B-leading-zero-byte",
        "B-odd-length-hex",
        "u-top-bit-set",
        "u-leading-zero-byte",
        "S-top-bit-set",
        "S-leading-zero-byte",
        "SALT-odd-length-hex",
        "negative-SALT-0",
        "error-B-zero-mod-N-0",
    ):
        assert target in ids
    assert sum(1 for v in DEVICE_VECTORS if v["id"].startswith("seeded-")) >= 200
    negatives = [v for v in DEVICE_VECTORS if v["id"].startswith("negative-SALT")]
    assert negatives and all(v["ChallengeParameters"]["SALT"].startswith("-") for v in negatives)
    by_id = {v["id"]: v for v in DEVICE_VECTORS}
    assert len(by_id["S-leading-zero-byte"]["S_hex"]) <= 766
    assert int(by_id["S-top-bit-set"]["S_hex"][0], 16) >= 8 and len(by_id["S-top-bit-set"]["S_hex"]) == 768
    assert len(by_id["u-leading-zero-byte"]["u_hex"]) <= 62
    assert len(by_id["A-leading-zero-byte"]["SRP_A"]) <= 766


@pytest.mark.parametrize("v", USER_VECTORS, ids=vector_ids)
def test_user_flow_matches_aws_js_client(v: dict, backend: str) -> None:
    user = UserAuth(
        user_pool_id=v["user_pool_id"],
        client_id=JS_CLIENT_ID,
        username=v["username"],
        password=v["password"],
        ephemeral=int(v["a_hex"], 16),
        backend=backend,
    )
    initiate = user.initiate_auth()
    js = v["initiate_auth_request"]
    assert initiate == {"AuthFlow": js["AuthFlow"], "ClientId": js["ClientId"], "AuthParameters": js["AuthParameters"]}
    answer = user.respond_to_password_verifier(
        {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": v["ChallengeParameters"],
            "Session": "user-session-1",
        },
        now=iso_utc(v["now"]),
    )
    assert answer == _js_request(v["password_verifier_request"])


# ---- published vectors ------------------------------------------------------------------------------


def _by_kind(name: str, kind: str) -> list[dict]:
    return [v for v in load_vectors(name) if v["kind"] == kind]


@pytest.mark.parametrize("v", _by_kind("ryanmab_aws_cognito_srp.json", "device_signature"), ids=vector_ids)
def test_ryanmab_device_signature(v: dict, backend: str) -> None:
    """White-box through the signing core: the crate's keys are outside the API's DeviceKey pattern."""
    from srp_device._auth import _Ephemeral

    eph = _Ephemeral(int(v["a_hex"], 16), 256, get_backend(backend))
    # the crate sends its SECRET_BLOCK text through base64 decoding, as the service's block is
    _, signature = eph.signature(
        {"SRP_B": v["SRP_B"], "SALT": v["SALT"], "SECRET_BLOCK": v["SECRET_BLOCK"]},
        pool=v["device_group_key"],
        identity=v["device_key"],
        password=v["device_password"],
        timestamp=v["TIMESTAMP"],
    )
    assert signature == v["PASSWORD_CLAIM_SIGNATURE"]


def test_ryanmab_srp_a() -> None:
    (v,) = _by_kind("ryanmab_aws_cognito_srp.json", "srp_a")
    secrets = DeviceSecrets.from_parts(
        device_key="us-west-2_0a", device_group_key="-g", device_password="p", salt=b"\x01"
    )
    assert DeviceAuth(secrets, "client", ephemeral=int(v["a_hex"], 16)).srp_a == v["SRP_A"]


def test_dotnet_password_authentication_key() -> None:
    (v,) = _by_kind("dotnet_extension.json", "user_key")
    be = get_backend("auto")
    a = int(v["a_hex"], 16)
    big_b = int(v["SRP_B"], 16)
    u = _srp.compute_u(big_a=_srp.compute_a_public(a, backend=be), big_b=big_b)
    x = _srp.compute_x(
        salt=int(v["salt_hex"], 16), pool=v["pool_name"], identity=v["user_id_for_srp"], password=v["password"]
    )
    s = _srp.compute_s_client(big_b=big_b, x=x, a=a, u=u, backend=be)
    assert base64.b64encode(_srp.derive_key(s=s, u=u)).decode() == v["key_b64"]


def test_dotnet_claim_signature_through_user_auth(backend: str) -> None:
    (v,) = _by_kind("dotnet_extension.json", "user_signature")
    user = UserAuth(
        user_pool_id=f"us-east-1_{v['pool_name']}",
        client_id="c",
        username="typed-alias",
        password=v["password"],
        ephemeral=int(v["a_hex"], 16),
        backend=backend,
    )
    challenge = {
        "ChallengeName": "PASSWORD_VERIFIER",
        "Session": "s",
        "ChallengeParameters": {
            "USER_ID_FOR_SRP": v["user_id_for_srp"],
            "SRP_B": v["SRP_B"],
            "SALT": v["salt_hex"],
            "SECRET_BLOCK": v["SECRET_BLOCK"],
        },
    }
    now = datetime.strptime(v["TIMESTAMP"], "%a %b %d %H:%M:%S UTC %Y").replace(tzinfo=timezone.utc)
    answer = user.respond_to_password_verifier(challenge, now=now)
    assert answer["ChallengeResponses"]["TIMESTAMP"] == v["TIMESTAMP"]
    assert answer["ChallengeResponses"]["PASSWORD_CLAIM_SIGNATURE"] == v["PASSWORD_CLAIM_SIGNATURE"]
    assert answer["ChallengeResponses"]["USERNAME"] == v["user_id_for_srp"]  # never the typed alias


def test_dotnet_secret_hash_and_identity_hash() -> None:
    (h,) = _by_kind("dotnet_extension.json", "secret_hash")
    assert (
        _srp.secret_hash(client_secret=h["client_secret"], username=h["username"], client_id=h["client_id"])
        == h["SECRET_HASH"]
    )
    (i,) = _by_kind("dotnet_extension.json", "identity_hash")
    digest = _srp.identity_hash(pool=i["pool"], identity=i["identity"], password=i["password"])
    assert base64.b64encode(digest).decode() == i["hash_b64"]


def test_amplify_android_steps() -> None:
    (v,) = _by_kind("amplify_android.json", "user_steps")
    be = get_backend("auto")
    a, big_a = int(v["privateA_dec"]), int(v["publicA_dec"])
    assert _srp.compute_a_public(a, backend=be) == big_a
    big_b = int(v["SRP_B"], 16)
    u = _srp.compute_u(big_a=big_a, big_b=big_b)
    assert u == int(v["u_dec"])
    pool_name = v["user_pool_id"].split("_", 1)[1]
    x = _srp.compute_x(
        salt=int(v["salt_hex"], 16), pool=pool_name, identity=v["user_id_for_srp"], password=v["password"]
    )
    assert x == int(v["x_dec"])
    s = _srp.compute_s_client(big_b=big_b, x=x, a=a, u=u, backend=be)
    assert s == int(v["S_dec"])
    assert base64.b64encode(_srp.derive_key(s=s, u=u)).decode() == v["key_b64"]
    m1 = _srp.claim_signature(
        v["m1_key_text"].encode(),
        pool=pool_name,
        identity=v["user_id_for_srp"],
        secret_block=base64.b64decode(v["SECRET_BLOCK"]),
        timestamp=v["TIMESTAMP"],
    )
    assert m1 == v["M1"]


def test_from_java_bytes_reads_negative_salt() -> None:
    assert from_java_bytes(b"\xff\x14") == -236
