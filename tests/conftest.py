"""Shared fixtures of the pure tier: running simulators and sleep recorders."""

import json
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for _pkg in ("connectors", "sandbox"):
    _path = str(ROOT / _pkg)
    if _path not in sys.path:  # also works without `pip install -e`
        sys.path.insert(0, _path)

from omni_sandbox import (  # noqa: E402
    Reply,
    Simulator,
    html_reply,
    json_reply,
    route,
    text_reply,
)
from omni_sandbox.generic import GenericChannelSimulator  # noqa: E402

API_KEY = "gk-test-5f3a9c7e1b2d"


# pytest-odoo, when installed, adds autouse fixtures that load an Odoo
# registry. The pure tier has no database: these same-named fixtures take
# precedence for this directory and do nothing.
@pytest.fixture(scope="session", autouse=True)
def load_registry():
    yield


@pytest.fixture(scope="module", autouse=True)
def enable_odoo_test_flag():
    yield


class SleepRecorder:
    """Stands in for ``time.sleep``: records the delays, sleeps for none."""

    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


class EchoSimulator(Simulator):
    """A bare simulator for transport tests."""

    name = "echo"
    #: a small PDF whose bytes are not valid UTF-8
    PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

    def reset_state(self):
        self.received = []  # bodies of the echo calls, in order

    @route("GET", "/echo")
    @route("POST", "/echo")
    @route("PUT", "/echo")
    def echo(self, req):
        with self.lock:
            self.received.append(req.text)
        return {
            "method": req.method,
            "query": req.query,
            "headers": req.headers,
            "body": req.text,
        }

    @route("GET", "/status/{code}")
    @route("POST", "/status/{code}")
    def status(self, req):
        return json_reply(
            {"error": req.query.get("msg", "refused")}, int(req.params["code"])
        )

    @route("GET", "/html401")
    def html401(self, req):
        return html_reply(
            "<html><head><title>401</title></head>"
            "<body><h1>Unauthorized</h1><p>Token expired</p></body></html>",
            status=401,
        )

    @route("GET", "/text")
    def text(self, req):
        return text_reply("plain words, not JSON")

    @route("GET", "/big")
    def big(self, req):
        return {"blob": "x" * int(req.query.get("size", "70000"))}

    @route("GET", "/empty")
    def empty(self, req):
        return None

    @route("GET", "/print/{rest:path}")
    def pdf(self, req):
        return Reply(body=self.PDF, content_type="application/pdf")

    @route("GET", "/envelope")
    def envelope(self, req):
        return json.loads(req.query["body"])


@pytest.fixture
def sleeps():
    return SleepRecorder()


@pytest.fixture
def echo_sim():
    with EchoSimulator() as sim:
        yield sim


@pytest.fixture
def generic_sim():
    with GenericChannelSimulator(api_key=API_KEY, shop="Test Shop") as sim:
        yield sim


@pytest.fixture
def free_port():
    """A port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
