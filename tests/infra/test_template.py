"""Assertions on the synthesized template: the properties a deployment depends on."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from aws_cdk import aws_cloudfront as cloudfront

from infra.aws import build_layer
from infra.aws.cdn import IMMUTABLE_PATHS, VIEWER_REQUEST, VIEWER_RESPONSE
from infra.aws.functions import REINDEX_REBUILD_BUDGET, SPECS
from infra.aws.monitoring import Monitoring
from rillet.adapters import schema
from rillet.core import layout, repodata
from rillet.runtime import observability, settings
from tests.infra.conftest import CONTEXT, ROOT, Synthesis

ALL_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _refs(value: Any) -> set[str]:
    """Logical IDs a CloudFormation value points at (Ref / Fn::GetAtt, at any depth)."""
    if isinstance(value, dict):
        found = set()
        if "Ref" in value and not value["Ref"].startswith("AWS::"):  # not pseudo parameters
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for v in value.values():
            found |= _refs(v)
        return found
    if isinstance(value, list):
        return set().union(*map(_refs, value)) if value else set()
    return set()


def _max_age(cache_control: str) -> int:
    match = re.search(r"max-age=(\d+)", cache_control)
    assert match, cache_control
    return int(match.group(1))


def _function(synthesis: Synthesis, name: str) -> tuple[str, dict[str, Any]]:
    logical_id = synthesis.logical_id(synthesis.stack.functions[name])
    return logical_id, synthesis.resources[logical_id]["Properties"]


def _statements(synthesis: Synthesis, policy_types: tuple[str, ...]) -> list[dict[str, Any]]:
    statements = []
    for resource in synthesis.resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] in policy_types:
            statements += props["PolicyDocument"]["Statement"]
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                statements += policy["PolicyDocument"]["Statement"]
    return statements


def _role_actions(synthesis: Synthesis, name: str) -> set[str]:
    """Every action the policies attached to this function's role allow."""
    _, props = _function(synthesis, name)
    (role,) = _refs(props["Role"])
    actions: set[str] = set()
    for resource in synthesis.of_type("AWS::IAM::Policy").values():
        if role in _refs(resource["Properties"]["Roles"]):
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if statement["Effect"] == "Allow":
                    actions |= set(_as_list(statement["Action"]))
    return actions


def _distribution(synthesis: Synthesis) -> dict[str, Any]:
    (dist,) = synthesis.of_type("AWS::CloudFront::Distribution").values()
    return dict(dist["Properties"]["DistributionConfig"])


