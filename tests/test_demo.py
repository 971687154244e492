"""The demo's pieces without Odoo: the catalogue, the buyers on real simulators, the
shop's order as Odoo's API specifies it, and the clean stop of child processes."""

import io
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from openapi_schema_validator import OAS31Validator

from omni_sandbox.demo import Buyers, catalog, ean13, ean13_valid, product_image
from omni_sandbox.novaposhta import NovaPoshtaSimulator
from omni_sandbox.prom import PromSimulator
from omni_sandbox.rozetka import RozetkaSimulator
from omni_sandbox.shop import ShopSimulator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import demo  # noqa: E402

SPEC = json.loads((ROOT / "addons/omni_channel_base/static/openapi/omni_shop.json").read_text())


def test_catalogue_has_50_products_with_valid_unique_barcodes_and_margins():
    items = catalog()
    assert len(items) == 50
    assert len({i["sku"] for i in items}) == 50
    assert len({i["barcode"] for i in items}) == 50
    assert all(ean13_valid(i["barcode"]) and i["barcode"].startswith("482") for i in items)
    assert all(0 < i["cost"] < i["price"] for i in items)
    assert all(i["quantity"] > 0 for i in items)
    # some products have their last units: a sale then shows 0 on the other channels
    assert any(i["quantity"] == 1 for i in items)
    assert catalog() == items, "the loader and the driver must see the same products"


def test_ean13_check_digit():
    assert ean13("400638133393") == "4006381333931"  # a real EAN-13
    assert not ean13_valid("4006381333932")
    assert not ean13_valid("40063813339")
    with pytest.raises(ValueError):
        ean13("123")


def test_product_picture_is_a_png_tile_in_the_products_colour():
    from PIL import Image

    item = catalog()[0]
    image = Image.open(io.BytesIO(product_image(item, size=128)))
    assert (image.format, image.size) == ("PNG", (128, 128))
    assert image.getpixel((2, 2)) == item["colour"]
    # the name is written on it: not a plain tile
    assert len(image.getcolors(128 * 128)) > 2


class _FakeOdooShopApi(BaseHTTPRequestHandler):
    """Odoo's shop API as far as the buyers use it: POST /omni/shop/<id>/orders."""

    received = []

    def do_POST(self):  # noqa: N802 - stdlib name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, self.headers.get("X-Api-Key"), json.loads(body)))
        out = b'{"id": "1", "state": "imported"}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.fixture
def sims():
    np_sim = NovaPoshtaSimulator(cities=12, warehouses=120)
    rozetka = RozetkaSimulator(password="Pa55-word-rz-7")
    prom = PromSimulator(token="prom-token-demo-1")
    api = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOdooShopApi)
    _FakeOdooShopApi.received = []
    threading.Thread(target=api.serve_forever, daemon=True).start()
    shop = ShopSimulator(odoo_url=f"http://127.0.0.1:{api.server_port}", channel_id=7,
                         api_key="omni_demo-key")
    for sim in (np_sim, rozetka, prom, shop):
        sim.start()
    yield {"np": np_sim, "rozetka": rozetka, "prom": prom, "shop": shop,
           "api": _FakeOdooShopApi}
    for sim in (np_sim, rozetka, prom, shop):
        sim.stop()
    api.shutdown()
    api.server_close()


