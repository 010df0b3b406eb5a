"""Outbound webhooks for operators (docs/webhooks-out.md): a tenant's endpoints, an endpoint's delivery log, and
sending one delivery again (`leadgate webhooks endpoints|deliveries|retry`).

Through the target's own DynamoDB and SQS clients; keys, records and messages are the layer's
(`leadgate.outbound`), so what the CLI shows and queues is what the API shows and the sender reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadgate.outbound import keys, queue
from leadgate.outbound.deliveries import delivery_from
from leadgate.outbound.endpoints import endpoint_from
from leadgate.workspace import items
from leadgate.workspace.keys import partition


class UnknownDelivery(LookupError):
    """No such delivery (or it is already pending)."""


@dataclass(frozen=True)
class OutboundAdmin:
    dynamodb: Any
    sqs: Any
    table: str
    queue_url: str

    def endpoints(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's endpoints in id order, as the API shows them (never their secrets)."""
        answer = self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": partition(tenant)}, ":prefix": {"S": keys.ENDPOINT_PREFIX}},
        )
        return [endpoint_from(items.plain(item)).record() for item in answer.get("Items", [])]

    def deliveries(self, tenant: str, endpoint_id: int, status: str | None, limit: int) -> list[dict[str, Any]]:
        """The endpoint's newest deliveries with their attempts, optionally in one status."""
        query: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": keys.BY_TIME,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.deliveries_partition(tenant, endpoint_id)}},
            "ScanIndexForward": False,
        }
        if status:
            query["FilterExpression"] = "#status = :status"
            query["ExpressionAttributeNames"] = {"#status": "status"}
            query["ExpressionAttributeValues"][":status"] = {"S": status}
        found: list[dict[str, Any]] = []
        while len(found) < limit:
            answer = self.dynamodb.query(**query)
            found.extend(delivery_from(items.plain(item)).record() for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                break
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return found[:limit]

    def retry(self, tenant: str, endpoint_id: int, delivery_id: str) -> dict[str, Any]:
        """Makes the delivery pending from the start of the schedule and queues it (same `webhook-id`)."""
        try:
            answer = self.dynamodb.update_item(
                TableName=self.table,
                Key=keys.delivery_key(tenant, endpoint_id, delivery_id),
                UpdateExpression="SET #status = :pending, tries = :zero REMOVE next_attempt_at, due_at, due_shard",
                ConditionExpression="attribute_exists(pk) AND #status <> :pending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":pending": {"S": "pending"}, ":zero": {"N": "0"}},
                ReturnValues="ALL_NEW",
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException as exc:
            raise UnknownDelivery(f"{delivery_id} (or it is already pending)") from exc
        self.sqs.send_message(
            QueueUrl=self.queue_url, MessageBody=queue.deliver_message(tenant, endpoint_id, delivery_id, "manual")
        )
        return delivery_from(items.plain(answer["Attributes"])).record()
