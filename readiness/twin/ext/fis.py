"""Twin extension: FIS experiments that run, so that task network latency reaches the twin's health app.

moto 5.2.5 stores FIS templates and experiments but runs no action, and an experiment reads as
"completed" from its first read. Here an experiment runs from start_experiment until
stop_experiment, its action's duration, or one of its stop-condition alarms entering ALARM.
While it runs, each aws:ecs:task-network-latency action puts an entry in
BEHAVIOUR.settings["fis"]["network_latency"], keyed by experiment id:
{"delay_ms": the action's delayMilliseconds, "fraction": the share of the service's tasks it targets}.
readiness.twin.app delays that share of health requests, because the twin's one application
stands for every task of the service. CloudWatch alarms are never evaluated by moto, so the
twin sets the load balancer's TargetResponseTime alarms to ALARM while the delay exceeds their
threshold, and back to OK when the fault ends. Other FIS actions are accepted and do nothing.
"""

from __future__ import annotations

import logging
import math
import random
import re
import threading
from unittest import mock

from moto.cloudwatch.models import cloudwatch_backends
from moto.ecs.models import ecs_backends
from moto.elbv2.models import elbv2_backends
from moto.fis.models import Experiment, FISBackend, ResolvedTarget

from readiness.twin.context import BEHAVIOUR
from readiness.twin.ext.ecs import _service_tasks

log = logging.getLogger(__name__)

LATENCY_ACTION = "aws:ecs:task-network-latency"
ECS_TASK = "aws:ecs:task"
TERMINAL = ("completed", "stopped", "failed")
ISO_DURATION = re.compile(r"^PT(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?$")
SELECTION = re.compile(r"^(?P<mode>ALL|COUNT|PERCENT)(?:\((?P<number>\d+)\))?$")

# Experiments and their timers are touched by request threads and duration timers.
_lock = threading.RLock()


def latency_faults() -> dict[str, dict]:
    """Return the running latency faults by experiment id, the mapping readiness.twin.app reads."""
    return BEHAVIOUR.settings.setdefault("fis", {}).setdefault("network_latency", {})


def parse_duration(text: str | None) -> float | None:
    """Return the seconds of an ISO 8601 duration such as PT5M or PT1M30S, or None if there is none."""
    if not text:
        return None
    match = ISO_DURATION.match(text)
    if not match or not any(match.groupdict().values()):
        raise ValueError(f"duration {text!r} is not an ISO 8601 duration such as PT5M")
    hours, minutes, seconds = (float(match.group(name) or 0) for name in ("hours", "minutes", "seconds"))
    return hours * 3600 + minutes * 60 + seconds


def _select(candidates: list, mode: str) -> list:
    """Pick targets as a FIS selection mode does: ALL, COUNT(n) or PERCENT(p), chosen at random."""
    match = SELECTION.match(mode or "ALL")
    if not match:
        return []
    if match.group("mode") == "ALL":
        return list(candidates)
    number = int(match.group("number") or 0)
    if match.group("mode") == "COUNT":
        count = min(number, len(candidates))
    else:
        # NOTE: how AWS rounds PERCENT(p) is not documented; the twin rounds down but picks at least one.
        count = min(len(candidates), max(1, math.floor(len(candidates) * number / 100))) if number else 0
    return random.sample(candidates, count)


def _service_of(backend_ecs, parameters: dict):
    cluster = (parameters.get("cluster") or "").split("/")[-1]
    service = (parameters.get("service") or "").split("/")[-1]
    return backend_ecs.services.get(f"{cluster}:{service}")


def _load_balancer_dimensions(account_id: str, region: str, service) -> set[str]:
    """Return the LoadBalancer dimension values (app/NAME/ID) of the load balancers in front of a service."""
    elbv2 = elbv2_backends[account_id][region]
    dimensions = set()
    for balancer in service.load_balancers or []:
        group = elbv2.target_groups.get(balancer.get("targetGroupArn", ""))
        for arn in group.load_balancer_arns if group else []:
            dimensions.add(arn.split(":loadbalancer/", 1)[-1])
    return dimensions


