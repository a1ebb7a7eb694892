"""The Lambda functions: one spec line each, all built the same way.

Code comes from ``functions/<name>``; our package (``layers/rillet``) and the third-party
dependencies (``layers/deps``, built by ``build_layer``) are two layers shared by all.
Every function gets the same environment, because ``Settings.from_env`` validates all
of it at cold start; what a function may *do* is decided by its grants, not its env.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.aws import build_layer
from infra.aws.config import StageConfig
from infra.aws.nag import acknowledge

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}
_EXCLUDE = ["**/__pycache__", "**/*.pyc", "**/*.egg-info"]


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # the directory under functions/
    description: str
    memory_mb: int
    timeout: Duration


# API Gateway gives up after 30 s, so the api function must answer first.
API = FunctionSpec("api", "Rillet control plane behind the HTTP API", 1024, Duration.seconds(29))
# Streams up to max_package_bytes once (size, sha256, md5), then copies it into place.
VALIDATE = FunctionSpec("validate", "Validate and record staged uploads", 1024, Duration.minutes(5))
# Sized for a subdir of 100k records (docs/deploy.md, "Reindex sizing"). One message per
# invocation: the worst message is the settle wait plus a full rebuild, estimated on AWS at
# REINDEX_REBUILD_BUDGET (5,000 shard writes, 69 Query pages, ~22 s of compute measured
# locally); the timeout leaves room above that. 2 GB: a whole vCPU for the single-threaded
# JSON work (1,769 MB buys one), and over twice the ~0.6-0.9 GB a 100k rebuild holds.
REINDEX = FunctionSpec("reindex", "Rebuild one subdir's index", 2048, Duration.minutes(5))
REINDEX_BATCH_SIZE = 1
REINDEX_REBUILD_BUDGET = Duration.minutes(3)
EDGE_SYNC = FunctionSpec(
    "edge_sync", "Mirror channel access into the edge KeyValueStore", 256, Duration.minutes(1)
)
# Consumes the validate DLQ: a table read and write and a delete per message.
VALIDATE_DEAD = FunctionSpec(
    "validate_dead", "End uploads whose validation died", 256, Duration.seconds(30)
)
# Dead letters are rare and each is a few calls; 2 is the SQS trigger's minimum.
VALIDATE_DEAD_CONCURRENCY = 2
SPECS = (API, VALIDATE, REINDEX, EDGE_SYNC, VALIDATE_DEAD)


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        environment: Mapping[str, str],
        specs: tuple[FunctionSpec, ...] = SPECS,
    ) -> None:
        super().__init__(scope, id)
        # The queue consumers' reserved concurrency (StageConfig; 0 reserves none).
        self.reserved = {
            VALIDATE.name: config.validate_concurrency,
            REINDEX.name: config.reindex_concurrency,
            EDGE_SYNC.name: config.edge_sync_concurrency,
            # Reserved where the stage reserves for validate (0 there: none here either).
            VALIDATE_DEAD.name: VALIDATE_DEAD_CONCURRENCY if config.validate_concurrency else 0,
        }
        architecture = ARCHITECTURES[_built_deps_architecture()]

        def layer(
            id: str, directory: Path, description: str, exclude: tuple[str, ...] = ()
        ) -> lambda_.LayerVersion:
            return lambda_.LayerVersion(
                self,
                id,
                code=lambda_.Code.from_asset(str(directory), exclude=[*_EXCLUDE, *exclude]),
                description=description,
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[architecture],
            )

        # No function imports the `rillet` command (rillet/cli): it stays out of the layer.
        rillet = layer(
            "RilletLayer", ROOT / "layers" / "rillet", "rillet package", ("python/rillet/cli",)
        )
        deps = layer("DepsLayer", build_layer.LAYER_DIR, "rillet third-party dependencies")
        self._functions: dict[str, lambda_.Function] = {}
        for spec in specs:
            self._functions[spec.name] = self._function(
                spec, config, environment, architecture, [rillet, deps]
            )
        # Python 3.12 is what the deps layer is built for (cp312 wheels); moving to a newer
        # runtime means rebuilding the layer, so it is a deliberate step, not a nag fix.
        acknowledge(
            self,
            "AwsSolutions-L1",
            "Pinned to Python 3.12, the ABI the deps layer wheels are built for.",
        )

    def __getitem__(self, name: str) -> lambda_.Function:
        return self._functions[name]

    def __iter__(self) -> Iterator[lambda_.Function]:
        return iter(self._functions.values())

    def items(self) -> Iterator[tuple[str, lambda_.Function]]:
        return iter(self._functions.items())

    def add_environment(self, name: str, value: str) -> None:
        for fn in self:
            fn.add_environment(name, value)

    def _function(
        self,
        spec: FunctionSpec,
        config: StageConfig,
        environment: Mapping[str, str],
        architecture: lambda_.Architecture,
        layers: list[lambda_.ILayerVersion],
    ) -> lambda_.Function:
        cid = "".join(part.title() for part in spec.name.split("_"))
        log_group = logs.LogGroup(
            self,
            f"{cid}Logs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        # An own role instead of the default one: the default attaches the managed
        # AWSLambdaBasicExecutionRole (logs on every group); this one writes its own group.
        role = iam.Role(self, f"{cid}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(role)
        fn = lambda_.Function(
            self,
            cid,
            description=spec.description,
            runtime=RUNTIME,
            architecture=architecture,
            handler="handler.lambda_handler",
            code=lambda_.Code.from_asset(str(ROOT / "functions" / spec.name), exclude=_EXCLUDE),
            layers=layers,
            memory_size=spec.memory_mb,
            timeout=spec.timeout,
            reserved_concurrent_executions=self.reserved.get(spec.name) or None,
            environment=dict(environment),
            role=role,
            log_group=log_group,
            # Powertools writes JSON lines; JSON format makes the platform lines JSON too
            # and lets the log level be changed without a deploy.
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE if config.tracing else lambda_.Tracing.DISABLED,
        )
        if config.tracing:
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions.",
            )
        return fn


def _built_deps_architecture() -> str:
    """The deps layer must exist and match; synth never builds it (that needs the network)."""
    manifest = build_layer.read_manifest()
    if manifest is None:
        raise RuntimeError(
            f"{build_layer.TARGET} is missing: run `make layer` "
            "(python -m infra.aws.build_layer) before synth"
        )
    built = str(manifest["architecture"])
    if manifest["fingerprint"] != build_layer.fingerprint(build_layer.requirements(), built):
        raise RuntimeError(
            "the deps layer is out of date with layers/requirements.lock: run `make layer`"
        )
    return built
