"""Every error srp_device raises.

All of them derive from :class:`SrpDeviceError`. Errors about bad input also derive
from :class:`ValueError`, so ``except ValueError`` keeps working for callers that do not
know this library. Wrong Python *types* raise a plain :class:`TypeError`.

No message ever contains a secret: passwords, ephemeral values, access tokens and
usernames are named by their field, never echoed.
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailableError",
    "CodeMismatchError",
    "DeviceKeyExistsError",
    "ExpiredCodeError",
    "ForbiddenError",
    "InternalErrorError",
    "InvalidChallengeError",
    "InvalidLambdaResponseError",
    "InvalidParameterError",
    "InvalidPasswordError",
    "InvalidUserPoolConfigurationError",
    "NotAuthorizedError",
    "OperationNotEnabledError",
    "ParameterTypeError",
    "PasswordResetRequiredError",
    "RefreshTokenReuseError",
    "ResourceNotFoundError",
    "ServiceError",
    "SrpDeviceError",
    "TooManyRequestsError",
    "UnexpectedLambdaError",
    "UnknownServiceError",
    "UserLambdaValidationError",
    "UserNotConfirmedError",
    "UserNotFoundError",
    "UsernameExistsError",
    "ValidationError",
    "VerificationError",
]


class SrpDeviceError(Exception):
    """Base class of every error the library raises."""


class ValidationError(SrpDeviceError, ValueError):
    """A value given to the library breaks a rule; the message names the field and the rule.

    ``field`` is the name of the offending member or argument.
    """

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class ParameterTypeError(ValidationError, TypeError):
    """A request member of the wrong type: both a ValueError (a rule of the API model) and a TypeError."""


class InvalidChallengeError(ValidationError):
    """The service sent a challenge we must not answer: wrong name, missing or malformed
    parameters, or an SRP value that breaks the protocol (B mod N = 0, u = 0)."""


class VerificationError(SrpDeviceError, ValueError):
    """A proof did not verify (server side: wrong password, key, timestamp or secret block)."""


class BackendUnavailableError(SrpDeviceError, RuntimeError):
    """A modular-exponentiation backend was asked for by name but cannot be used here."""


class ServiceError(SrpDeviceError):
    """An error answered by Cognito (or the local emulator), typed by its ``__type``.

    ``code`` is the service's short error name (``NotAuthorizedException``), ``message``
    the service's own text, ``status`` the HTTP status when known. ``step`` says where it
    happened when the sign-in flows raise it: the challenge being answered
    (``"PASSWORD_VERIFIER"``, ``"DEVICE_SRP_AUTH"``, ``"DEVICE_PASSWORD_VERIFIER"``,
    ``"SMS_MFA"``, ...) or the operation (``"InitiateAuth"``, ``"ConfirmDevice"``, ...).
    """

    code: str = "ServiceException"

    def __init__(
        self, message: str = "", *, code: str | None = None, status: int | None = None, step: str | None = None
    ):
        self.message = message
        if code is not None:
            self.code = code
        self.status = status
        self.step = step
        super().__init__(f"{self.code}: {message}" if message else self.code)


class ResourceNotFoundError(ServiceError):
    code = "ResourceNotFoundException"


class InvalidParameterError(ServiceError):
    code = "InvalidParameterException"


class NotAuthorizedError(ServiceError):
    code = "NotAuthorizedException"


class InvalidPasswordError(ServiceError):
    code = "InvalidPasswordException"


class InvalidLambdaResponseError(ServiceError):
    code = "InvalidLambdaResponseException"


class UnexpectedLambdaError(ServiceError):
    code = "UnexpectedLambdaException"


class UserLambdaValidationError(ServiceError):
    code = "UserLambdaValidationException"


class RefreshTokenReuseError(ServiceError):
    """A rotated refresh token was used again (refresh-token rotation is on for the app client)."""

    code = "RefreshTokenReuseException"


class UsernameExistsError(ServiceError):
    code = "UsernameExistsException"


class InvalidUserPoolConfigurationError(ServiceError):
    code = "InvalidUserPoolConfigurationException"


class TooManyRequestsError(ServiceError):
    code = "TooManyRequestsException"


class PasswordResetRequiredError(ServiceError):
    code = "PasswordResetRequiredException"


class UserNotFoundError(ServiceError):
    code = "UserNotFoundException"


class UserNotConfirmedError(ServiceError):
    code = "UserNotConfirmedException"


class InternalErrorError(ServiceError):
    code = "InternalErrorException"


class DeviceKeyExistsError(ServiceError):
    code = "DeviceKeyExistsException"


class ForbiddenError(ServiceError):
    code = "ForbiddenException"


class CodeMismatchError(ServiceError):
    code = "CodeMismatchException"


class ExpiredCodeError(ServiceError):
    code = "ExpiredCodeException"


class OperationNotEnabledError(ServiceError):
    code = "OperationNotEnabledException"


class UnknownServiceError(ServiceError):
    """A service error whose ``__type`` this library does not list; ``code`` keeps it."""
