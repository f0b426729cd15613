"""CodePipeline: the delivery pipeline's structure, recent executions and per-stage state."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset

# Enough history to step over executions that are still running or were superseded.
RECENT_EXECUTIONS = 25


@collector("codepipeline")
class CodePipeline(Collector):
    service = "codepipeline"

    @dataset
    def pipeline(self) -> dict:
        """The pipeline named by the pipeline_name output, as GetPipeline returns its declaration."""
        return self.call("get_pipeline", name=self.outputs.require("pipeline_name"))["pipeline"]

    @dataset
    def executions(self) -> list[dict]:
        """The pipeline's most recent execution summaries, newest first."""
        return self.call("list_pipeline_executions", pipelineName=self.outputs.require("pipeline_name"),
                         maxResults=RECENT_EXECUTIONS)["pipelineExecutionSummaries"]

    @dataset
    def state(self) -> dict:
        """GetPipelineState: each stage with the status of its latest execution."""
        return self.call("get_pipeline_state", name=self.outputs.require("pipeline_name"))
