"""The resources an experiment may touch, and AWS calls whose errors carry the failed action."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import botocore.exceptions

from readiness.errors import Unverifiable
from readiness.inventory.base import classify_error

log = logging.getLogger(__name__)

# A client factory: service name to a boto3 client of the stack's primary region.
Clients = Callable[[str], Any]


@dataclass(frozen=True)
class Scope:
    """The blast radius: experiments read and change only these resources.

    Every name comes from the Terraform outputs or from the chaos function's configuration,
    which the outputs name.
    """

    cluster: str
    service: str
    # Without it, the target groups of the service's load balancers are read.
    target_group_arn: str | None = None
    health_url: str | None = None
    # The FIS template that adds network latency to the service's tasks.
    template_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.cluster}/{self.service}"


def read(clients: Clients, service: str, operation: str, **params) -> dict:
    """Call one read operation; raise Unverifiable naming the IAM action and cause when it fails."""
    try:
        return getattr(clients(service), operation)(**params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise Unverifiable(classify_error(error, f"{service} {operation}", service).describe()) from error


def function_template_id(clients: Clients, function_name: str) -> str | None:
    """Return the FIS template id in the chaos function's EXPERIMENT_TEMPLATE_ID variable; None if unset or no function."""
    try:
        configuration = clients("lambda").get_function_configuration(FunctionName=function_name)
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            # The experiments that need the template report it missing; the others run without it.
            log.warning("chaos function %s does not exist, so no FIS template is known", function_name)
            return None
        raise Unverifiable(classify_error(error, "lambda get_function_configuration", "lambda").describe()) from error
    except botocore.exceptions.BotoCoreError as error:
        raise Unverifiable(classify_error(error, "lambda get_function_configuration", "lambda").describe()) from error
    return ((configuration.get("Environment") or {}).get("Variables") or {}).get("EXPERIMENT_TEMPLATE_ID") or None


def scope_from_outputs(outputs, clients: Clients) -> Scope:
    """Build the scope from Terraform outputs; the latency template comes from the chaos function."""
    function_name = outputs.get("chaos_lambda_name")
    return Scope(
        cluster=outputs.require("ecs_cluster_name"),
        service=outputs.require("ecs_service_name"),
        target_group_arn=outputs.get("target_group_arn"),
        health_url=outputs.get("health_url"),
        template_id=function_template_id(clients, function_name) if function_name else None,
    )


def scope_from_environment(environ: Mapping[str, str]) -> Scope:
    """Build the scope from the chaos function's environment variables; raise ValueError if one is missing."""
    missing = [name for name in ("CLUSTER_NAME", "SERVICE_NAME") if not environ.get(name)]
    if missing:
        raise ValueError(f"the chaos function's environment lacks {', '.join(missing)}; "
                         "set them to the ECS cluster and service the experiments may disrupt")
    return Scope(
        cluster=environ["CLUSTER_NAME"],
        service=environ["SERVICE_NAME"],
        target_group_arn=environ.get("TARGET_GROUP_ARN") or None,
        health_url=environ.get("HEALTH_URL") or None,
        template_id=environ.get("EXPERIMENT_TEMPLATE_ID") or None,
    )