def test_buyers_order_only_what_is_shown_and_to_a_real_np_branch(sims):
    rozetka, prom, shop, np_sim = sims["rozetka"], sims["prom"], sims["shop"], sims["np"]
    rozetka.add_item("DEMO-001", "Чайник", quantity=2, price="899")
    rozetka.add_item("DEMO-002", "Тостер", quantity=0, price="749")
    prom.add_product("DEMO-001", name="Чайник", quantity=1, price="899")
    prom.add_product("DEMO-002", name="Тостер", quantity=0, price="749")
    shop.offers.update({"DEMO-001": {"quantity": 1, "price": "899.00"},
                        "DEMO-002": {"quantity": 0, "price": "749.00"}})
    buyers = Buyers(rozetka=rozetka, prom=prom, shop=shop, novaposhta=np_sim, seed=3)
    assert buyers.shown() == {"rozetka": ["DEMO-001"], "prom": ["DEMO-001"],
                              "shop": ["DEMO-001"]}
    placed = []
    for _ in range(10):
        order = buyers.place_one()
        if order is None:
            break
        placed.append(order)
        if order[0] == "shop":  # the shop learns its stock from Odoo's webhooks
            shop.offers["DEMO-001"]["quantity"] = 0
    # two units on Rozetka, one on Prom, one on the shop: then nothing is shown
    assert sorted(c for c, _id, _sku in placed) == ["prom", "rozetka", "rozetka", "shop"]
    assert all(sku == "DEMO-001" for _c, _id, sku in placed)
    assert buyers.place_one() is None
    refs = {w["Ref"]: w for w in np_sim.directory["warehouses"]}
    # the marketplaces' orders, read over their real HTTP APIs, go to a branch NP knows
    token = requests.post(f"{rozetka.url}/sites", timeout=5, json={
        "username": rozetka.username, "password": __import__("base64").b64encode(
            rozetka.password.encode()).decode()}).json()["content"]["access_token"]
    listed = requests.get(f"{rozetka.url}/orders/search", timeout=5,
                          headers={"Authorization": f"Bearer {token}"},
                          params={"expand": "delivery"}).json()["content"]["orders"]
    assert len(listed) == 2
    for order in listed:
        branch = refs[order["delivery"]["ref_id"]]
        assert order["delivery"]["city"]["name_ua"] == branch["CityDescription"]
    prom_orders = requests.get(f"{prom.url}/api/v1/orders/list", timeout=5, headers={
        "Authorization": "Bearer prom-token-demo-1"}).json()["orders"]
    assert len(prom_orders) == 1
    address = prom_orders[0]["delivery_provider_data"]["recipient_address"]
    assert refs[address["warehouse_id"]]["CityRef"] == address["city_id"]
    # the own shop posted its order to Odoo's API, as the API's schema says
    (path, key, body), = sims["api"].received
    assert (path, key) == ("/omni/shop/7/orders", "omni_demo-key")
    schema = dict(SPEC["components"]["schemas"]["Order"], components=SPEC["components"])
    OAS31Validator(schema).validate(body)
    assert body["lines"] == [{"sku": "DEMO-001", "quantity": 1, "price": "899.00"}]
    assert body["delivery"]["warehouse_ref"] in refs


def test_buyers_loop_orders_by_itself_and_stops(sims):
    rozetka = sims["rozetka"]
    rozetka.add_item("DEMO-003", "Блендер", quantity=50, price="1299")
    seen = []
    buyers = Buyers(rozetka=rozetka, novaposhta=sims["np"], interval=(0.05, 0.1), seed=1,
                    on_order=seen.append)
    buyers.start()
    deadline = time.monotonic() + 5
    while len(rozetka.orders) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    buyers.stop()
    count = len(rozetka.orders)
    assert count >= 3
    assert not buyers._thread.is_alive()
    time.sleep(0.3)
    assert len(rozetka.orders) == count, "no order after stop()"
    assert seen[0].startswith("a buyer ordered DEMO-003 on rozetka")


def test_a_buyer_failure_is_reported_and_the_loop_goes_on(sims):
    rozetka = sims["rozetka"]
    rozetka.add_item("DEMO-004", "Кавоварка", quantity=50, price="2499")
    seen = []
    buyers = Buyers(rozetka=rozetka, prom=None, shop=sims["shop"], novaposhta=sims["np"],
                    interval=(0.02, 0.05), seed=5, on_order=seen.append)
    sims["shop"].offers["DEMO-004"] = {"quantity": 5, "price": "2499.00"}
    sims["shop"].odoo_url = "http://127.0.0.1:9"  # Odoo is not there
    buyers.start()
    deadline = time.monotonic() + 5
    while not (any("could not" in s for s in seen) and rozetka.orders) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    buyers.stop()
    assert any("could not order" in s for s in seen)
    assert rozetka.orders


