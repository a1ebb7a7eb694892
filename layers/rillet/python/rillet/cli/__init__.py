"""The ``rillet`` command: log in, upload through presigned URLs, manage channels.

It talks to a deployment only through the public HTTP API (``/api/v1``) and reuses
``rillet.core`` to check packages locally; it never imports the server's services.
"""