def _behaviors(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    config = _distribution(synthesis)
    behaviors = {b["PathPattern"]: b for b in config.get("CacheBehaviors", [])}
    behaviors["default"] = config["DefaultCacheBehavior"]
    return behaviors


# Buckets -------------------------------------------------------------------------------


def _bucket_policy(synthesis: Synthesis, bucket_id: str) -> list[dict[str, Any]]:
    for resource in synthesis.of_type("AWS::S3::BucketPolicy").values():
        if _refs(resource["Properties"]["Bucket"]) == {bucket_id}:
            return list(resource["Properties"]["PolicyDocument"]["Statement"])
    raise AssertionError(f"no bucket policy for {bucket_id}")


def test_buckets_block_public_access_and_refuse_plain_http(synthesis: Synthesis) -> None:
    for bucket in (synthesis.stack.storage.channels, synthesis.stack.storage.staging):
        bucket_id = synthesis.logical_id(bucket)
        props = synthesis.resources[bucket_id]["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert any(
            s["Effect"] == "Deny"
            and s["Action"] == "s3:*"
            and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in _bucket_policy(synthesis, bucket_id)
        ), f"{bucket_id} accepts plain HTTP"


def test_channels_bucket_is_versioned_and_read_only_by_this_distribution(
    synthesis: Synthesis,
) -> None:
    bucket_id = synthesis.logical_id(synthesis.stack.storage.channels)
    assert synthesis.resources[bucket_id]["Properties"]["VersioningConfiguration"] == {
        "Status": "Enabled"
    }
    distribution_id = synthesis.logical_id(synthesis.stack.cdn.distribution)
    allows = [s for s in _bucket_policy(synthesis, bucket_id) if s["Effect"] == "Allow"]
    assert allows, "CloudFront cannot read the channels bucket"
    for statement in allows:
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert set(_as_list(statement["Action"])) <= {"s3:GetObject", "s3:ListBucket"}
        assert _refs(statement["Condition"]["StringEquals"]["AWS:SourceArn"]) == {distribution_id}
    # Origin access control, not a public website endpoint or an access identity.
    (origin,) = (
        o for o in _distribution(synthesis)["Origins"] if bucket_id in _refs(o["DomainName"])
    )
    assert origin.get("OriginAccessControlId")
    assert origin["S3OriginConfig"]["OriginAccessIdentity"] == ""


def test_the_cdn_cannot_be_made_to_list_the_channels_bucket(synthesis: Synthesis) -> None:
    """CloudFront may ListBucket (so missing keys are 404s): "/" and list queries must
    never reach S3, or a listing would name every private channel's files."""
    assert _distribution(synthesis)["DefaultRootObject"] == "index.html"
    for path, behavior in _behaviors(synthesis).items():
        if path == "/api/*":
            continue
        keys = _cache_policy(synthesis, behavior)["ParametersInCacheKeyAndForwardedToOrigin"]
        assert keys["QueryStringsConfig"] == {"QueryStringBehavior": "none"}, path
        assert "OriginRequestPolicyId" not in behavior, path


def test_staging_uploads_expire_and_notify_the_validate_queue(synthesis: Synthesis) -> None:
    storage, queues = synthesis.stack.storage, synthesis.stack.queues
    props = synthesis.resources[synthesis.logical_id(storage.staging)]["Properties"]
    assert {
        "Prefix": layout.STAGING_PREFIX,
        "ExpirationInDays": layout.STAGING_EXPIRY_DAYS,
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        "Status": "Enabled",
    } in props["LifecycleConfiguration"]["Rules"]
    (notification,) = props["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Filter"]["S3Key"]["Rules"] == [
        {"Name": "prefix", "Value": layout.STAGING_PREFIX}
    ]
    assert _refs(notification["Queue"]) == {synthesis.logical_id(queues.validate)}


# Table ---------------------------------------------------------------------------------


def test_table_matches_the_schema_module(synthesis: Synthesis) -> None:
    props = synthesis.resources[synthesis.logical_id(synthesis.stack.table)]["Properties"]
    definition = schema.table_definition("unused")
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == definition["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(
        definition["AttributeDefinitions"], key=str
    )
    indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
    for index in definition.get("GlobalSecondaryIndexes", []):
        assert indexes[index["IndexName"]]["KeySchema"] == index["KeySchema"]
        assert indexes[index["IndexName"]]["Projection"] == index["Projection"]
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": schema.TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert props["StreamSpecification"] == {
        "StreamViewType": definition["StreamSpecification"]["StreamViewType"]
    }


# Queues --------------------------------------------------------------------------------


def _queue(synthesis: Synthesis, queue: Any) -> dict[str, Any]:
    return dict(synthesis.resources[synthesis.logical_id(queue)]["Properties"])


def test_reindex_queue_is_fifo_with_content_dedup_and_a_fifo_dlq(synthesis: Synthesis) -> None:
    queues = synthesis.stack.queues
    props = _queue(synthesis, queues.reindex)
    assert props["FifoQueue"] is True
    assert props["ContentBasedDeduplication"] is True
    assert _refs(props["RedrivePolicy"]["deadLetterTargetArn"]) == {
        synthesis.logical_id(queues.reindex_dlq)
    }
    assert _queue(synthesis, queues.reindex_dlq)["FifoQueue"] is True


def test_validate_queue_is_standard_with_a_dlq(synthesis: Synthesis) -> None:
    queues = synthesis.stack.queues
    props = _queue(synthesis, queues.validate)
    assert "FifoQueue" not in props  # S3 cannot notify a FIFO queue
    assert _refs(props["RedrivePolicy"]["deadLetterTargetArn"]) == {
        synthesis.logical_id(queues.validate_dlq)
    }


def test_queue_triggers_outlast_their_function_and_report_item_failures(
    synthesis: Synthesis,
) -> None:
    mappings = synthesis.of_type("AWS::Lambda::EventSourceMapping").values()
    queues = {
        synthesis.logical_id(q): q
        for q in (
            synthesis.stack.queues.validate,
            synthesis.stack.queues.reindex,
            synthesis.stack.queues.validate_dlq,
        )
    }
    seen = set()
    for mapping in mappings:
        props = mapping["Properties"]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        (source,) = _refs(props["EventSourceArn"])
        if source not in queues:
            continue
        seen.add(source)
        (function_id,) = _refs(props["FunctionName"])
        timeout = synthesis.resources[function_id]["Properties"]["Timeout"]
        # AWS's guidance for SQS triggers: at least six times the function timeout.
        assert synthesis.resources[source]["Properties"]["VisibilityTimeout"] >= 6 * timeout
    assert seen == set(queues), "a queue has no consumer"


