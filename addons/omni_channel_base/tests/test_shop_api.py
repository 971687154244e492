"""The own shop end to end: its API (through Odoo's HTTP server), webhooks, feeds.

One class, few requests: each test drives real HTTP both ways (the shop API
served by Odoo in test mode, and webhooks to a shop simulator on loopback).
"""

import json
from pathlib import Path

from openapi_schema_validator import OAS31Validator

from odoo.modules import module as odoo_module
from odoo.tests import HttpCase, tagged

from omni_sandbox.generic import GenericChannelSimulator
from omni_sandbox.shop import ShopSimulator

from .common import OmniChannelCase

SECRET = "whsec_test_5a1c"
SPEC = json.loads(
    (Path(__file__).resolve().parent.parent / "static/openapi/omni_shop.json").read_text()
)


def order_body(number, sku="SKU-0", qty=1, **extra):
    body = {
        "id": number,
        "status": "new",
        "customer": {"name": "Леся Українка", "phone": "+380671234567",
                     "email": "lesya@example.ua"},
        "payment": {"method": "cod", "paid": False},
        "lines": [{"sku": sku, "name": "Товар", "quantity": qty, "price": "150.00"}],
        "total": f"{150 * qty:.2f}",
    }
    body.update(extra)
    return body


@tagged("post_install", "-at_install")
class TestShopApi(OmniChannelCase, HttpCase):
    channel_count = 1
    channel_type = "shop"
    simulator_class = ShopSimulator

    @classmethod
    def _omni_make_simulator(cls, index):
        return ShopSimulator(secret=SECRET)

    @classmethod
    def _omni_channel_vals(cls, index, sim):
        vals = super()._omni_channel_vals(index, sim)
        vals.pop("api_url"), vals.pop("api_key")
        vals.update(name="Own site", shop_webhook_url=f"{sim.url}/webhook",
                    shop_webhook_secret=SECRET)
        return vals

    @classmethod
    def _omni_sim_add_offer(cls, sim, product):
        """The shop starts with no offers: it learns them from Odoo."""

    def shown(self, sim, product):
        return sim.offers.get(product.default_code, {}).get("quantity")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls.channels
        cls.shop_sim = cls.sims[0]
        # a marketplace beside the shop: a shop order's reservation must reach it
        cls.market_sim = GenericChannelSimulator(api_key="market-key-3")
        cls.market_sim.start()
        cls.addClassCleanup(cls.market_sim.stop)
        cls.market = cls.env["omni.channel"].create(
            dict(super()._omni_channel_vals(9, cls.market_sim), channel_type="generic",
                 name="Marketplace"))
        cls.env["omni.product.binding"].create(
            [{"channel_id": cls.market.id, "product_id": p.id} for p in cls.products])
        cls.key_record, cls.api_key = cls.env["omni.shop.key"]._omni_generate(cls.shop, "Site")
        cls.feed = cls.env["omni.shop.feed"].create({"channel_id": cls.shop.id})

    def setUp(self):
        # Odoo's test cursor asks the running test (set by Odoo's runner, not by
        # pytest-odoo) whether a request may use it
        previous = odoo_module.current_test
        odoo_module.current_test = self
        self.addCleanup(setattr, odoo_module, "current_test", previous)
        for product in self.products:
            self.market_sim.add_offer(product.default_code, quantity=0, price="1.00")
        super().setUp()
        for product in self.products:
            self.set_stock(product, 5)
        self.run_jobs()
        self.shop_sim.requests.clear()

    # ------------------------------------------------------------ helpers
    def api(self, method, path, body=None, key=None):
        headers = {"X-Api-Key": self.api_key if key is None else key}
        url = f"/omni/shop/{self.shop.id}{path}"
        if method == "POST":
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
            resp = self.opener.post(self.base_url() + url, data=data, headers=headers,
                                    timeout=20)
        else:
            resp = self.url_open(url, headers=headers, timeout=20)
        self.env.invalidate_all()
        return resp

    def assert_contract(self, resp, path, method):
        """The answer matches the OpenAPI file for this operation and status."""
        operation = SPEC["paths"][path][method.lower()]
        answer = operation["responses"][str(resp.status_code)]
        if "$ref" in answer:
            answer = SPEC["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
        schema = dict(answer["content"]["application/json"]["schema"],
                      components=SPEC["components"])
        OAS31Validator(schema).validate(resp.json())
        return resp.json()

    def external(self, number):
        return self.env["omni.external.order"].search(
            [("channel_id", "=", self.shop.id), ("external_id", "=", number)])

    # -------------------------------------------------------------- tests
    def test_order_posted_twice_gives_one_confirmed_sale_whose_reservation_reaches_the_marketplace(
        self,
    ):
        product = self.products[0]
        first = self.api("POST", "/orders", order_body("S-100", qty=2))
        self.assertEqual(first.status_code, 201, first.text)
        answer = self.assert_contract(first, "/orders", "post")
        again = self.api("POST", "/orders", order_body("S-100", qty=2))
        self.assertEqual(again.status_code, 200)
        self.assertTrue(self.assert_contract(again, "/orders", "post")["duplicate"])
        sales = self.env["sale.order"].search([("omni_channel_id", "=", self.shop.id),
                                               ("omni_external_id", "=", "S-100")])
        self.assertEqual(len(sales), 1)
        self.assertEqual(sales.state, "sale")
        self.assertEqual(answer["sale_order"], sales.name)
        self.run_jobs()
        # the reservation: 5 - 2 shown on the marketplace and sent to the shop
        self.assertEqual(self.market_sim.offer(product.default_code)["quantity"], 3)
        self.assertEqual(self.shown(self.shop_sim, product), 3)
        status = self.assert_contract(self.api("GET", "/orders/S-100"), "/orders/{id}", "get")
        self.assertEqual((status["state"], status["sale_state"]), ("imported", "sale"))
        # the shop cancels: the stock comes back everywhere
        cancel = self.api("POST", "/orders/S-100/status", {"status": "cancelled",
                                                          "reason": "buyer changed mind"})
        self.assertEqual(self.assert_contract(cancel, "/orders/{id}/status", "post")
                         ["sale_state"], "cancel")
        self.run_jobs()
        self.assertEqual(self.market_sim.offer(product.default_code)["quantity"], 5)

    def test_unknown_and_revoked_keys_get_401_and_no_data(self):
        for key in ("", "osk_not-a-key", self.api_key + "x"):
            resp = self.api("GET", "/offers", key=key)
            self.assertEqual(resp.status_code, 401)
            self.assertEqual(self.assert_contract(resp, "/offers", "get")["error"]["code"],
                             "unauthorized")
            self.assertNotIn("SKU-0", resp.text)
        record, key = self.env["omni.shop.key"]._omni_generate(self.shop, "Rotation")
        self.assertEqual(self.api("GET", "/offers/SKU-0", key=key).status_code, 200)
        record.action_revoke()
        self.assertEqual(self.api("GET", "/offers/SKU-0", key=key).status_code, 401)
        self.assertEqual(self.api("POST", "/orders", order_body("S-9"), key=key).status_code,
                         401)
        self.assertFalse(self.external("S-9"))
        # only the hash is stored
        self.assertNotIn(key, str(record.sudo().read()))

    def test_bad_payload_gets_400_with_the_reason_and_waits_in_needs_attention(self):
        resp = self.api("POST", "/orders", order_body("S-200", lines=[]))
        self.assertEqual(resp.status_code, 400)
        error = self.assert_contract(resp, "/orders", "post")["error"]
        self.assertEqual(error["code"], "invalid_order")
        self.assertIn("no lines", error["message"])
        order = self.external("S-200")
        self.assertEqual(order.state, "needs_attention")
        self.assertIn("no lines", order.attention_reason)
        self.assertFalse(order.sale_order_id)
        garbage = self.api("POST", "/orders", b"{not json")
        self.assertEqual(garbage.status_code, 400)
        self.assertTrue(self.env["omni.external.order"].search(
            [("channel_id", "=", self.shop.id), ("raw_payload", "=", "{not json")]))
        bad_query = self.api("GET", "/offers?per_page=100000")
        self.assertEqual(bad_query.status_code, 400)

    def test_stock_change_reaches_the_shop_by_webhook_and_through_the_api(self):
        product = self.products[1]
        self.set_stock(product, 11)
        # through the API at once (live), before any job ran
        offer = self.assert_contract(self.api("GET", "/offers/SKU-1"), "/offers/{sku}", "get")
        self.assertEqual(offer["quantity"], 11)
        self.run_jobs()
        self.assertEqual(self.shown(self.shop_sim, product), 11)
        request = next(r for r in self.shop_sim.requests if r["path"] == "/webhook")
        self.assertIn("x-omni-signature", {name.lower() for name in request["headers"]})
        self.assertEqual(self.shop_sim.refused, [])
        # paged listing, and the changed-since filter
        page = self.assert_contract(self.api("GET", "/offers?per_page=2"), "/offers", "get")
        self.assertEqual((len(page["offers"]), page["next_page"]), (2, 2))
        changed = self.api("GET", "/offers?changed_since=2999-01-01T00:00:00Z").json()
        self.assertEqual(changed["offers"], [])

    def test_feed_shows_the_new_quantity_after_a_sale_and_answers_304_when_unchanged(self):
        from omni_connectors.shop import validate_feed

        self.run_jobs()
        self.env.invalidate_all()
        url = self.feed._omni_path()
        first = self.url_open(url)
        self.assertEqual(first.status_code, 200)
        root = validate_feed(first.content)
        offer = root.find("shop/offers/offer[@id='SKU-2']")
        self.assertEqual(offer.findtext("stock_quantity"), "5")
        etag = first.headers["ETag"]
        self.assertEqual(self.url_open(url, headers={"If-None-Match": etag}).status_code, 304)
        self.sell(self.products[2], 3, channel=self.market)
        self.run_jobs()  # the same change flags rebuild the feed
        self.env.invalidate_all()
        second = self.url_open(url, headers={"If-None-Match": etag})
        self.assertEqual(second.status_code, 200)
        offer = validate_feed(second.content).find("shop/offers/offer[@id='SKU-2']")
        self.assertEqual(offer.findtext("stock_quantity"), "2")
        self.assertEqual(self.url_open(url.replace("/feed.xml", "x/feed.xml")).status_code, 404)

    def test_openapi_contract_is_served_and_names_every_route(self):
        resp = self.url_open(f"/omni/shop/{self.shop.id}/openapi.json")
        spec = resp.json()
        self.assertEqual(set(spec["paths"]), set(SPEC["paths"]))
        self.assertTrue(spec["servers"][0]["url"].endswith(f"/omni/shop/{self.shop.id}"))
