"""Provisioning from template.yaml (moto in-process through the `aws` fixture)."""

import json

import boto3

from leadgate_dev import template
from leadgate_dev.local.provision import provision


def test_every_template_table_exists_with_its_indexes_and_ttl(aws):
    dynamodb = boto3.client("dynamodb")
    specs = template.tables()

    assert set(aws.tables) == {spec.env_var for spec in specs}
    for spec in specs:
        table = dynamodb.describe_table(TableName=aws.tables[spec.env_var])["Table"]
        assert table["KeySchema"] == spec.create_kwargs["KeySchema"]
        wanted_indexes = {index["IndexName"] for index in spec.create_kwargs.get("GlobalSecondaryIndexes", [])}
        assert {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])} == wanted_indexes
        ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
        if spec.ttl_attribute:
            assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": spec.ttl_attribute}
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_user_pool_has_the_template_resource_server(aws):
    server = template.resource_server()
    described = boto3.client("cognito-idp").describe_resource_server(
        UserPoolId=aws.user_pool_id, Identifier=server.identifier
    )["ResourceServer"]

    assert {scope["ScopeName"] for scope in described["Scopes"]} == set(server.scopes)
    assert aws.resource_server == server.identifier


def test_environment_names_every_table_the_pool_and_the_scope_prefix(aws):
    environment = aws.environment()

    assert environment["USER_POOL_ID"] == aws.user_pool_id
    assert environment["SCOPE_PREFIX"] == template.resource_server().identifier
    assert {name: environment[name] for name in aws.tables} == aws.tables
    assert environment["LEADS_TABLE"] == "local-LeadsTable"


def test_provisioning_again_reuses_tables_data_and_pool(aws):
    dynamodb, cognito = boto3.client("dynamodb"), boto3.client("cognito-idp")
    dynamodb.put_item(TableName=aws.tables["CLIENTS_TABLE"], Item={"client_id": {"S": "kept"}})

    again = provision(dynamodb=dynamodb, cognito=cognito)

    assert again == aws
    assert dynamodb.get_item(TableName=aws.tables["CLIENTS_TABLE"], Key={"client_id": {"S": "kept"}}).get("Item")
    assert len(cognito.list_user_pools(MaxResults=60)["UserPools"]) == 1


def test_stack_name_prefixes_everything(aws):
    other = provision(dynamodb=boto3.client("dynamodb"), cognito=boto3.client("cognito-idp"), stack="bench")

    assert all(name.startswith("bench-") for name in other.tables.values())
    assert other.user_pool_id != aws.user_pool_id


def test_queues_have_the_template_attributes_and_redrive_to_their_dead_letter_queue(aws):
    sqs = boto3.client("sqs")

    queue = sqs.get_queue_attributes(QueueUrl=aws.queues["WebhookQueue"], AttributeNames=["All"])["Attributes"]
    dead_letters = sqs.get_queue_attributes(QueueUrl=aws.queues["WebhookDeadLetterQueue"], AttributeNames=["QueueArn"])[
        "Attributes"
    ]

    assert json.loads(queue["RedrivePolicy"]) == {"deadLetterTargetArn": dead_letters["QueueArn"], "maxReceiveCount": 5}
    assert queue["VisibilityTimeout"] == "180"
    assert aws.environment()["WEBHOOK_QUEUE_URL"] == aws.queues["WebhookQueue"]


def test_a_message_received_max_receive_count_times_moves_to_the_dead_letter_queue(aws):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=aws.queues["WebhookQueue"], MessageBody="poison")
    for _ in range(5):
        (_received,) = sqs.receive_message(QueueUrl=aws.queues["WebhookQueue"], VisibilityTimeout=0)["Messages"]

    assert sqs.receive_message(QueueUrl=aws.queues["WebhookQueue"], VisibilityTimeout=0).get("Messages") is None
    (dead,) = sqs.receive_message(QueueUrl=aws.queues["WebhookDeadLetterQueue"])["Messages"]
    assert dead["Body"] == "poison"


def test_provisioning_twice_keeps_the_queues(aws):
    again = provision(dynamodb=boto3.client("dynamodb"), cognito=boto3.client("cognito-idp"))

    assert again.queues == aws.queues


def test_the_jobs_queue_is_fifo_and_redrives_to_a_fifo_dead_letter_queue(aws):
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_attributes(QueueUrl=aws.queues["JobsQueue"], AttributeNames=["All"])["Attributes"]
    dead_letters = sqs.get_queue_attributes(QueueUrl=aws.queues["JobsDeadLetterQueue"], AttributeNames=["All"])[
        "Attributes"
    ]

    assert aws.queues["JobsQueue"].endswith(".fifo") and aws.queues["JobsDeadLetterQueue"].endswith(".fifo")
    assert (queue["FifoQueue"], dead_letters["FifoQueue"]) == ("true", "true")
    assert json.loads(queue["RedrivePolicy"])["deadLetterTargetArn"] == dead_letters["QueueArn"]
    assert aws.environment()["JOBS_QUEUE_URL"] == aws.queues["JobsQueue"]