def test_validate_dead_consumes_the_validate_dlq_with_only_what_it_needs(
    synthesis: Synthesis,
) -> None:
    """Uploads whose validation died (timeout, out of memory) are ended, not left validating."""
    mapping = _mapping_of(synthesis, "validate_dead")
    assert _refs(mapping["EventSourceArn"]) == {
        synthesis.logical_id(synthesis.stack.queues.validate_dlq)
    }
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    actions = _role_actions(synthesis, "validate_dead")
    assert {"dynamodb:GetItem", "dynamodb:UpdateItem", "s3:DeleteObject"} <= actions
    # It never reads or writes packages, sends reindex work or purges the CDN.
    assert not actions & {"s3:GetObject", "s3:PutObject", "sqs:SendMessage"}
    assert not any(a.startswith("cloudfront:") for a in actions)
    staging_objects = [
        s["Resource"]
        for s in _statements(synthesis, ("AWS::IAM::Policy",))
        if "s3:DeleteObject" in _as_list(s["Action"])
        and synthesis.logical_id(synthesis.stack.storage.staging) in _refs(s["Resource"])
    ]
    assert staging_objects, "validate_dead cannot delete staged objects"


def test_edge_sync_reads_the_table_stream_with_a_failure_destination(
    synthesis: Synthesis,
) -> None:
    function_id, _ = _function(synthesis, "edge_sync")
    table_id = synthesis.logical_id(synthesis.stack.table)
    (mapping,) = (
        m["Properties"]
        for m in synthesis.of_type("AWS::Lambda::EventSourceMapping").values()
        if _refs(m["Properties"]["FunctionName"]) == {function_id}
    )
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert _refs(mapping["DestinationConfig"]["OnFailure"]["Destination"]) == {
        synthesis.logical_id(synthesis.stack.queues.edge_sync_dlq)
    }


# Functions -----------------------------------------------------------------------------


def test_every_function_gets_every_setting_it_reads(synthesis: Synthesis) -> None:
    """Names from rillet.runtime.settings, so a new required variable fails here first."""
    for spec in SPECS:
        _, props = _function(synthesis, spec.name)
        env = props["Environment"]["Variables"]
        missing = [name for name in settings.REQUIRED if not env.get(name)]
        assert not missing, f"{spec.name} lacks {missing}"
        sources = [name for name in settings.ADMIN_TOKEN_SOURCES if env.get(name)]
        assert sources == [settings.ADMIN_TOKEN_SECRET], f"{spec.name}: {sources}"
        unknown = {n for n in env if n.startswith("RILLET_")} - {
            *settings.REQUIRED,
            *settings.OPTIONAL,
        }
        assert not unknown, f"{spec.name} sets variables no setting reads: {unknown}"
    _, edge_sync = _function(synthesis, "edge_sync")
    assert _refs(edge_sync["Environment"]["Variables"][settings.EDGE_KVS_ARN]) == {
        synthesis.logical_id(synthesis.stack.cdn.edge_store)
    }


def test_functions_run_python_312_on_the_layer_architecture(synthesis: Synthesis) -> None:
    manifest = build_layer.read_manifest()
    assert manifest
    layers = {synthesis.logical_id(layer) for layer in _layer_constructs(synthesis)}
    assert len(layers) == 2
    for spec in SPECS:
        _, props = _function(synthesis, spec.name)
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == [manifest["architecture"]]
        assert {_refs(layer).pop() for layer in props["Layers"]} == layers
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["TracingConfig"] == {"Mode": "Active"}
        # The code asset is functions/<name>, whose handler.py is the entry point.
        assert (ROOT / "functions" / spec.name / "handler.py").exists()
        assert props["Handler"] == "handler.lambda_handler"


def test_the_rillet_layer_ships_the_server_code_without_the_cli(synthesis: Synthesis) -> None:
    (resource,) = [
        r
        for r in synthesis.template["Resources"].values()
        if r["Type"] == "AWS::Lambda::LayerVersion"
        and r["Properties"].get("Description") == "rillet package"
    ]
    # The staged asset is named after the zip's content hash (the S3 key).
    digest = resource["Properties"]["Content"]["S3Key"].removesuffix(".zip")
    staged = Path(synthesis.app.outdir) / f"asset.{digest}"
    assert (staged / "python" / "rillet" / "services").is_dir()
    assert (staged / "python" / "rillet" / "runtime" / "wiring.py").is_file()
    assert not (staged / "python" / "rillet" / "cli").exists()


def _monitoring(synthesis: Synthesis) -> Monitoring:
    monitoring = synthesis.stack.node.find_child("Monitoring")
    assert isinstance(monitoring, Monitoring)
    return monitoring


