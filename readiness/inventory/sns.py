"""SNS: the alarm topic's subscriptions and whether each is confirmed."""

from __future__ import annotations

from readiness.inventory import collector
from readiness.inventory.base import Collector, dataset

# ListSubscriptionsByTopic shows this in place of an ARN while a subscription awaits confirmation.
PENDING_ARN = "PendingConfirmation"


@collector("sns")
class Sns(Collector):
    service = "sns"

    @dataset
    def alarm_topic_subscriptions(self) -> list[dict]:
        """Subscriptions of the alarm_topic_arn topic, each with its Attributes when it has an ARN."""
        topic_arn = self.outputs.require("alarm_topic_arn")
        region = topic_arn.split(":")[3]

        subscriptions = self.paginate("list_subscriptions_by_topic", "Subscriptions", region=region, TopicArn=topic_arn)
        for subscription in subscriptions:
            subscription["Attributes"] = {}
            if subscription["SubscriptionArn"].startswith("arn:"):
                subscription["Attributes"] = self.call("get_subscription_attributes", region=region,
                                                       SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
        return subscriptions


def is_confirmed(subscription: dict) -> bool:
    """Tell whether a subscription is confirmed: it has an ARN and its attributes do not say it is pending."""
    if not subscription["SubscriptionArn"].startswith("arn:"):
        return False
    return subscription.get("Attributes", {}).get("PendingConfirmation", "false") != "true"
