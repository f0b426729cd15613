"""Twin extension: ECS's page sizes and batch limits, which moto 5.2.5 does not enforce.

moto returns every service in one list_services page, ignores serviceName in list_tasks, and
accepts any number of names in describe_services and describe_tasks, so pagination and batching
bugs in a collector pass against it and fail against AWS.
"""

from __future__ import annotations

import base64
from unittest import mock

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.responses import EC2ContainerServiceResponse

from readiness.twin.ext.ecs import SERVICE_KEY

# AWS's page sizes when maxResults (1-100) is not set, and the max names one describe call accepts.
LIST_SERVICES_PAGE = 10
LIST_TASKS_PAGE = 100
MAX_RESULTS = 100
DESCRIBE_SERVICES_MAX = 10
DESCRIBE_TASKS_MAX = 100


def _page(items: list, next_token: str | None, max_results: int | None, page_size: int) -> tuple[list, str | None]:
    """Return one page of items and the token of the next page, as ECS's list operations do."""
    if max_results is not None and not 1 <= max_results <= MAX_RESULTS:
        raise InvalidParameterException(f"maxResults must be between 1 and {MAX_RESULTS}, but was {max_results}.")
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode())
        except ValueError:
            raise InvalidParameterException("Invalid nextToken.") from None
    end = start + (max_results or page_size)
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], token


def install() -> None:
    """Patch moto's ECS list and describe responses once per process."""
    describe_services = EC2ContainerServiceResponse.describe_services
    describe_tasks = EC2ContainerServiceResponse.describe_tasks

    def list_services(self):
        arns = self.ecs_backend.list_services(self._get_param("cluster", "default"), self._get_param("schedulingStrategy"),
                                              launch_type=self._get_param("launchType"))
        page, token = _page(arns, self._get_param("nextToken"), self._get_int_param("maxResults"), LIST_SERVICES_PAGE)
        return ActionResult({"serviceArns": page, "nextToken": token})

    def describe_services_limited(self):
        if len(self._get_param("services", [])) > DESCRIBE_SERVICES_MAX:
            raise InvalidParameterException(f"service names can have at most {DESCRIBE_SERVICES_MAX} items.")
        return describe_services(self)

    def list_tasks(self):
        cluster = self._get_param("cluster", "default")
        # AWS lists only tasks whose desired status is RUNNING unless the request names another.
        desired_status = self._get_param("desiredStatus") or "RUNNING"
        tasks = self.ecs_backend.list_tasks(cluster, self._get_param("containerInstance"), self._get_param("family"),
                                            self._get_param("startedBy"), None, desired_status)

        service_name = self._get_param("serviceName")
        if service_name:
            key = f"{self.ecs_backend._get_cluster(cluster).name}:{service_name.split('/')[-1]}"
            tasks = [task for task in tasks if getattr(task, SERVICE_KEY, None) == key]
        launch_type = self._get_param("launchType")
        if launch_type:
            tasks = [task for task in tasks if task.launch_type == launch_type]

        page, token = _page([task.task_arn for task in tasks], self._get_param("nextToken"),
                            self._get_int_param("maxResults"), LIST_TASKS_PAGE)
        return ActionResult({"taskArns": page, "nextToken": token})

    def describe_tasks_limited(self):
        if len(self._get_param("tasks", [])) > DESCRIBE_TASKS_MAX:
            raise InvalidParameterException(f"tasks can have at most {DESCRIBE_TASKS_MAX} items.")
        return describe_tasks(self)

    mock.patch.object(EC2ContainerServiceResponse, "list_services", list_services).start()
    mock.patch.object(EC2ContainerServiceResponse, "describe_services", describe_services_limited).start()
    mock.patch.object(EC2ContainerServiceResponse, "list_tasks", list_tasks).start()
    mock.patch.object(EC2ContainerServiceResponse, "describe_tasks", describe_tasks_limited).start()
