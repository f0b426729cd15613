"""CloudWatch: alarms, the stack's dashboard, and metric statistics over the last 24 hours."""

from __future__ import annotations

import datetime as dt
import json

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset

LAST_DAY = dt.timedelta(hours=24)


@collector("cloudwatch")
class CloudWatch(Collector):
    service = "cloudwatch"

    def __init__(self, target, outputs) -> None:
        super().__init__(target, outputs)
        self._window: tuple[dt.datetime, dt.datetime] | None = None

    @dataset
    def alarms(self) -> list[dict]:
        """Every metric alarm of the primary region, target-tracking alarms included."""
        return self.paginate("describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"])

    @dataset
    def composite_alarms(self) -> list[dict]:
        return self.paginate("describe_alarms", "CompositeAlarms", AlarmTypes=["CompositeAlarm"])

    @dataset
    def dashboard(self) -> dict:
        """The dashboard named by the dashboard_name output, its body parsed from JSON."""
        response = self.call("get_dashboard", DashboardName=self.outputs.require("dashboard_name"))
        return json.loads(response.get("DashboardBody") or "{}")

    @property
    def last_day(self) -> tuple[dt.datetime, dt.datetime]:
        """The 24 hours the session's statistics cover, ending at the minute of the first read."""
        if self._window is None:
            end = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
            self._window = (end - LAST_DAY, end)
        return self._window

    def last_day_statistics(self, namespace: str, metric: str, dimensions: dict[str, str], period: int,
                            statistics: tuple[str, ...] = (), extended_statistics: tuple[str, ...] = ()) -> list[dict]:
        """Return GetMetricStatistics data points over the last 24 hours, oldest first."""
        start, end = self.last_day
        request = {
            "Namespace": namespace, "MetricName": metric, "StartTime": start, "EndTime": end, "Period": period,
            "Dimensions": [{"Name": name, "Value": value} for name, value in sorted(dimensions.items())],
        }
        # GetMetricStatistics rejects a request that names both kinds of statistic.
        if statistics:
            request["Statistics"] = list(statistics)
        else:
            request["ExtendedStatistics"] = list(extended_statistics)

        dimension_text = ",".join(f"{name}={value}" for name, value in sorted(dimensions.items()))
        key = f"statistics:{namespace}/{metric}[{dimension_text}]:{period}s:{','.join(statistics or extended_statistics)}"
        return self.read(key, lambda: sorted(self.call("get_metric_statistics", **request)["Datapoints"],
                                             key=lambda point: point["Timestamp"]))


def load_balancer_dimension(alb_arn: str) -> str:
    """Return the LoadBalancer dimension value of an ALB ARN, such as app/app-alb/50dc6c495c0c9188."""
    return alb_arn.split(":loadbalancer/", 1)[-1]


def alarm_metrics(alarm: dict) -> list[tuple[str, str, dict[str, str]]]:
    """Return (namespace, metric name, dimensions) of each metric an alarm watches, math alarms included."""
    if alarm.get("MetricName"):
        return [(alarm.get("Namespace", ""), alarm["MetricName"],
                 {item["Name"]: item["Value"] for item in alarm.get("Dimensions", [])})]

    metrics = []
    for query in alarm.get("Metrics", []):
        metric = (query.get("MetricStat") or {}).get("Metric")
        if metric:
            metrics.append((metric.get("Namespace", ""), metric.get("MetricName", ""),
                            {item["Name"]: item["Value"] for item in metric.get("Dimensions", [])}))
    return metrics


def dashboard_metrics(body: dict) -> list[tuple[str, str, dict[str, str]]]:
    """Return (namespace, metric name, dimensions) of every metric the dashboard's metric widgets graph.

    A metric row is [namespace, name, dim1, value1, ..., {options}]. "." repeats the value at the
    same position of the row before, and "..." repeats all of the row before up to the values that
    follow it, as the dashboard body syntax defines.
    """
    metrics = []
    for widget in body.get("widgets", []):
        previous: list = []
        for row in (widget.get("properties") or {}).get("metrics", []):
            values = [value for value in row if not isinstance(value, dict)]
            expanded = _expand_row(values, previous)
            previous = expanded
            if len(expanded) >= 2 and all(isinstance(value, str) for value in expanded):
                dimensions = dict(zip(expanded[2::2], expanded[3::2]))
                metrics.append((expanded[0], expanded[1], dimensions))
    return metrics


def _expand_row(values: list, previous: list) -> list:
    expanded: list = []
    for index, value in enumerate(values):
        if value == "...":
            following = len(values) - index - 1
            expanded.extend(previous[len(expanded):max(len(expanded), len(previous) - following)])
        elif value == "." and len(expanded) < len(previous):
            expanded.append(previous[len(expanded)])
        else:
            expanded.append(value)
    return expanded
