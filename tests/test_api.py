"""Request builders against botocore's own model, Stubber and validator; responses and errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from botocore.stub import Stubber
from botocore.validate import validate_parameters
from hypothesis import given
from hypothesis import strategies as st

from srp_device import DeviceSecrets, api
from srp_device.exceptions import (
    NotAuthorizedError,
    ParameterTypeError,
    ResourceNotFoundError,
    ServiceError,
    UnknownServiceError,
    ValidationError,
)

MODEL = botocore.session.get_session().get_service_model("cognito-idp")
TOKEN = "eyJraWQiOiJ0ZXN0In0.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
KEY = "us-east-1_4b7e9d1e-0c3a-4f2b-9a8d-6e5f4c3b2a19"
POOL = "us-east-1_Ab12Cd34"
SECRETS = DeviceSecrets.generate(device_key=KEY, device_group_key="-Gk3y")


def _client() -> Any:
    return boto3.client("cognito-idp", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")


BUILT: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "ConfirmDevice",
        dict(api.confirm_device(TOKEN, SECRETS, device_name="laptop")),
        {"UserConfirmationNecessary": True},
    ),
    ("ConfirmDevice", dict(api.confirm_device(TOKEN, SECRETS)), {"UserConfirmationNecessary": False}),
    ("UpdateDeviceStatus", dict(api.update_device_status(TOKEN, KEY, remembered=True)), {}),
    ("UpdateDeviceStatus", dict(api.update_device_status(TOKEN, KEY, remembered=False)), {}),
    ("ForgetDevice", dict(api.forget_device(KEY, access_token=TOKEN)), {}),
    ("ForgetDevice", dict(api.forget_device(KEY)), {}),
    ("GetDevice", dict(api.get_device(KEY, access_token=TOKEN)), {"Device": {"DeviceKey": KEY}}),
    ("ListDevices", dict(api.list_devices(TOKEN, limit=60, pagination_token="tok")), {"Devices": []}),
    ("ListDevices", dict(api.list_devices(TOKEN)), {"Devices": []}),
    ("AdminForgetDevice", dict(api.admin_forget_device(POOL, "alice", KEY)), {}),
    ("AdminGetDevice", dict(api.admin_get_device(POOL, "alice", KEY)), {"Device": {"DeviceKey": KEY}}),
    ("AdminListDevices", dict(api.admin_list_devices(POOL, "alice", limit=0)), {"Devices": []}),
    ("AdminUpdateDeviceStatus", dict(api.admin_update_device_status(POOL, "alice", KEY, remembered=True)), {}),
    ("InitiateAuth", dict(api.refresh_token_auth("client1", "refresh-token", device=SECRETS)), {}),
    (
        "InitiateAuth",
        dict(api.refresh_token_auth("client1", "r", device=SECRETS, client_secret="cs", username="sub-1")),
        {},
    ),
    (
        "RespondToAuthChallenge",
        dict(
            api.respond_to_auth_challenge("client1", "SMS_MFA", {"SMS_MFA_CODE": "123456", "USERNAME": "u"}, "s" * 20)
        ),
        {},
    ),
]


def _snake(op: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_")


@pytest.mark.parametrize("operation", sorted(api.CONSTRAINTS))
def test_constraint_table_equals_botocore_model(operation: str) -> None:
    shape = MODEL.operation_model(operation).input_shape
    for member, rule in api.CONSTRAINTS[operation].items():
        m = shape.members[member]
        meta = m.metadata
        assert rule.type == m.type_name, member
        assert rule.required == (member in shape.required_members), member
        assert rule.min == meta.get("min"), member
        assert rule.max == meta.get("max"), member
        assert rule.pattern == meta.get("pattern"), member
        assert rule.enum == (tuple(meta["enum"]) if "enum" in meta else None), member
        assert rule.sensitive == bool(meta.get("sensitive", False)), member
    required = set(shape.required_members)
    assert required <= set(api.CONSTRAINTS[operation]), "a required member has no rule"


def test_every_device_operation_has_a_builder() -> None:
    for op in (
        "ConfirmDevice",
        "UpdateDeviceStatus",
        "ForgetDevice",
        "GetDevice",
        "ListDevices",
        *api.SIGNED_OPERATIONS,
    ):
        assert callable(getattr(api, _snake(op)))
        assert op in {b[0] for b in BUILT}


@pytest.mark.parametrize(("operation", "request_", "response"), BUILT, ids=[b[0] for b in BUILT])
def test_boto3_accepts_every_request_we_build(operation: str, request_: dict, response: dict) -> None:
    client = _client()
    with Stubber(client) as stub:
        stub.add_response(_snake(operation), response, expected_params=request_)
        getattr(client, _snake(operation))(**request_)
        stub.assert_no_pending_responses()


def test_refresh_carries_device_key_and_secret_hash() -> None:
    from srp_device import _srp

    req = api.refresh_token_auth("client1", "r", device=SECRETS, client_secret="cs", username="sub-1")
    assert req["AuthFlow"] == "REFRESH_TOKEN_AUTH"
    assert req["AuthParameters"]["DEVICE_KEY"] == KEY
    assert req["AuthParameters"]["SECRET_HASH"] == _srp.secret_hash(
        client_secret="cs", username="sub-1", client_id="client1"
    )
    with pytest.raises(ValidationError, match="username"):
        api.refresh_token_auth("client1", "r", client_secret="cs")


def test_auth_requests_from_user_and_device_auth_validate() -> None:
    from srp_device import DeviceAuth, UserAuth

    user = UserAuth(POOL, "client1", "alice", "pw", device=SECRETS)
    api.validate("InitiateAuth", user.initiate_auth())
    answer = DeviceAuth(SECRETS, "client1").respond_to_device_srp_auth(
        {"ChallengeName": "DEVICE_SRP_AUTH", "ChallengeParameters": {"USERNAME": "u"}, "Session": "s" * 20}
    )
    api.validate("RespondToAuthChallenge", answer)
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("respond_to_auth_challenge", {}, expected_params=answer)
        client.respond_to_auth_challenge(**answer)


# ---- validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "member", "rule"),
    [
        (lambda: api.update_device_status("bad token!", KEY, True), "AccessToken", "pattern"),
        (lambda: api.update_device_status(TOKEN, "", True), "DeviceKey", "length"),
        (lambda: api.update_device_status(TOKEN, "k" * 56, True), "DeviceKey", "length"),
        (lambda: api.update_device_status(TOKEN, "us-east-1_ABC", True), "DeviceKey", "pattern"),
        (lambda: api.list_devices(TOKEN, limit=61), "Limit", "range"),
        (lambda: api.list_devices(TOKEN, limit=-1), "Limit", "range"),
        (lambda: api.list_devices(TOKEN, pagination_token="a b"), "PaginationToken", "pattern"),
        (lambda: api.list_devices(TOKEN, pagination_token=""), "PaginationToken", "length"),
        (lambda: api.confirm_device(TOKEN, SECRETS, device_name=""), "DeviceName", "length"),
        (lambda: api.confirm_device(TOKEN, SECRETS, device_name="x" * 1025), "DeviceName", "length"),
        (lambda: api.admin_get_device("nopool", "alice", KEY), "UserPoolId", "pattern"),
        (lambda: api.admin_get_device(POOL, "al ice", KEY), "Username", "pattern"),
        (lambda: api.admin_get_device(POOL, "a" * 129, KEY), "Username", "length"),
        (lambda: api.initiate_auth("client1", "NOPE", {}), "AuthFlow", "one of"),
        (lambda: api.respond_to_auth_challenge("client1", "SMS_MFA", {}, "short"), "Session", "length"),
        (lambda: api.respond_to_auth_challenge("bad-client", "SMS_MFA", {}), "ClientId", "pattern"),
    ],
)
def test_each_rule_is_enforced_and_named(build, member: str, rule: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        build()
    assert info.value.field == member and rule in str(info.value)
    assert isinstance(info.value, ValueError)


def test_types_and_required_members() -> None:
    with pytest.raises(ParameterTypeError) as info:
        api.list_devices(TOKEN, limit="5")  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    with pytest.raises(ParameterTypeError):
        api.update_device_status(TOKEN, KEY, "yes")  # type: ignore[arg-type]
    with pytest.raises(ParameterTypeError):
        api.get_device(123)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="DeviceKey: is required"):
        api.validate("GetDevice", {"AccessToken": TOKEN})
    with pytest.raises(ValidationError, match="Bogus"):
        api.validate("GetDevice", {"DeviceKey": KEY, "Bogus": "x"})
    with pytest.raises(TypeError):
        api.confirm_device(TOKEN, {"DeviceKey": KEY})  # type: ignore[arg-type]


def test_secret_values_never_appear_in_errors() -> None:
    secret_token = "secret token with spaces"
    secret_user = "alice secret"
    for build in (
        lambda: api.list_devices(secret_token),
        lambda: api.admin_get_device(POOL, secret_user, KEY),
        lambda: api.forget_device(KEY, access_token=secret_token),
    ):
        with pytest.raises(ValidationError) as info:
            build()
        assert secret_token not in str(info.value) and secret_user not in str(info.value)


def test_username_pattern_is_unicode_letters_marks_symbols_numbers_punctuation() -> None:
    for ok in ("alice", "Zoë", "用户", "+15555550100", "bob@example.com", "a.b-c_d"):
        api.admin_get_device(POOL, ok, KEY)
    for bad in ("a b", "tab\t", "nul\x00", "\u200b"):
        with pytest.raises(ValidationError, match="Username"):
            api.admin_get_device(POOL, bad, KEY)


# Hypothesis: what our validator accepts, botocore's parameter validation accepts too.
_maybe = st.one_of(st.none(), st.text(max_size=70), st.integers(min_value=-5, max_value=70))
_key = st.one_of(st.just(KEY), st.text(alphabet="abcdef0123456789-_ue", min_size=0, max_size=60))


@given(token=st.one_of(st.just(TOKEN), st.text(max_size=30)), key=_key, limit=_maybe, page=_maybe)
def test_our_validator_is_at_least_as_strict_as_botocore(token: str, key: str, limit: Any, page: Any) -> None:
    for operation, request in (
        ("ListDevices", {"AccessToken": token, "Limit": limit, "PaginationToken": page}),
        ("GetDevice", {"DeviceKey": key, "AccessToken": token}),
        ("UpdateDeviceStatus", {"AccessToken": token, "DeviceKey": key, "DeviceRememberedStatus": page}),
        ("AdminListDevices", {"UserPoolId": POOL, "Username": token, "Limit": limit}),
    ):
        request = {k: v for k, v in request.items() if v is not None}
        try:
            api.validate(operation, request)
        except ValidationError:
            continue
        try:
            validate_parameters(request, MODEL.operation_model(operation).input_shape)
        except ParamValidationError as exc:  # pragma: no cover - the property under test
            raise AssertionError(f"{operation}: we accepted what botocore refuses: {exc}") from None


# ---- raw HTTP ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "request_", "response"), [b for b in BUILT if b[0] not in api.SIGNED_OPERATIONS], ids=str
)
def test_http_request_for_unsigned_operations(operation: str, request_: dict, response: dict) -> None:
    req = api.http_request(operation, request_, "eu-west-2")
    assert req.method == "POST"
    assert req.url == "https://cognito-idp.eu-west-2.amazonaws.com/"
    assert req.headers == {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
    }
    assert json.loads(req.body) == request_
    # botocore serializes the same operation to the same target and JSON body
    from botocore.serialize import create_serializer

    wire = create_serializer("json").serialize_to_request(request_, MODEL.operation_model(operation))
    assert wire["headers"]["X-Amz-Target"] == req.headers["X-Amz-Target"]
    assert json.loads(wire["body"]) == json.loads(req.body)


@pytest.mark.parametrize("operation", sorted(api.SIGNED_OPERATIONS))
def test_http_request_refuses_admin_operations(operation: str) -> None:
    with pytest.raises(ValidationError, match="SigV4"):
        api.http_request(operation, {}, "us-east-1")


def test_http_request_checks_region_and_body() -> None:
    with pytest.raises(ValidationError, match="region"):
        api.http_request("GetDevice", api.get_device(KEY), "evil.com/")
    with pytest.raises(ValidationError, match="DeviceKey"):
        api.http_request("GetDevice", {"DeviceKey": "nope"}, "us-east-1")


# ---- responses ------------------------------------------------------------------------------------------------


def test_confirm_device_outcome() -> None:
    assert api.parse_confirm_device({"UserConfirmationNecessary": True}).user_confirmation_necessary
    assert "UpdateDeviceStatus" in api.parse_confirm_device({"UserConfirmationNecessary": True}).next_step
    assert not api.parse_confirm_device({}).user_confirmation_necessary
    with pytest.raises(ValidationError):
        api.parse_confirm_device({"UserConfirmationNecessary": "yes"})


def test_device_records_from_boto3_and_from_the_wire() -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    record = {
        "DeviceKey": KEY,
        "DeviceAttributes": [
            {"Name": "device_name", "Value": "laptop"},
            {"Name": "dev:device_remembered_status", "Value": "remembered"},
        ],
        "DeviceCreateDate": when,
        "DeviceLastModifiedDate": when,
        "DeviceLastAuthenticatedDate": when,
    }
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("get_device", {"Device": record}, {"DeviceKey": KEY, "AccessToken": TOKEN})
        from_boto3 = api.parse_get_device(client.get_device(**api.get_device(KEY, TOKEN)))
    wire = json.loads(json.dumps({**record, **{k: when.timestamp() for k in record if k.endswith("Date")}}))
    from_wire = api.parse_device(wire)
    assert from_boto3 == from_wire
    assert from_wire.name == "laptop" and from_wire.remembered is True
    assert from_wire.create_date == when and from_wire.create_date.tzinfo is not None


def test_iter_devices_follows_pagination_with_boto3() -> None:
    client = _client()
    pages = [
        ({"Devices": [{"DeviceKey": f"us-east-1_{i:x}"} for i in range(3)], "PaginationToken": "p2"}, None),
        ({"Devices": [{"DeviceKey": "us-east-1_ff"}]}, "p2"),
    ]
    with Stubber(client) as stub:
        for response, token in pages:
            stub.add_response("list_devices", response, dict(api.list_devices(TOKEN, limit=3, pagination_token=token)))
        keys = [d.device_key for d in api.iter_devices(client.list_devices, api.list_devices(TOKEN, limit=3))]
    assert keys == ["us-east-1_0", "us-east-1_1", "us-east-1_2", "us-east-1_ff"]


def test_iter_devices_refuses_a_repeating_token() -> None:
    def call(**_: Any) -> dict:
        return {"Devices": [], "PaginationToken": "same"}

    with pytest.raises(ValidationError, match="PaginationToken"):
        list(api.iter_devices(call, api.list_devices(TOKEN)))


# ---- errors ---------------------------------------------------------------------------------------------------


NAMED = [
    "ResourceNotFoundException",
    "InvalidParameterException",
    "NotAuthorizedException",
    "InvalidPasswordException",
    "InvalidLambdaResponseException",
    "UsernameExistsException",
    "InvalidUserPoolConfigurationException",
    "TooManyRequestsException",
    "PasswordResetRequiredException",
    "UserNotFoundException",
    "UserNotConfirmedException",
    "InternalErrorException",
    "DeviceKeyExistsException",
    "ForbiddenException",
]


@pytest.mark.parametrize("code", NAMED)
def test_every_error_the_model_names_maps_to_its_class(code: str) -> None:
    wire = api.error_from_wire(400, json.dumps({"__type": f"com.amazonaws.cognito#{code}", "message": "the text"}))
    assert type(wire).code == code and wire.message == "the text" and wire.status == 400
    assert not isinstance(wire, UnknownServiceError)
    boto = api.error_from_client_error(
        ClientError({"Error": {"Code": code, "Message": "the text"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "X")
    )
    assert type(boto) is type(wire) and boto.message == "the text"


def test_model_errors_of_device_operations_are_all_mapped() -> None:
    for op in api.CONSTRAINTS:
        if op in ("InitiateAuth", "RespondToAuthChallenge"):
            continue
        for shape in MODEL.operation_model(op).error_shapes:
            assert shape.name in api.ERROR_CLASSES, (op, shape.name)


def test_unknown_and_malformed_errors() -> None:
    err = api.error_from_wire(400, b'{"__type": "SomethingNewException", "message": "m"}')
    assert isinstance(err, UnknownServiceError) and err.code == "SomethingNewException"
    assert isinstance(api.error_from_wire(500, b"not json"), ServiceError)
    with pytest.raises(TypeError):
        api.error_from_client_error(ValueError("x"))


def test_recovery_predicates() -> None:
    gone = api.error_from_wire(400, {"__type": "ResourceNotFoundException", "message": "Device does not exist."})
    assert api.is_device_not_found(gone)
    assert not api.is_device_not_found(ResourceNotFoundError("User pool client does not exist."))
    assert not api.is_device_not_found(NotAuthorizedError("Device does not exist."))
    boto_gone = ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "Device does not exist."}}, "X")
    assert api.is_device_not_found(boto_gone)
    stale = NotAuthorizedError("Incorrect username or password.")
    assert api.is_device_password_stale(stale, challenge_name="DEVICE_PASSWORD_VERIFIER")
    assert api.is_device_password_stale(stale, challenge_name="DEVICE_SRP_AUTH")
    assert not api.is_device_password_stale(stale, challenge_name="PASSWORD_VERIFIER")
    assert not api.is_device_password_stale(ValueError("x"), challenge_name="DEVICE_SRP_AUTH")