def test_every_addon_with_a_manifest_is_installed_with_the_ukrainian_chart():
    names = demo.demo_addons()
    assert names[0] == "l10n_ua"
    on_disk = {p.parent.name for p in (ROOT / "addons").glob("*/__manifest__.py")}
    assert set(names[1:]) == on_disk and "omni_channel_base" in on_disk


def test_children_are_stopped_with_their_whole_process_group(tmp_path):
    """Ctrl-C leaves nothing behind: a child's own children go too."""
    children = demo.Children()
    pids = tmp_path / "pids"
    proc = children.run(
        ["sh", "-c", f"sleep 300 & echo $! > {pids}; trap '' TERM; sleep 300"],
        tmp_path / "log", wait=False)
    deadline = time.monotonic() + 5
    while not (pids.exists() and pids.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(pids.read_text())
    assert os.getpgid(grandchild) == proc.pid != os.getpgid(0)
    children.stop(timeout=1)  # the shell ignores SIGTERM: SIGKILL to the group follows
    assert proc.poll() is not None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        # reaped by init once killed; a zombie is not a running process
        state = Path(f"/proc/{grandchild}/stat").read_text().split()[2] \
            if Path(f"/proc/{grandchild}/stat").exists() else "Z"
        if state == "Z":
            break
        time.sleep(0.05)
    else:
        pytest.fail("the grandchild survived")


def test_demo_sh_help_lists_the_flags():
    out = subprocess.run([sys.executable, str(ROOT / "scripts/demo.py"), "--help"],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    for flag in ("--reset", "--port", "--no-buyers", "--rozetka-port", "--prom-port",
                 "--shop-port", "--novaposhta-port", "--checkbox-port"):
        assert flag in out.stdout


def test_a_new_run_carries_on_numbering_after_what_odoo_has():
    """The simulators keep nothing between runs: no order id, TTN or fiscal number again."""
    from omni_sandbox.checkbox import CheckboxSimulator

    sims = {"rozetka": RozetkaSimulator(), "prom": PromSimulator(),
            "novaposhta": NovaPoshtaSimulator(cities=3, warehouses=3),
            "checkbox": CheckboxSimulator()}
    demo.continue_counters(sims, {"rozetka": 905812360, "prom": 412345700,
                                  "ttn": 20450000000007, "fiscal": 12})
    sims["rozetka"].add_item("DEMO-001", quantity=5)
    sims["prom"].add_product("DEMO-001", quantity=5, price="10")
    assert sims["rozetka"].place_order([{"sku": "DEMO-001", "quantity": 1}])["id"] == 905812361
    assert sims["prom"].place_order({}, [{"key": "DEMO-001", "quantity": 1}])["id"] == 412345701
    assert sims["novaposhta"].counter == 20450000000007
    assert next(sims["checkbox"]._fiscal) == 13
    # a first run keeps the simulators' own first numbers
    fresh = {"rozetka": RozetkaSimulator(), "prom": PromSimulator(),
             "novaposhta": NovaPoshtaSimulator(cities=3, warehouses=3),
             "checkbox": CheckboxSimulator()}
    demo.continue_counters(fresh, {"rozetka": 0, "prom": 0, "ttn": 0, "fiscal": 0})
    fresh["prom"].add_product("DEMO-001", quantity=5, price="10")
    assert fresh["rozetka"].next_order_id == 905812347
    assert fresh["prom"].place_order({}, [{"key": "DEMO-001", "quantity": 1}])["id"] == 412345678


def test_ports_default_apart_and_a_clash_is_refused():
    args = demo.parse_args([])
    assert (args.port, args.gevent_port, args.url) == (8069, 8072, "http://127.0.0.1:8069")
    # port + 3 would be a simulator's: the next free one
    args = demo.parse_args(["--port", "8369", "--prom-port", "8372", "--shop-port", "8373"])
    assert args.gevent_port == 8374
    with pytest.raises(SystemExit):
        demo.parse_args(["--rozetka-port", "8172"])  # Prom's default
