"""Twin extension: return access-denied or throttling errors for the IAM actions the behaviour names."""

from __future__ import annotations

import logging

from moto.core import errors as moto_errors
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_service_model

from readiness.twin.context import BEHAVIOUR

log = logging.getLogger(__name__)

# IAM action prefixes that differ from the service model's signing name or endpoint prefix.
IAM_PREFIX_OVERRIDES = {"monitoring": "cloudwatch", "tagging": "tag"}

# Error codes by service protocol, as AWS returns them. EC2 has its own codes for both cases.
DENIED_CODES = {"ec2": "UnauthorizedOperation", "query": "AccessDenied", "rest-xml": "AccessDenied"}
DEFAULT_DENIED_CODE = "AccessDeniedException"
THROTTLED_CODES = {"ec2": "RequestLimitExceeded", "query": "Throttling", "rest-xml": "Throttling"}
DEFAULT_THROTTLED_CODE = "ThrottlingException"

DENIED_STATUS = 403
THROTTLED_STATUS = 400
# EC2 returns RequestLimitExceeded with 503 Service Unavailable.
EC2_THROTTLED_STATUS = 503


class TwinRejection(ServiceException):
    """An error the twin returns in place of running the action, with a code and message set per request."""


def iam_action(response: BaseResponse) -> str | None:
    """Return the request's IAM action, such as ec2:DescribeSubnets, or None if moto cannot name it."""
    operation = response._get_action()
    if not operation:
        return None
    return f"{iam_prefix(response.boto3_service_name)}:{operation}"


def iam_prefix(boto3_service_name: str) -> str:
    """Return the IAM prefix of a service: the signing name, else the endpoint prefix."""
    metadata = get_service_model(boto3_service_name).metadata
    prefix = metadata.get("signingName") or metadata.get("endpointPrefix") or boto3_service_name
    return IAM_PREFIX_OVERRIDES.get(prefix, prefix)


def rejection_for(response: BaseResponse):
    """Return the error response for a denied or throttled action, or None to run it normally."""
    if not BEHAVIOUR.denied_actions and not BEHAVIOUR.throttled_actions:
        return None

    action = iam_action(response)
    if action in BEHAVIOUR.denied_actions:
        return _error_response(response, action, denied=True)
    if action in BEHAVIOUR.throttled_actions:
        return _error_response(response, action, denied=False)
    return None


def _error_response(response: BaseResponse, action: str, denied: bool):
    protocol = get_service_model(response.boto3_service_name).protocol
    if denied:
        code = DENIED_CODES.get(protocol, DEFAULT_DENIED_CODE)
        message = (
            f"User: arn:aws:iam::{response.current_account}:user/readiness-runner is not authorized to perform: "
            f"{action} because no identity-based policy allows the {action} action"
        )
        status = DENIED_STATUS
    else:
        code = THROTTLED_CODES.get(protocol, DEFAULT_THROTTLED_CODE)
        message = "Rate exceeded"
        status = EC2_THROTTLED_STATUS if protocol == "ec2" else THROTTLED_STATUS

    log.info("twin rejects %s with %s", action, code)

    # moto's serializer writes the error in the service's own protocol (XML, JSON or CBOR).
    _, headers, body = response.serialized(ActionResult(TwinRejection(code, message)))
    headers["status"] = str(status)
    return status, headers, body


def install() -> None:
    """Wrap moto's action dispatch once so that every service checks the behaviour first."""
    # moto warns about error codes missing from a service's model. These are AWS's common
    # errors, which most models omit, like the codes moto already lists there.
    for code in {*DENIED_CODES.values(), DEFAULT_DENIED_CODE, *THROTTLED_CODES.values(), DEFAULT_THROTTLED_CODE}:
        if code not in moto_errors.COMMON_ERROR_CODES:
            moto_errors.COMMON_ERROR_CODES.append(code)

    original = BaseResponse.call_action

    def call_action(self: BaseResponse):
        rejection = rejection_for(self)
        if rejection is not None:
            return rejection
        return original(self)

    # NOTE: moto's S3 responses dispatch without BaseResponse.call_action, so S3 actions are never denied.
    BaseResponse.call_action = call_action