def _breaches(alarm, delay_s: float, fraction: float) -> bool:
    """Tell whether the delay would push a TargetResponseTime alarm over its threshold."""
    statistic = alarm.extended_statistic or ""
    if statistic.startswith("p"):
        # A percentile pN reaches the delay once more than (100 - N) % of requests carry it.
        value = delay_s if fraction > 1 - float(statistic[1:]) / 100 else 0.0
    else:
        value = delay_s * fraction
    if alarm.comparison_operator == "GreaterThanOrEqualToThreshold":
        return value >= alarm.threshold
    return alarm.comparison_operator == "GreaterThanThreshold" and value > alarm.threshold


def _raise_latency_alarms(experiment, dimensions: set[str], delay_ms: float, fraction: float) -> None:
    cloudwatch = cloudwatch_backends[experiment.account_id][experiment.region_name]
    for alarm in list(cloudwatch.alarms.values()):
        watched = {dimension.value for dimension in alarm.dimensions if dimension.name == "LoadBalancer"}
        if alarm.namespace != "AWS/ApplicationELB" or alarm.metric_name != "TargetResponseTime" or not watched & dimensions:
            continue
        if _breaches(alarm, delay_ms / 1000, fraction) and alarm.state_value != "ALARM":
            alarm.update_state(f"Threshold Crossed: FIS experiment {experiment.id} adds {delay_ms:g} ms of latency", "{}", "ALARM")
            experiment.twin_alarms.append(alarm)
            log.info("twin FIS: alarm %s is in ALARM while experiment %s runs", alarm.name, experiment.id)


def _resolve(experiment, target: dict) -> tuple[list, int, set[str]]:
    """Return the selected tasks, how many tasks their services run, and the services' load balancers."""
    if target.get("resourceType") != ECS_TASK:
        return [], 0, set()
    ecs = ecs_backends[experiment.account_id][experiment.region_name]
    services = []
    if target.get("resourceArns"):
        arns = set(target["resourceArns"])
        candidates = [task for tasks in ecs.tasks.values() for task in tasks.values()
                      if task.task_arn in arns and task.desired_status == "RUNNING"]
        for task in candidates:
            service = ecs.services.get(getattr(task, "twin_service_key", ""))
            if service is not None and service not in services:
                services.append(service)
    else:
        # NOTE: targets selected by resourceTags or filters resolve to nothing on the twin.
        service = _service_of(ecs, target.get("parameters") or {})
        services = [service] if service is not None else []
        candidates = _service_tasks(ecs, service) if service is not None else []

    selected = _select(candidates, target.get("selectionMode", "ALL"))
    running = sum(len(_service_tasks(ecs, service)) for service in services)
    dimensions = set().union(*(_load_balancer_dimensions(experiment.account_id, experiment.region_name, service)
                               for service in services)) if services else set()
    return selected, running, dimensions


def _begin(experiment) -> None:
    """Resolve the experiment's targets, apply its latency faults and schedule its end."""
    experiment.twin_alarms = []
    experiment.twin_resolved = []
    experiment.twin_timer = None
    durations = []

    for action in experiment.actions.values():
        target_name = next(iter((action.get("targets") or {}).values()), None)
        target = experiment.targets.get(target_name, {}) if target_name else {}
        selected, running, dimensions = _resolve(experiment, target)
        experiment.twin_resolved += [ResolvedTarget(ECS_TASK, target_name, task.task_arn) for task in selected]
        if not selected and experiment.experiment_options.get("emptyTargetResolutionMode", "fail") == "fail":
            _finish(experiment, "failed", f"Target resolution returned no resources for target {target_name}")
            return

        parameters = action.get("parameters") or {}
        duration = parse_duration(parameters.get("duration"))
        if duration is not None:
            durations.append(duration)
        if action.get("actionId") != LATENCY_ACTION or not selected:
            continue
        delay_ms = float(parameters.get("delayMilliseconds", 0))
        fraction = len(selected) / running if running else 1.0
        latency_faults()[experiment.id] = {"delay_ms": delay_ms, "fraction": fraction}
        _raise_latency_alarms(experiment, dimensions, delay_ms, fraction)
        log.info("twin FIS: experiment %s adds %g ms to %d of %d tasks", experiment.id, delay_ms, len(selected), running)

    experiment.status = "running"
    if durations:
        experiment.twin_timer = threading.Timer(max(durations), _finish, (experiment, "completed", "Experiment completed"))
        experiment.twin_timer.daemon = True
        experiment.twin_timer.start()
    _check_stop_conditions(experiment)


