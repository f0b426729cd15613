"""Drift profiles that make the chaos experiments fail while every launch criterion still passes."""

from __future__ import annotations

from readiness.twin.context import TwinContext
from readiness.twin.profiles import profile
from readiness.twin.stack.monitoring import CHAOS_LATENCY_ALARM

# Longer than the scale target the self-tests set with -o, far shorter than the default of 120 s.
SLOW_SCALING_SECONDS = 3.0


@profile("never-replaces-tasks", breaks=set(), drills={"test_task_kill"},
         description="ECS never replaces a stopped task, so the task kill never recovers; the dry run cannot see it")
def never_replaces_tasks(ctx: TwinContext) -> None:
    ctx.behaviour.settings.setdefault("ecs", {})["replace_stopped_tasks"] = False


@profile("slow-convergence", breaks=set(), drills={"test_scale_out_and_in"},
         description=f"the service starts or stops tasks {SLOW_SCALING_SECONDS:g} s after its desired count changes; "
                     "it fails the scaling experiment when chaos_scale_target_s is lowered below that")
def slow_convergence(ctx: TwinContext) -> None:
    ctx.behaviour.settings.setdefault("ecs", {})["scaling_delay_seconds"] = SLOW_SCALING_SECONDS


@profile("latency-alarm-missing", breaks=set(), drills={"test_network_latency", "test_network_latency_could_run"},
         description=f"the chaos latency stop alarm {CHAOS_LATENCY_ALARM} is deleted and leaves the FIS template's "
                     "stop conditions, so the latency experiment is not safe to run")
def latency_alarm_missing(ctx: TwinContext) -> None:
    ctx.client("cloudwatch").delete_alarms(AlarmNames=[CHAOS_LATENCY_ALARM])
    fis = ctx.client("fis")
    template_id = ctx.ids["chaos_latency_template_id"]
    conditions = fis.get_experiment_template(id=template_id)["experimentTemplate"]["stopConditions"]
    remaining = [condition for condition in conditions if not condition.get("value", "").endswith(f":alarm:{CHAOS_LATENCY_ALARM}")]
    fis.update_experiment_template(id=template_id, stopConditions=remaining or [{"source": "none"}])


@profile("rollback-fails", breaks=set(), drills={"test_scale_out_and_in"},
         description="update_service may raise a desired count but not lower it, so the scaling experiment's "
                     "scale-in and its rollback both fail with AccessDeniedException")
def rollback_fails(ctx: TwinContext) -> None:
    ctx.behaviour.settings.setdefault("ecs", {})["reject_scale_in"] = True
