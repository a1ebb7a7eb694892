"""`make serve`: run the local stack in the foreground until Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading

from infra.local.server import LocalStack

DEFAULT_PORT = 8787

EXAMPLE = """\
Rillet local stack is up.

  API and channels   {url}
  channel URL form   {url}/<channel>            (subdirs: {url}/<channel>/<subdir>/...)
  admin token        {token}

Try it (copy-paste; needs a package file, e.g. one built by rattler-build):

  export RILLET_URL={url} RILLET_TOKEN={token}
  curl -sf -X POST "$RILLET_URL/api/v1/channels" -H "Authorization: Bearer $RILLET_TOKEN" \\
       -d '{{"name": "demo", "visibility": "public"}}'
  F=path/to/mypkg-1.0-h0_0.conda
  curl -sf -X POST "$RILLET_URL/api/v1/channels/demo/uploads" -H "Authorization: Bearer $RILLET_TOKEN" \\
       -d "{{\\"filename\\": \\"$(basename $F)\\", \\"sha256\\": \\"$(sha256sum $F | cut -d' ' -f1)\\", \\"size\\": $(stat -c%s $F)}}" \\
       > ticket.json
  python3 -c 'import json; t=json.load(open("ticket.json")); print(t["url"]); [print(f"{{k}}: {{v}}") for k, v in t["headers"].items()]'
  # PUT the file to that url with exactly those headers, e.g.:
  curl -sf -X PUT --upload-file $F -H "Content-Type: application/octet-stream" \\
       -H "x-amz-checksum-sha256: <from ticket.json>" "<url from ticket.json>"
  curl -sf "$RILLET_URL/api/v1/channels/demo/uploads/<id from ticket.json>" -H "Authorization: Bearer $RILLET_TOKEN"
  pixi add --channel $RILLET_URL/demo mypkg     # or: rattler / conda with -c $RILLET_URL/demo

Ctrl-C stops it; state lives in memory only.
"""


def main() -> None:
    port = int(os.environ.get("RILLET_PORT", DEFAULT_PORT))
    token = os.environ.get("RILLET_ADMIN_TOKEN") or None
    stack = LocalStack(port=port, admin_token=token).start()
    print(EXAMPLE.format(url=stack.url, token=stack.admin_token), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    stack.stop()


if __name__ == "__main__":
    main()