def _finish(experiment, status: str, reason: str) -> None:
    """End a running experiment: remove its faults, return its alarms to OK, cancel its timer."""
    with _lock:
        if experiment.status in TERMINAL:
            return
        experiment.status = status
        experiment.twin_reason = reason
        BEHAVIOUR.settings.get("fis", {}).get("network_latency", {}).pop(experiment.id, None)
        for alarm in getattr(experiment, "twin_alarms", []):
            if alarm.state_value == "ALARM":
                alarm.update_state(f"Threshold no longer crossed: FIS experiment {experiment.id} ended", "{}", "OK")
        timer = getattr(experiment, "twin_timer", None)
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()
    log.info("twin FIS: experiment %s is %s: %s", experiment.id, status, reason)


def _check_stop_conditions(experiment) -> None:
    """Stop a running experiment whose stop-condition alarm is in ALARM, as FIS does."""
    if experiment.status != "running":
        return
    cloudwatch = cloudwatch_backends[experiment.account_id][experiment.region_name]
    for condition in experiment.stop_conditions:
        if condition.get("source") != "aws:cloudwatch:alarm":
            continue
        name = (condition.get("value") or "").split(":alarm:", 1)[-1]
        alarm = cloudwatch.alarms.get(name)
        if alarm is not None and alarm.state_value == "ALARM":
            _finish(experiment, "stopped", f"Experiment stopped by stop condition: alarm {name} is in ALARM state")
            return


def _wrap_experiment() -> None:
    to_dict = Experiment.to_dict
    to_summary_dict = Experiment.to_summary_dict

    def with_reason(original):
        def render(self, tags=None):
            result = original(self, tags)
            if getattr(self, "twin_reason", None):
                result["state"]["reason"] = self.twin_reason
            return result
        return render

    def resolved_targets(self) -> list[ResolvedTarget]:
        return list(getattr(self, "twin_resolved", []))

    # The twin, not moto's state manager, moves an experiment from state to state.
    status = property(lambda self: self._status, lambda self, value: setattr(self, "_status", value))
    mock.patch.object(Experiment, "status", status).start()
    mock.patch.object(Experiment, "to_dict", with_reason(to_dict)).start()
    mock.patch.object(Experiment, "to_summary_dict", with_reason(to_summary_dict)).start()
    mock.patch.object(Experiment, "resolved_targets", resolved_targets).start()


def _wrap_backend() -> None:
    start_experiment = FISBackend.start_experiment
    stop_experiment = FISBackend.stop_experiment
    get_experiment = FISBackend.get_experiment
    list_experiments = FISBackend.list_experiments

    def start(self, client_token, experiment_template_id, experiment_options=None, tags=None):
        result = start_experiment(self, client_token, experiment_template_id, experiment_options, tags)
        experiment = self.experiments[result["id"]]
        with _lock:
            # A repeated client token returns the experiment it started before.
            if not hasattr(experiment, "twin_resolved"):
                _begin(experiment)
        return experiment.to_dict(tags=self.tagger.get_tag_dict_for_resource(experiment.arn))

    def stop(self, id: str):
        experiment = self.experiments.get(id)
        if experiment is not None:
            _finish(experiment, "stopped", "Experiment stopped by StopExperiment")
        return stop_experiment(self, id)

    def get(self, id: str):
        experiment = self.experiments.get(id)
        if experiment is not None:
            _check_stop_conditions(experiment)
        return get_experiment(self, id)

    def listing(self, *args, **kwargs):
        for experiment in list(self.experiments.values()):
            _check_stop_conditions(experiment)
        return list_experiments(self, *args, **kwargs)

    mock.patch.object(FISBackend, "start_experiment", start).start()
    mock.patch.object(FISBackend, "stop_experiment", stop).start()
    mock.patch.object(FISBackend, "get_experiment", get).start()
    # list_experiments is wrapped by moto's paginate decorator, which passes its arguments on.
    mock.patch.object(FISBackend, "list_experiments", listing).start()


def install() -> None:
    """Patch moto's FIS experiments and backend once per process."""
    _wrap_experiment()
    _wrap_backend()