def _layer_constructs(synthesis: Synthesis) -> list[Any]:
    functions = synthesis.stack.functions
    return [functions.node.find_child("RilletLayer"), functions.node.find_child("DepsLayer")]


def test_no_iam_statement_allows_a_wildcard_action(synthesis: Synthesis) -> None:
    policy_types = (
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
    )
    statements = _statements(synthesis, policy_types)
    assert len(statements) > 20
    for statement in statements:
        if statement["Effect"] != "Allow":
            continue  # the TLS-only Deny s3:* / sqs:* statements are meant to be broad
        for action in _as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), statement


def test_each_function_holds_only_its_own_grants(synthesis: Synthesis) -> None:
    actions = {spec.name: _role_actions(synthesis, spec.name) for spec in SPECS}
    assert "secretsmanager:GetSecretValue" in actions["api"]
    assert "cloudfront-keyvaluestore:UpdateKeys" in actions["edge_sync"]
    assert "cloudfront-keyvaluestore:GetKey" in actions["edge_sync"]
    assert "dynamodb:PutItem" in actions["validate"]
    assert "sqs:SendMessage" in actions["validate"]
    for name, allowed in actions.items():
        if name != "api":
            assert not any(a.startswith("secretsmanager:") for a in allowed), name
        if name != "edge_sync":
            assert not any(a.startswith("cloudfront-keyvaluestore:") for a in allowed), name
        # The channels bucket is versioned so that deletes can be undone.
        assert not any(a.startswith("s3:DeleteObjectVersion") for a in allowed), name
    assert not any(a.startswith(("s3:", "dynamodb:PutItem")) for a in actions["edge_sync"])


# CloudFront ----------------------------------------------------------------------------


def test_api_behavior_forwards_everything_uncached(synthesis: Synthesis) -> None:
    behaviors = _behaviors(synthesis)
    api = behaviors["/api/*"]
    assert api["CachePolicyId"] == cloudfront.CachePolicy.CACHING_DISABLED.cache_policy_id
    assert (
        api["OriginRequestPolicyId"]
        == cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.origin_request_policy_id
    )
    assert set(api["AllowedMethods"]) == ALL_METHODS
    assert api["ViewerProtocolPolicy"] == "https-only"
    (origin,) = (o for o in _distribution(synthesis)["Origins"] if o["Id"] == api["TargetOriginId"])
    assert _refs(origin["DomainName"]) == {synthesis.logical_id(synthesis.stack.http_api.api)}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    # /api/* must win over the channel-file patterns (e.g. an API path ending in .conda).
    assert _distribution(synthesis)["CacheBehaviors"][0]["PathPattern"] == "/api/*"


def test_http_api_sends_every_api_path_to_the_api_function(synthesis: Synthesis) -> None:
    (route,) = synthesis.of_type("AWS::ApiGatewayV2::Route").values()
    assert route["Properties"]["RouteKey"] == "ANY /api/{proxy+}"
    (integration,) = synthesis.of_type("AWS::ApiGatewayV2::Integration").values()
    function_id, _ = _function(synthesis, "api")
    assert function_id in _refs(integration["Properties"]["IntegrationUri"])


def _cache_policy(synthesis: Synthesis, behavior: dict[str, Any]) -> dict[str, Any]:
    (policy_id,) = _refs(behavior["CachePolicyId"])
    return dict(synthesis.resources[policy_id]["Properties"]["CachePolicyConfig"])


def test_packages_and_shards_are_cached_as_immutable(synthesis: Synthesis) -> None:
    behaviors = _behaviors(synthesis)
    assert set(IMMUTABLE_PATHS) == {"*.conda", "*.tar.bz2", "*/shards/*"}
    for path in IMMUTABLE_PATHS:
        policy = _cache_policy(synthesis, behaviors[path])
        assert policy["MinTTL"] >= 86400, path
        assert policy["DefaultTTL"] >= _max_age(repodata.IMMUTABLE_CACHE_CONTROL), path
        assert policy["MaxTTL"] >= _max_age(repodata.IMMUTABLE_CACHE_CONTROL), path
        assert behaviors[path]["AllowedMethods"] == ["GET", "HEAD"]


