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
  sign-in (OpenID)   {issuer}   (development: any username, no password)

Sign in as a user (opens the sign-in page; pick any username there, then choose
your Rillet username; the CLI stores an API key for this machine):

  .venv/bin/rillet login {url}

Or act as the operator (copy-paste; needs a package file, e.g. one built by rattler-build):

  .venv/bin/rillet login {url} --token {token}
  .venv/bin/rillet channel create demo
  .venv/bin/rillet upload -c demo path/to/mypkg-1.0-h0_0.conda   # waits until published

  # install, in a pixi workspace:
  pixi workspace channel add {url}/demo
  pixi add mypkg
  # or with conda:
  conda install -c {url}/demo mypkg

Ctrl-C stops it; state lives in memory only.
"""


def main() -> None:
    port = int(os.environ.get("RILLET_PORT", DEFAULT_PORT))
    token = os.environ.get("RILLET_ADMIN_TOKEN") or None
    signin_port = int(os.environ.get("RILLET_SIGNIN_PORT", "0"))
    stack = LocalStack(port=port, admin_token=token, signin=True, signin_port=signin_port).start()
    issuer = stack.provider.issuer
    print(EXAMPLE.format(url=stack.url, token=stack.admin_token, issuer=issuer), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    stack.stop()


if __name__ == "__main__":
    main()
