"""One synthesis of the CDK app per test session (it takes seconds), with cdk-nag on.

The deps layer is built first if needed (pip downloads Linux wheels once; later runs
find the manifest up to date and skip it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Before aws_cdk is imported: jsii prints an end-of-life banner for Node 20.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Stack

from infra.aws import build_layer
from infra.aws.stack import RilletStack, build_app

ROOT = Path(__file__).resolve().parents[2]
# The production defaults, exactly what `make synth` and `cdk deploy` use.
CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]


@dataclass(frozen=True)
class Synthesis:
    app: App
    stack: RilletStack
    template: dict[str, Any] = field(repr=False)
    # What CDK's validation plugins (cdk-nag among them) reported, if anything.
    validation_report: dict[str, Any] | None = field(repr=False)
    error: str | None

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template["Resources"])

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def logical_id(self, construct: Any) -> str:
        return str(Stack.of(construct).resolve(construct.node.default_child.logical_id))


def web_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for web/dist (what `make web` writes), so that synthesis does not need
    Node's build: the stack deploys whatever directory it is given."""
    dist = tmp_path_factory.mktemp("web-dist")
    (dist / "assets").mkdir()
    (dist / "index.html").write_text("<!doctype html><script src=/assets/app-1a2b.js></script>")
    (dist / "assets" / "app-1a2b.js").write_text("console.log('rillet')")
    (dist / ".rillet-build").write_text("")
    return dist


@pytest.fixture(scope="session")
def deps_layer() -> Path:
    return build_layer.build()


@pytest.fixture(scope="session")
def synthesis(deps_layer: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesis]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app({**CONTEXT, "web_dist": str(web_build(tmp_path_factory))}, outdir=str(outdir))
    error = None
    try:
        app.synth()
    except RuntimeError as exc:
        # cdk-nag findings fail the synthesis after the template is written; test_nag
        # reports them, the template tests still run.
        if "ValidationFailed" not in str(exc):
            raise
        error = str(exc)
    (stack,) = (c for c in app.node.children if isinstance(c, RilletStack))
    template = json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else None
    yield Synthesis(app, stack, template, report, error)