def test_index_files_are_short_lived(synthesis: Synthesis) -> None:
    """repodata.json, repodata.json.zst and the shard index fall to the default behavior."""
    policy = _cache_policy(synthesis, _behaviors(synthesis)["default"])
    assert policy["MinTTL"] == 0
    assert policy["DefaultTTL"] <= 60
    # Honours the max-age the indexer writes, and caps anything longer at five minutes.
    assert _max_age(repodata.INDEX_CACHE_CONTROL) <= policy["MaxTTL"] <= 300
    # The CDN's own copy (s-maxage, which CloudFront prefers) lives a few seconds only.
    shared = re.search(r"s-maxage=(\d+)", repodata.INDEX_CACHE_CONTROL)
    assert shared and policy["MinTTL"] <= int(shared.group(1)) <= 10
    for name in (repodata.REPODATA_JSON, repodata.REPODATA_JSON_ZST, repodata.SHARD_INDEX):
        assert not any(
            re.fullmatch(p.replace(".", r"\.").replace("*", ".*"), f"/acme/noarch/{name}")
            for p in IMMUTABLE_PATHS
        ), name


def test_edge_function_guards_every_channel_file_behavior(synthesis: Synthesis) -> None:
    function_id = synthesis.logical_id(synthesis.stack.cdn.node.find_child("ViewerRequest"))
    function = synthesis.resources[function_id]["Properties"]
    assert function["FunctionCode"] == VIEWER_REQUEST.read_text()
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    (association,) = function["FunctionConfig"]["KeyValueStoreAssociations"]
    assert _refs(association["KeyValueStoreARN"]) == {
        synthesis.logical_id(synthesis.stack.cdn.edge_store)
    }
    # Private channels' files leave as Cache-Control: private (same store, same rule).
    response_id = synthesis.logical_id(synthesis.stack.cdn.node.find_child("ViewerResponse"))
    response = synthesis.resources[response_id]["Properties"]
    assert response["FunctionCode"] == VIEWER_RESPONSE.read_text()
    assert response["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    (store,) = response["FunctionConfig"]["KeyValueStoreAssociations"]
    assert _refs(store["KeyValueStoreARN"]) == _refs(association["KeyValueStoreARN"])
    behaviors = _behaviors(synthesis)
    # /assets/*: the web app's built files (their own origin; no channel there).
    assert set(behaviors) == {"default", "/api/*", "/assets/*", *IMMUTABLE_PATHS}
    for path, behavior in behaviors.items():
        if path == "/api/*":
            continue
        expected = [
            {
                "EventType": "viewer-request",
                "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]},
            },
            {
                "EventType": "viewer-response",
                "FunctionARN": {"Fn::GetAtt": [response_id, "FunctionARN"]},
            },
        ]
        assert (
            behavior["FunctionAssociations"] == expected[:1] if path == "/assets/*" else expected
        ), path


# Operations ----------------------------------------------------------------------------


def _alarms(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in synthesis.of_type("AWS::CloudWatch::Alarm").items()}


def _watched(synthesis: Synthesis) -> set[tuple[str, str, str]]:
    """(namespace, metric, what it is dimensioned by) of every single-metric alarm."""
    watched = set()
    for alarm in _alarms(synthesis).values():
        if "MetricName" not in alarm:
            continue
        (dimension,) = alarm["Dimensions"]
        target = _refs(dimension["Value"]) or {dimension["Value"]}
        watched.add((alarm["Namespace"], alarm["MetricName"], target.pop()))
    return watched


def test_alarms_cover_dead_letters_queues_functions_the_stream_and_the_api(
    synthesis: Synthesis,
) -> None:
    watched = _watched(synthesis)
    for spec in SPECS:
        function_id, _ = _function(synthesis, spec.name)
        assert ("AWS/Lambda", "Errors", function_id) in watched, spec.name
        assert ("AWS/Lambda", "Throttles", function_id) in watched, spec.name
    queues = synthesis.stack.queues
    for dlq in (queues.reindex_dlq, queues.edge_sync_dlq):
        assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", synthesis.logical_id(dlq)) in (
            watched
        )
    # validate_dead drains the validate DLQ: a dead letter that waits is one it failed on.
    for queue in (queues.validate, queues.reindex, queues.validate_dlq):
        assert ("AWS/SQS", "ApproximateAgeOfOldestMessage", synthesis.logical_id(queue)) in (
            watched
        )
    edge_sync_id, _ = _function(synthesis, "edge_sync")
    assert ("AWS/Lambda", "IteratorAge", edge_sync_id) in watched
    api_id = synthesis.logical_id(synthesis.stack.http_api.api)
    assert ("AWS/ApiGateway", "5xx", api_id) in watched
    topic_id = synthesis.logical_id(_monitoring(synthesis).topic)
    for name, alarm in _alarms(synthesis).items():
        assert [_refs(a) for a in alarm["AlarmActions"]] == [{topic_id}], name


