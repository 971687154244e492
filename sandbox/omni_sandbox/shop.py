"""Simulator of the seller's own shop (a small site beside the marketplaces).

It plays both sides of the own-shop channel (channel type ``shop``):

* it **receives webhooks** from Odoo at ``POST /webhook`` and verifies their
  signatures (HMAC-SHA256 of ``<timestamp>.<body>`` under the shared secret,
  timestamp at most ``tolerance`` seconds old) exactly as the receiver in the
  readme of ``omni_channel_base`` does, without importing anything from
  omni. A bad or stale signature answers 401 and changes nothing; a delivery
  id seen before is acknowledged and not applied again. Answers
  ``{"ok": true, "rejected": {sku: reason}}`` (SKUs in ``reject_skus``);
* it **calls Odoo's shop API** as a site would: :meth:`ShopSimulator.pull_offers`
  (paged, optionally ``changed_since``), :meth:`ShopSimulator.get_offer`,
  :meth:`ShopSimulator.post_order` (``times=2`` posts the same order twice,
  the retry of a shop that never saw the first answer),
  :meth:`ShopSimulator.post_status` and :meth:`ShopSimulator.order_status`.

Faults: the common ones (``timeout``, ``status`` 500, ``latency``...) apply
to the webhooks Odoo sends here (``path="/webhook"``); ``api_timeout``
bounds the calls made to Odoo.

Control endpoints, besides the common ones: ``POST /_sandbox/pull``
(``{"changed_since"?}``: pull every offer from Odoo now), ``POST
/_sandbox/orders`` (``{"order": {...}, "times"?: 2}``: post an order to Odoo).
"""

import hashlib
import hmac
import json
import time

import requests

from .server import HttpError, Reply, Simulator, route


def verify_webhook(secret, body, timestamp, signature, tolerance=300, now=None):
    """The receiver of the readme: True when the webhook is authentic and fresh."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    expected = "v1=" + hmac.new(
        secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, s.strip()) for s in (signature or "").split(","))


class ShopSimulator(Simulator):
    name = "shop"

    def __init__(self, *, secret="shop-secret", odoo_url="", channel_id=0, api_key="",
                 tolerance=300, api_timeout=10.0, **kwargs):
        self.secret = secret
        self.odoo_url = odoo_url.rstrip("/")
        self.channel_id = channel_id
        self.api_key = api_key
        self.tolerance = tolerance
        self.api_timeout = api_timeout
        self.http = requests.Session()
        super().__init__(**kwargs)

    # -- state -------------------------------------------------------------

    def reset_state(self):
        with self.lock:
            self.offers = {}  # sku -> {"quantity", "price", "old_price"}
            self.order_status = {}  # order id -> last status event
            self.applied = []  # (event, sku or order id, value)
            self.deliveries = set()
            self.refused = []  # reasons of webhooks refused
            self.reject_skus = {}

    def dump_state(self):
        return {
            "offers": self.offers,
            "order_status": self.order_status,
            "applied": self.applied,
            "refused": self.refused,
        }

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--secret", default="shop-secret", help="webhook signing secret")
        parser.add_argument("--odoo-url", default="", help="Odoo's base URL")
        parser.add_argument("--channel-id", type=int, default=0, help="the channel's id in Odoo")
        parser.add_argument("--api-key", default="", help="the channel's API key")
        parser.add_argument("--tolerance", type=int, default=300, help="max webhook age (s)")

    @classmethod
    def from_args(cls, args, *, host, port):
        return cls(host=host, port=port, secret=args.secret, odoo_url=args.odoo_url,
                   channel_id=args.channel_id, api_key=args.api_key,
                   tolerance=args.tolerance)

    def control_routes(self):
        return [
            *super().control_routes(),
            ("POST", "/_sandbox/pull", self._ctl_pull),
            ("POST", "/_sandbox/orders", self._ctl_post_order),
        ]

    # -- receiving webhooks -----------------------------------------------------

    @route("POST", "/webhook")
    def webhook(self, req):
        if not verify_webhook(self.secret, req.body, req.header("X-Omni-Timestamp"),
                              req.header("X-Omni-Signature"), self.tolerance):
            with self.lock:
                self.refused.append("bad or stale signature")
            raise HttpError(401, {"error": "bad or stale signature"})
        data = req.json()
        delivery = req.header("X-Omni-Delivery")
        with self.lock:
            if delivery and delivery in self.deliveries:
                return {"ok": True, "duplicate": True}
            if delivery:
                self.deliveries.add(delivery)
            rejected = {}
            event = data.get("event")
            for item in data.get("items") or []:
                sku = str(item.get("sku"))
                if sku in self.reject_skus:
                    rejected[sku] = self.reject_skus[sku]
                    continue
                offer = self.offers.setdefault(sku, {})
                if event == "stock.updated":
                    offer["quantity"] = item["quantity"]
                    self.applied.append((event, sku, item["quantity"]))
                elif event == "prices.updated":
                    offer["price"] = item["price"]
                    offer["old_price"] = item.get("old_price")
                    self.applied.append((event, sku, item["price"]))
            if event == "order.status":
                order = data.get("order") or {}
                self.order_status[str(order.get("id"))] = order
                self.applied.append((event, str(order.get("id")), order.get("status")))
        return {"ok": True, "rejected": rejected}

    # -- calling Odoo ------------------------------------------------------------

    def _api(self, method, path, **kwargs):
        url = f"{self.odoo_url}/omni/shop/{self.channel_id}{path}"
        headers = {"X-Api-Key": self.api_key}
        return self.http.request(method, url, headers=headers, timeout=self.api_timeout,
                                 **kwargs)

    def pull_offers(self, changed_since=None, per_page=200):
        """Every offer Odoo lists, page by page; stored as the shop's own."""
        offers, page = [], 1
        while page:
            params = {"page": page, "per_page": per_page}
            if changed_since:
                params["changed_since"] = changed_since
            resp = self._api("GET", "/offers", params=params)
            resp.raise_for_status()
            data = resp.json()
            offers.extend(data["offers"])
            page = data.get("next_page")
        with self.lock:
            for offer in offers:
                self.offers[offer["sku"]] = {
                    "quantity": offer["quantity"], "price": offer["price"],
                    "old_price": offer.get("old_price"),
                }
        return offers

    def get_offer(self, sku):
        return self._api("GET", f"/offers/{requests.utils.quote(sku, safe='')}")

    def post_order(self, order, times=1):
        """POST the order ``times`` times (the same body); the last response."""
        body = json.dumps(order, ensure_ascii=False).encode()
        resp = None
        for _attempt in range(times):
            resp = self._api("POST", "/orders", data=body,
                             headers={"Content-Type": "application/json"})
        return resp

    def post_status(self, order_id, status, reason=""):
        return self._api("POST", f"/orders/{requests.utils.quote(order_id, safe='')}/status",
                         json={"status": status, "reason": reason})

    def order_status(self, order_id):
        return self._api("GET", f"/orders/{requests.utils.quote(order_id, safe='')}")

    def _ctl_pull(self, req):
        data = req.json()
        offers = self.pull_offers(changed_since=data.get("changed_since"))
        return {"pulled": len(offers)}

    def _ctl_post_order(self, req):
        data = req.json()
        resp = self.post_order(data.get("order") or {}, times=int(data.get("times") or 1))
        try:
            body = resp.json()
        except ValueError:
            body = {"text": resp.text}
        return Reply(status=200, body={"status": resp.status_code, "answer": body})
