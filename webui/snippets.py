"""Ready-to-paste lines that use one adapter from a script: the SDK, curl GET, curl create.

Every value is quoted for where it lands: ``shlex.quote`` for the shell, ``json.dumps`` for
Python (a JSON string is a valid Python string literal). A token is never written out: the
lines read it from the ``NEMO_TOKEN`` environment variable.
"""

from __future__ import annotations

import json
import shlex

from flask import request, url_for

from . import auth
from .models import Adapter

TOKEN_VARIABLE = "NEMO_TOKEN"
CREATE_KEYS = ("name", "model", "fileset", "finetuning_type", "description", "enabled",
               "lora_config")


def for_adapter(adapter: Adapter) -> dict[str, str]:
    """The three snippets of an adapter's page, for the server the request reached."""
    token = auth.enabled()
    return {"sdk": sdk_retrieve(adapter, token), "curl_get": curl_get(adapter, token),
            "curl_create": curl_create(adapter, token)}


def sdk_retrieve(adapter: Adapter, token: bool) -> str:
    """Python: a `nemo-platform` client for this server and workspace, retrieving the adapter."""
    base = request.host_url.rstrip("/")
    lines = ["import os\n" if token else "", "from nemo_platform import NeMoPlatform\n\n",
             f"client = NeMoPlatform(base_url={json.dumps(base)}, "
             f"workspace={json.dumps(adapter.workspace)}"]
    if token:
        variable = json.dumps(TOKEN_VARIABLE)
        lines.append(f",\n                      access_token=os.environ[{variable}]")
    lines.append(f")\nadapter = client.adapters.retrieve({json.dumps(adapter.name)})\n"
                 "print(adapter.to_json())")
    return "".join(lines)


def _auth_header(token: bool) -> str:
    # double quotes, so the shell puts the variable's value in (and nothing else is expanded)
    return f'-H "Authorization: Bearer ${TOKEN_VARIABLE}" ' if token else ""


def curl_get(adapter: Adapter, token: bool) -> str:
    """A shell command that reads the adapter as JSON."""
    url = url_for("api.retrieve_adapter", workspace=adapter.workspace, name=adapter.name,
                  _external=True)
    return f"curl {_auth_header(token)}{shlex.quote(url)}"


def curl_create(adapter: Adapter, token: bool) -> str:
    """A shell command that creates the same adapter through the JSON API."""
    body = {key: value for key, value in adapter.to_dict().items()
            if key in CREATE_KEYS and value is not None}
    url = url_for("api.create_adapter", workspace=adapter.workspace, _external=True)
    header = f"\\\n  {_auth_header(token)}" if token else ""
    return (f"curl -X POST -H 'Content-Type: application/json' {header}\\\n  -d "
            f"{shlex.quote(json.dumps(body, indent=2))} \\\n  {shlex.quote(url)}")