def test_edge_store_size_alarm_watches_the_metric_edge_sync_publishes(
    synthesis: Synthesis,
) -> None:
    """The contract: namespace Rillet, EdgeStoreBytes, dimensioned by Stage alone."""
    (alarm,) = (
        a
        for a in _alarms(synthesis).values()
        if a.get("MetricName") == observability.EDGE_STORE_BYTES
    )
    assert alarm["Namespace"] == observability.METRICS_NAMESPACE == "Rillet"
    assert alarm["Dimensions"] == [{"Name": "Stage", "Value": CONTEXT["stage"]}]
    assert "Unit" not in alarm  # a unit would have to match the published one exactly
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] <= 0.8 * 5_000_000
    assert alarm["TreatMissingData"] == "ignore"  # a full store stays in alarm
    # edge_sync knows which stage it publishes for.
    for spec in SPECS:
        _, props = _function(synthesis, spec.name)
        assert props["Environment"]["Variables"][settings.STAGE] == CONTEXT["stage"]


def test_cdn_5xx_alarm_exists_only_where_cloudfront_metrics_are(synthesis: Synthesis) -> None:
    (name,) = (
        k
        for k, a in _alarms(synthesis).items()
        if any(
            m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "5xxErrorRate"
            for m in a.get("Metrics", [])
        )
    )
    resource = synthesis.resources[name]
    condition = synthesis.template["Conditions"][resource["Condition"]]
    assert condition == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    metrics = {m["Id"]: m for m in resource["Properties"]["Metrics"]}
    distribution_id = synthesis.logical_id(synthesis.stack.cdn.distribution)
    for metric_id in ("errors", "requests"):
        dimensions = metrics[metric_id]["MetricStat"]["Metric"]["Dimensions"]
        assert {"Name": "Region", "Value": "Global"} in dimensions
        assert {"Ref": distribution_id} in [d["Value"] for d in dimensions]


