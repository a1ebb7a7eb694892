"""CDK entry point: context -> StageConfig -> RilletStack. Never calls AWS.

make synth                      # offline, into cdk.out/
make deploy                     # cdk deploy with the pinned CLI
npx aws-cdk@2 deploy -c stage=dev -c removal=destroy
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from infra.aws.stack import build_app


def main() -> None:
    # The CLI passes cdk.json's context itself; `python app.py` (make synth) reads it
    # here so both synthesize the same thing. CLI values (-c) still take precedence.
    context = json.loads((Path(__file__).parent / "cdk.json").read_text())["context"]
    build_app(context, outdir=os.environ.get("CDK_OUTDIR")).synth()


if __name__ == "__main__":
    main()
