"""The own-shop simulator's side that calls Odoo, and its command line, with no Odoo there."""

import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from omni_sandbox.shop import ShopSimulator

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def odoo_stand_in():
    """A live loopback server that is not Odoo: every shop API path answers 404."""
    sim = ShopSimulator(secret="other")
    sim.start()
    yield sim
    sim.stop()


def test_order_post_reaches_the_server_with_the_key_and_json(odoo_stand_in):
    shop = ShopSimulator(odoo_url=odoo_stand_in.url, channel_id=7, api_key="osk_k")
    shop.start()
    try:
        answer = requests.post(f"{shop.url}/_sandbox/orders", timeout=10,
                               json={"order": {"id": "S-1", "lines": []}, "times": 2})
        assert answer.status_code == 200
        assert answer.json()["status"] == 404  # what the server answered, passed on
        sent = [r for r in odoo_stand_in.requests if r["path"] == "/omni/shop/7/orders"]
        assert len(sent) == 2
    finally:
        shop.stop()


def test_odoo_out_of_reach_is_a_clear_502_and_the_simulator_goes_on(free_port):
    shop = ShopSimulator(odoo_url=f"http://127.0.0.1:{free_port}", channel_id=7, api_key="k")
    shop.start()
    try:
        for path, body in (("/_sandbox/pull", {}), ("/_sandbox/orders", {"order": {"id": "1"}})):
            answer = requests.post(shop.url + path, json=body, timeout=10)
            assert answer.status_code == 502
            assert "cannot reach Odoo" in answer.json()["error"]
        no_url = ShopSimulator()
        no_url.start()
        try:
            answer = requests.post(no_url.url + "/_sandbox/pull", json={}, timeout=10)
            assert answer.status_code == 409 and "--odoo-url" in answer.json()["error"]
        finally:
            no_url.stop()
        assert requests.get(shop.url + "/_sandbox/state", timeout=5).status_code == 200
    finally:
        shop.stop()


def test_cli_starts_and_stops_cleanly_with_no_odoo(free_port):
    env = dict(os.environ)
    paths = [str(ROOT / "sandbox"), str(ROOT / "connectors"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "omni_sandbox", "shop", "--port", str(free_port),
         "--secret", "whsec_cli", "--odoo-url", "http://127.0.0.1:9", "--channel-id", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=15), "the CLI printed nothing"
        url = proc.stdout.readline().strip()
        assert url == f"http://127.0.0.1:{free_port}"
        # an unsigned webhook is refused; asking it to pull from an absent Odoo is a 502
        assert requests.post(url + "/webhook", data=b"{}", timeout=5).status_code == 401
        assert requests.post(url + "/_sandbox/pull", json={}, timeout=10).status_code == 502
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=10)
    assert code == 0
    assert "Traceback" not in proc.stderr.read()