def test_cloudwatch_may_publish_to_the_alarm_topic_over_tls_only(synthesis: Synthesis) -> None:
    """A topic policy replaces SNS's default one: the TLS-only Deny alone locks CloudWatch out."""
    topic_id = synthesis.logical_id(_monitoring(synthesis).topic)
    (policy,) = (
        p["Properties"]
        for p in synthesis.of_type("AWS::SNS::TopicPolicy").values()
        if _refs(p["Properties"]["Topics"]) == {topic_id}
    )
    statements = policy["PolicyDocument"]["Statement"]
    assert {
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": "*",
        "Resource": {"Ref": topic_id},
        "Sid": "AllowPublishThroughSSLOnly",
    } in statements
    (allow,) = (s for s in statements if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Resource"] == {"Ref": topic_id}
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = allow["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1]
    assert source_arn[-1] == ":alarm:*" and {"Ref": "AWS::AccountId"} in source_arn


# Sizing and concurrency ----------------------------------------------------------------


def _mapping_of(synthesis: Synthesis, name: str) -> dict[str, Any]:
    function_id, _ = _function(synthesis, name)
    (mapping,) = (
        m["Properties"]
        for m in synthesis.of_type("AWS::Lambda::EventSourceMapping").values()
        if _refs(m["Properties"]["FunctionName"]) == {function_id}
    )
    return mapping


def test_reindex_is_sized_for_a_100k_record_subdir(synthesis: Synthesis) -> None:
    """Every message of a batch may settle for the longest wait and rebuild in full."""
    _, props = _function(synthesis, "reindex")
    batch = _mapping_of(synthesis, "reindex")["BatchSize"]
    worst_message_s = (
        settings.DEFAULT_REINDEX_MAX_WAIT_MS / 1000 + REINDEX_REBUILD_BUDGET.to_seconds()
    )
    assert batch * worst_message_s * 1.5 <= props["Timeout"]
    assert props["MemorySize"] >= 1769  # one full vCPU for the single-threaded rebuild
    assert _queue(synthesis, synthesis.stack.queues.reindex)["VisibilityTimeout"] >= (
        6 * props["Timeout"]
    )


def test_queue_consumers_have_reserved_concurrency_and_are_never_throttled_by_it(
    synthesis: Synthesis,
) -> None:
    expected = {"validate": 10, "reindex": 4, "edge_sync": 2, "validate_dead": 2}
    for name, reserved in expected.items():
        _, props = _function(synthesis, name)
        assert props["ReservedConcurrentExecutions"] == reserved, name
    _, api = _function(synthesis, "api")
    assert "ReservedConcurrentExecutions" not in api
    # The SQS pollers stop at the reservation: a throttled delivery counts as a receive.
    for name in ("validate", "reindex", "validate_dead"):
        assert _mapping_of(synthesis, name)["ScalingConfig"] == {
            "MaximumConcurrency": expected[name]
        }


# Redeploy and regions ------------------------------------------------------------------

# Physical-name properties; CloudFormation generates a unique name where they are absent.
_NAME_PROPERTIES = {
    "AWS::SecretsManager::Secret": "Name",
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::CloudWatch::Alarm": "AlarmName",
}
# Names CloudFront requires, global to the account.
_CLOUDFRONT_NAMES = {
    "AWS::CloudFront::KeyValueStore": ("Name",),
    "AWS::CloudFront::Function": ("Name",),
    "AWS::CloudFront::CachePolicy": ("CachePolicyConfig", "Name"),
    "AWS::CloudFront::OriginAccessControl": ("OriginAccessControlConfig", "Name"),
}


def test_no_fixed_names_so_a_retained_stack_can_be_deployed_again(synthesis: Synthesis) -> None:
    """After `cdk destroy` with removal=retain the retained resources keep their names."""
    for logical_id, resource in synthesis.resources.items():
        name = _NAME_PROPERTIES.get(resource["Type"])
        assert name is None or name not in resource.get("Properties", {}), logical_id


def test_the_same_stage_can_run_in_two_regions(synthesis: Synthesis) -> None:
    seen = 0
    for logical_id, resource in synthesis.resources.items():
        path = _CLOUDFRONT_NAMES.get(resource["Type"])
        if path is None:
            continue
        value: Any = resource["Properties"]
        for part in path:
            value = value[part]
        assert {"Ref": "AWS::Region"} in value["Fn::Join"][1], logical_id
        # A fixed name must not outlive the stack, or the next deployment collides with it.
        assert resource.get("DeletionPolicy", "Delete") == "Delete", logical_id
        seen += 1
    assert seen >= 5  # the store, the function, two cache policies, the access control


def test_outputs_name_the_channel_url_api_url_and_secret(synthesis: Synthesis) -> None:
    outputs = synthesis.template["Outputs"]
    distribution_id = synthesis.logical_id(synthesis.stack.cdn.distribution)
    assert _refs(outputs["ChannelUrl"]["Value"]) == {distribution_id}
    assert outputs["ApiUrl"]["Value"]["Fn::Join"][1][-1] == "/api"
    assert _refs(outputs["DistributionId"]["Value"]) == {distribution_id}
    assert _refs(outputs["AdminTokenSecretArn"]["Value"]) == {
        synthesis.logical_id(synthesis.stack.admin_token)
    }
    _, api = _function(synthesis, "api")
    assert api["Environment"]["Variables"][settings.PUBLIC_URL] == outputs["ChannelUrl"]["Value"]


# -- the web app (issue 13) --------------------------------------------------------------
def _distribution_config(synthesis: Synthesis) -> dict[str, Any]:
    (dist,) = synthesis.of_type("AWS::CloudFront::Distribution").values()
    return dict(dist["Properties"]["DistributionConfig"])


def _resolved(synthesis: Synthesis, value: Any) -> str:
    """A template value with Fn::Join flattened (tokens shown as their reference)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(_resolved(synthesis, p) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "{" + str(value["Ref"]) + "}"
    return json.dumps(value)


def test_web_app_files_come_from_their_own_bucket_with_their_cache_rules(
    synthesis: Synthesis,
) -> None:
    from rillet.core.webapp import ASSET_CACHE_CONTROL, INDEX_CACHE_CONTROL

    deployments = synthesis.of_type("Custom::CDKBucketDeployment")
    assert len(deployments) == 2
    web_bucket = synthesis.logical_id(synthesis.stack.storage.web)
    by_prefix = {}
    for d in deployments.values():
        p = d["Properties"]
        assert p["DestinationBucketName"] == {"Ref": web_bucket}
        # Old hashed files stay: a page loaded before a deployment still finds its scripts.
        assert p["Prune"] is False
        by_prefix[p.get("DestinationBucketKeyPrefix", "")] = p
    assert set(by_prefix) == {"", "assets/"}
    assert by_prefix["assets/"]["SystemMetadata"] == {"cache-control": ASSET_CACHE_CONTROL}
    assert by_prefix[""]["SystemMetadata"] == {"cache-control": INDEX_CACHE_CONTROL}
    config = _distribution_config(synthesis)
    web_origin = next(o for o in config["Origins"] if o["Id"] == "web")
    assert web_origin["OriginAccessControlId"]
    (assets,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/assets/*"]
    assert assets["TargetOriginId"] == "web"
    (policy,) = [
        p
        for k, p in synthesis.of_type("AWS::CloudFront::CachePolicy").items()
        if {"Ref": k} == assets["CachePolicyId"]
    ]
    assert policy["Properties"]["CachePolicyConfig"]["MinTTL"] >= 86400
    # The pages reach the web origin through the viewer-request function (it selects it).
    source = VIEWER_REQUEST.read_text()
    assert "const WEB_ORIGIN_ID = 'web';" in source


def test_every_behavior_sends_the_security_headers(synthesis: Synthesis) -> None:
    from rillet.core.webapp import HSTS, PERMISSIONS_POLICY

    (key, policy), *_ = synthesis.of_type("AWS::CloudFront::ResponseHeadersPolicy").items()
    config = _distribution_config(synthesis)
    for behavior in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": key}, behavior.get("PathPattern")
    p = policy["Properties"]["ResponseHeadersPolicyConfig"]
    security = p["SecurityHeadersConfig"]
    csp = _resolved(synthesis, security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert "img-src 'self' https:" in csp
    # connect-src: this origin, and the pool's issuer and login domain (sign-in fetches).
    connect = next(d for d in csp.split("; ") if d.startswith("connect-src"))
    assert "'self'" in connect
    assert "https://cognito-idp.{AWS::Region}.amazonaws.com" in connect
    assert ".auth.{AWS::Region}.amazoncognito.com" in connect
    # And the staging bucket's regional S3 origin: the presigned upload PUTs.
    assert "https://s3.{AWS::Region}.amazonaws.com" in connect.split()
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 63072000
    assert HSTS.endswith("includeSubDomains")
    assert security["StrictTransportSecurity"]["IncludeSubdomains"] is True
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "same-origin"
    custom = {h["Header"]: h["Value"] for h in p["CustomHeadersConfig"]["Items"]}
    assert custom["Permissions-Policy"] == PERMISSIONS_POLICY


def test_the_sign_in_client_knows_the_web_app_redirects(synthesis: Synthesis) -> None:
    (client,) = synthesis.of_type("AWS::Cognito::UserPoolClient").values()
    callbacks = [_resolved(synthesis, u) for u in client["Properties"]["CallbackURLs"]]
    logouts = [_resolved(synthesis, u) for u in client["Properties"]["LogoutURLs"]]
    assert any(u.endswith("/callback") and u.startswith("https://") for u in callbacks)
    assert any(u.endswith("/logout") and u.startswith("https://") for u in logouts)


def test_the_web_app_may_put_uploads_into_the_staging_bucket_only(synthesis: Synthesis) -> None:
    from infra.aws.storage import UPLOAD_HEADERS

    buckets = synthesis.of_type("AWS::S3::Bucket")
    staging = synthesis.logical_id(synthesis.stack.storage.staging)
    (rule,) = buckets[staging]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["PUT"]
    # The public URL: the distribution's own domain (no custom domain in the test config).
    (origin,) = rule["AllowedOrigins"]
    assert origin != "*"
    assert _resolved(synthesis, origin) == _resolved(
        synthesis, synthesis.template["Outputs"]["ChannelUrl"]["Value"]
    )
    dist = synthesis.logical_id(synthesis.stack.cdn.distribution)
    assert _refs(origin) == {dist}
    # Every header the upload ticket tells the browser to send is allowed.
    assert {"content-type", "x-amz-checksum-sha256"} <= {h.lower() for h in UPLOAD_HEADERS}
    assert rule["AllowedHeaders"] == list(UPLOAD_HEADERS)
    assert rule["ExposedHeaders"] == ["ETag"]
    assert rule["MaxAge"] > 0
    # No other bucket answers a browser's cross-origin request.
    others = [k for k, b in buckets.items() if k != staging]
    assert all("CorsConfiguration" not in buckets[k]["Properties"] for k in others)


def test_presigned_upload_urls_use_the_origin_the_csp_allows() -> None:
    import boto3

    from infra.aws.storage import UPLOAD_HEADERS
    from rillet.core.webapp import s3_origin
    from rillet.runtime.settings import Settings
    from rillet.runtime.wiring import Container

    settings = Settings(
        table_name="t",
        channels_bucket="channels",
        staging_bucket="staging",
        reindex_queue_url="https://sqs.example/q",
        public_url="https://channels.example",
    )
    # us-east-1 included: its legacy global endpoint would be another origin.
    for region in ("us-east-1", "eu-west-1"):
        session = boto3.session.Session(
            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name=region
        )
        presigner = Container(settings, overrides={"session": session}).presigner
        url, headers = presigner.presign_put(
            "staging/x.conda",
            size=3,
            sha256_hex="00" * 32,
            content_type="application/x",
            expires_in=60,
        )
        assert url.startswith(s3_origin(region) + "/staging/staging/x.conda?"), url
        # The ticket's headers are the ones the staging bucket's CORS rule allows.
        assert {h.lower() for h in headers} <= {h.lower() for h in UPLOAD_HEADERS}
