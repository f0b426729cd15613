"""Twin extension: CodePipeline GetPipelineState, a first execution on create, and settable execution outcomes."""

from __future__ import annotations

import copy
import json
import uuid

from moto.codepipeline import models as codepipeline_models
from moto.codepipeline.responses import CodePipelineResponse
from moto.core.utils import iso_8601_datetime_with_milliseconds

from readiness.twin.context import BEHAVIOUR, Behaviour

# Behaviour.settings key: {pipeline name: {"status": ..., "failed_stage": ...}} for the latest execution.
SETTINGS_KEY = "codepipeline"

# Statuses CodePipeline reports for an execution, and the ones that mean it stopped without success.
EXECUTION_STATUSES = {"Cancelled", "InProgress", "Stopped", "Stopping", "Succeeded", "Superseded", "Failed"}
UNSUCCESSFUL_STATUSES = {"Failed", "Stopped", "Cancelled"}

ACTION_ID_NAMESPACE = uuid.UUID("5d3a3f0e-7c56-4a5e-9a43-6c1f4e0b2a11")


def set_latest_execution(behaviour: Behaviour, pipeline_name: str, status: str, failed_stage: str | None = None) -> None:
    """Make the pipeline's latest execution report a status, stopped in failed_stage if one is given."""
    if status not in EXECUTION_STATUSES:
        raise ValueError(f"execution status {status!r} is not one of {sorted(EXECUTION_STATUSES)}")
    behaviour.settings.setdefault(SETTINGS_KEY, {})[pipeline_name] = {"status": status, "failed_stage": failed_stage}


def _override(pipeline_name: str) -> dict | None:
    return BEHAVIOUR.settings.get(SETTINGS_KEY, {}).get(pipeline_name)


def _latest(pipeline) -> codepipeline_models.PipelineExecution | None:
    # moto keeps executions in insertion order, which is the order they started in.
    executions = list(pipeline.executions.values())
    return executions[-1] if executions else None


def _effective(pipeline, execution):
    """Return the execution as the twin reports it: a copy with the overridden status if it is the latest."""
    override = _override(pipeline.pipeline["name"])
    if override is None or execution is not _latest(pipeline):
        return execution

    reported = copy.copy(execution)
    reported.status = override["status"]
    if override["status"] in UNSUCCESSFUL_STATUSES and override.get("failed_stage"):
        reported.status_summary = f"Stage {override['failed_stage']} {override['status'].lower()}"
    return reported


def _stage_states(pipeline, execution) -> list[dict]:
    """Build stageStates for the latest execution: stages before the failed one succeeded, later ones did not run."""
    states = []
    failed_stage = (_override(pipeline.pipeline["name"]) or {}).get("failed_stage")
    reached_failure = False

    for stage in pipeline.pipeline["stages"]:
        state = {"stageName": stage["name"], "inboundTransitionState": {"enabled": True}, "actionStates": []}
        if execution is None or reached_failure:
            state["actionStates"] = [{"actionName": action["name"]} for action in stage["actions"]]
            states.append(state)
            continue

        status = execution.status
        if execution.status in UNSUCCESSFUL_STATUSES and failed_stage:
            status = execution.status if stage["name"] == failed_stage else "Succeeded"
            reached_failure = stage["name"] == failed_stage

        changed = iso_8601_datetime_with_milliseconds(execution.last_update_time)
        for action in stage["actions"]:
            action_id = uuid.uuid5(ACTION_ID_NAMESPACE, f"{execution.pipeline_execution_id}/{stage['name']}/{action['name']}")
            latest = {"actionExecutionId": str(action_id), "status": status, "lastStatusChange": changed}
            if status in UNSUCCESSFUL_STATUSES:
                latest["errorDetails"] = {"code": "JobFailed", "message": f"Action {action['name']} {status.lower()}"}
            state["actionStates"].append({"actionName": action["name"], "latestExecution": latest})

        state["latestExecution"] = {"pipelineExecutionId": execution.pipeline_execution_id, "status": status}
        states.append(state)
    return states


def get_pipeline_state(self: CodePipelineResponse) -> str:
    """Return the pipeline's stages with the state of the latest execution in each."""
    name = self._get_param("name")
    self.codepipeline_backend.get_pipeline(name)  # raises PipelineNotFoundException
    pipeline = self.codepipeline_backend.pipelines[name]

    latest = _latest(pipeline)
    execution = _effective(pipeline, latest) if latest is not None else None
    return json.dumps({
        "pipelineName": name,
        "pipelineVersion": pipeline.pipeline["version"],
        "stageStates": _stage_states(pipeline, execution),
        "created": pipeline.metadata["created"],
        "updated": pipeline.metadata["updated"],
    })


def install() -> None:
    """Add GetPipelineState, start a pipeline once when created, and apply the behaviour's outcomes."""
    CodePipelineResponse.get_pipeline_state = get_pipeline_state
    backend_class = codepipeline_models.CodePipelineBackend

    original_create = backend_class.create_pipeline

    def create_pipeline(self, pipeline: dict, tags: list[dict] | None):
        created = original_create(self, pipeline, tags)
        # AWS starts a new pipeline once on creation, while moto 5.2.5 waits for StartPipelineExecution.
        self.start_pipeline_execution(pipeline["name"], None)
        return created

    original_list = backend_class.list_pipeline_executions

    def list_pipeline_executions(self, pipeline_name: str, max_results: int | None):
        summaries = original_list(self, pipeline_name, max_results)
        override = _override(pipeline_name)
        if override is not None and summaries:
            latest = _effective(self.pipelines[pipeline_name], _latest(self.pipelines[pipeline_name]))
            summaries[0] = {**summaries[0], "status": latest.status, "statusSummary": latest.status_summary}
        return summaries

    original_get = backend_class.get_pipeline_execution

    def get_pipeline_execution(self, pipeline_name: str, pipeline_execution_id: str):
        execution = original_get(self, pipeline_name, pipeline_execution_id)
        return _effective(self.pipelines[pipeline_name], execution)

    backend_class.create_pipeline = create_pipeline
    backend_class.list_pipeline_executions = list_pipeline_executions
    backend_class.get_pipeline_execution = get_pipeline_execution
