"""Simulator of the generic test channel: a tiny marketplace.

Every ``/api/`` call needs the header ``X-Api-Key``; a wrong or missing key
answers 401 ``{"error": "unauthorized"}``.

API
---
``GET /api/ping``
    ``{"ok": true, "shop": "<name>"}``
``POST /api/stock`` ``{"items": [{"sku": "A-1", "quantity": 5}]}``
    ``{"updated": ["A-1"], "errors": {"B-2": "unknown sku"}}``. Quantities
    are non-negative integers. More than ``batch_limit`` items: 422
    ``{"error": "batch limit N exceeded"}``, nothing applied.
``POST /api/prices`` ``{"items": [{"sku": "A-1", "price": "640.00"}]}``
    Same answers. Prices are positive decimals with at most two places, as
    strings or numbers; ``old_price`` (crossed-out price) is optional.
    With ``hold_price_jumps`` on, a price more than 1.5 times above or 2 times
    below the current one is not applied but answered in ``"held": {sku:
    reason}`` (as Rozetka holds it for the manager); with ``report_unchanged``
    on, a value the offer already has comes back in ``"unchanged": [sku]``
    instead of ``updated`` (as Prom answers a change that changes nothing).
``GET /api/offers?page=1&per_page=50``
    ``{"offers": [{"sku", "name", "quantity", "price", "old_price",
    "active"}], "next_page": 2 | null}`` (``per_page`` at most 100).
``GET /api/orders?since=<cursor>&limit=50``
    ``{"orders": [...], "cursor": "<opaque>", "has_more": bool}``: orders
    whose change sequence is above ``since`` (all when absent), oldest change
    first, at most ``limit`` (at most 100). Pass ``cursor`` back as
    ``since``; with no change it comes back unchanged. An order comes again
    each time it changes (status, TTN). Injected raw entries appear as they
    were injected, so a feed may carry an entry that is not an order object;
    an injected raw order body is spliced into the page byte for byte, so a
    page may be invalid JSON or invalid UTF-8 (see "Hostile orders").
``POST /api/orders/<id>/status`` ``{"status", "ttn", "carrier", "reason",
"comment"}``
    ``{"ok": true, "status": "<status now>"}``; ``carrier`` (optional) is
    kept with the TTN. 422 ``{"error": ...}`` for an unknown order or status,
    an illegal transition or ``shipped`` without ``ttn``. Setting the
    current status again is accepted and changes nothing (a retry is safe).
    Transitions: new -> confirmed | shipped | cancelled; confirmed ->
    shipped | cancelled; shipped -> delivered | returned; delivered ->
    returned; cancelled and returned are terminal.

Order JSON::

    {"id": "G-1001", "status": "new", "seq": 7,
     "created_at": "2025-01-31T10:00:00+00:00", "updated_at": "...",
     "customer": {"name": "Тарас Шевченко", "phone": "+380671234567",
                  "email": "taras@example.com"},
     "delivery": {"service": "nova_poshta", "method": "warehouse",
                  "city": "Київ", "city_ref": "<NP city ref>",
                  "warehouse_ref": "<NP branch ref>",
                  "warehouse": "Відділення №1",
                  "recipient_name": "...", "recipient_phone": "..."},
     "payment": {"method": "cod" | "card", "paid": false},
     "lines": [{"sku": "A-1", "name": "...", "quantity": 2, "price": "640.00"}],
     "total": "1280.00", "ttn": "", "carrier": "", "cancel_reason": "",
     "comment": ""}

``seq`` is the order's change sequence (the cursor is built from it).

Simulated buyers (:meth:`GenericChannelSimulator.place_order`) buy only what
the offer displays and decrement the displayed quantity, as a marketplace
does; cancelling does not put it back (the seller's next stock push sets
the absolute value anyway).

Control endpoints, besides the common ones of :class:`Simulator`:
``POST /_sandbox/offers`` (one offer or ``{"offers": [...]}``),
``POST /_sandbox/orders`` (place: ``{"customer", "lines", "delivery"?,
"payment"?, "comment"?}``; 201 with the order or 409 ``{"error",
"refused": true}``), ``POST /_sandbox/orders/<id>/cancel`` (``{"reason"}``),
``POST /_sandbox/raw_orders`` (``{"payload": {...}}`` or ``{"text": "..."}``
as a JSON value; ``{"body": "..."}`` or ``{"body_base64": "..."}`` as the
exact text of one order; ``{"hostile": "<kind>", "id"?: "H-1"}`` for a
prepared hostile order), answering 201 ``{"seq": n}``.

Hostile orders
--------------

To feed the client what a broken or malicious marketplace could send,
:meth:`GenericChannelSimulator.inject_order_body` puts the exact bytes of
one order into the feed: the page is assembled around them without parsing
or re-encoding. :meth:`GenericChannelSimulator.inject_hostile_order` does it
with a prepared body (:func:`hostile_order_body`), a complete order with
one hostile part; the kinds (:data:`HOSTILE_ORDER_KINDS`):

``lone_surrogate``  the buyer's name holds the escape ``\\ud800``: valid
                    JSON, but the text is not valid Unicode (PostgreSQL and
                    UTF-8 encoders refuse it)
``nul``             the name holds the escape ``\\u0000`` (valid JSON; no
                    PostgreSQL text column takes it)
``raw_nul``         the name holds a raw NUL byte: the page is not valid JSON
``invalid_utf8``    the name holds the bytes ``ff fe``: the page is not UTF-8
``huge_price``      price and total ``1e308`` (a float at its limit)
``overflow_price``  price and total ``1e999`` (beyond a float: infinity)
``huge_quantity``   quantity ``1e20``
``deep_nesting``    the comment is an array nested 100 000 deep (JSON
                    parsers give up)
"""

import base64
import binascii
import copy
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .server import HttpError, Reply, Simulator, json_bytes, route, text_bytes

STATUSES = ("new", "confirmed", "shipped", "delivered", "cancelled", "returned")
TRANSITIONS = {
    "new": {"confirmed", "shipped", "cancelled"},
    "confirmed": {"shipped", "cancelled"},
    "shipped": {"delivered", "returned"},
    "delivered": {"returned"},
    "cancelled": set(),
    "returned": set(),
}
# Fixture references in Nova Poshta's format (Kyiv and one of its branches).
KYIV_CITY_REF = "8d5a980d-391c-11dd-90d9-001a92567626"
KYIV_BRANCH_1_REF = "1ec09d88-e1c2-11e3-8c4a-0050568002cf"
CENT = Decimal("0.01")
MAX_PAGE = 100


HOSTILE_ORDER_KINDS = (
    "lone_surrogate",
    "nul",
    "raw_nul",
    "invalid_utf8",
    "huge_price",
    "overflow_price",
    "huge_quantity",
    "deep_nesting",
)
#: the JSON text put in place of a placeholder of the hostile order template
_HOSTILE_PARTS = {
    "lone_surrogate": {"NAME": '"Тарас \\ud800Шевченко"'},
    "nul": {"NAME": '"Тарас\\u0000Шевченко"'},
    "raw_nul": {"NAME": '"Тарас\x00Шевченко"'},
    "invalid_utf8": {"NAME": b'"\xd0\xa2\xd0\xb0\xd1\x80\xd0\xb0\xd1\x81 \xff\xfe"'},
    "huge_price": {"PRICE": "1e308", "TOTAL": "1e308"},
    "overflow_price": {"PRICE": "1e999", "TOTAL": "1e999"},
    "huge_quantity": {"QUANTITY": "1e20"},
    "deep_nesting": {"COMMENT": "[" * 100_000 + "]" * 100_000},
}
_HOSTILE_DEFAULTS = {
    "NAME": '"Тарас Шевченко"',
    "QUANTITY": "1",
    "PRICE": '"640.00"',
    "TOTAL": '"640.00"',
    "COMMENT": '""',
}


def hostile_order_body(kind, order_id="H-1", seq=0):
    """The bytes of a complete order whose one part is hostile (see the module docstring)."""
    if kind not in _HOSTILE_PARTS:
        raise ValueError(f"unknown hostile order {kind!r}; expected one of {HOSTILE_ORDER_KINDS}")
    now = _now()
    template = {
        "id": str(order_id),
        "status": "new",
        "seq": seq,
        "created_at": now,
        "updated_at": now,
        "customer": {"name": "@NAME@", "phone": "+380671234567", "email": ""},
        "delivery": {
            "service": "nova_poshta",
            "method": "warehouse",
            "city": "Київ",
            "city_ref": KYIV_CITY_REF,
            "warehouse_ref": KYIV_BRANCH_1_REF,
            "warehouse": "Відділення №1",
            "recipient_name": "Тарас Шевченко",
            "recipient_phone": "+380671234567",
        },
        "payment": {"method": "cod", "paid": False},
        "lines": [
            {"sku": "A-1", "name": "Чайник", "quantity": "@QUANTITY@", "price": "@PRICE@"}
        ],
        "total": "@TOTAL@",
        "ttn": "",
        "carrier": "",
        "cancel_reason": "",
        "comment": "@COMMENT@",
    }
    body = json_bytes(template)
    parts = dict(_HOSTILE_DEFAULTS, **_HOSTILE_PARTS[kind])
    for name, value in parts.items():
        value = value if isinstance(value, bytes) else text_bytes(value)
        body = body.replace(f'"@{name}@"'.encode(), value)
    return body


class OrderRefused(Exception):
    """A simulated buyer's order was refused (unknown offer, not enough stock)."""


def _now():
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _price(value):
    """Normalise a price to a two-place string, or None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        return None
    return str(amount.quantize(CENT))


class GenericChannelSimulator(Simulator):
    """The generic marketplace; see the module docstring for the wire format."""

    name = "generic"
    feed_paths = ("/api/orders",)

    def __init__(
        self,
        api_key="sandbox-key",
        *,
        shop="Generic Test Shop",
        batch_limit=100,
        host="127.0.0.1",
        port=0,
        fault_seed=None,
    ):
        self.api_key = api_key
        self.shop = shop
        self.batch_limit = batch_limit
        super().__init__(host=host, port=port, fault_seed=fault_seed)

    # -- state -------------------------------------------------------------

    def reset_state(self):
        with self.lock:
            self.offers = {}
            self.orders = {}
            # [{"seq": n, "entry": dict or str}] (a JSON value) or
            # [{"seq": n, "body": bytes}] (the exact text of one order)
            self.raw_orders = []
            self.applied = []  # [(kind, key, value, n)]
            self.seq = 0
            self._applied_seq = 0
            self._next_order = 1001
            self._last_page = None
            # behaviours of real marketplaces, off unless a test turns them on:
            # hold a price more than 1.5x up or 2x down for the manager (Rozetka),
            # report a value already shown as unchanged instead of updated (Prom)
            self.hold_price_jumps = False
            self.report_unchanged = False

    def dump_state(self):
        with self.lock:
            return {
                "simulator": self.name,
                "shop": self.shop,
                "batch_limit": self.batch_limit,
                "seq": self.seq,
                "offers": [dict(o) for o in self.offers.values()],
                "orders": [copy.deepcopy(o) for o in self.orders.values()],
                "raw_orders": [_dump_raw(raw) for raw in self.raw_orders],
                "applied": [list(a) for a in self.applied],
                "faults": self.faults.pending(),
            }

    def _bump(self):
        self.seq += 1
        return self.seq

    def _log_applied(self, kind, key, value):
        self._applied_seq += 1
        self.applied.append((kind, key, value, self._applied_seq))

    # -- helpers for tests and benchmarks ----------------------------------

    def add_offer(
        self, sku, name=None, quantity=0, price="0.00", active=True, old_price=None
    ):
        """Create or replace an offer; return a copy of it."""
        if not _is_count(quantity):
            raise ValueError(f"bad quantity {quantity!r}")
        normalized = (
            "0.00" if str(price).strip() in ("0", "0.0", "0.00") else _price(price)
        )
        if normalized is None:
            raise ValueError(f"bad price {price!r}")
        if old_price is not None and _price(old_price) is None:
            raise ValueError(f"bad old price {old_price!r}")
        offer = {
            "sku": str(sku),
            "name": name or f"Product {sku}",
            "quantity": quantity,
            "price": normalized,
            "old_price": _price(old_price) if old_price is not None else None,
            "active": bool(active),
        }
        with self.lock:
            self.offers[offer["sku"]] = offer
            return dict(offer)

    def offer(self, sku):
        with self.lock:
            found = self.offers.get(sku)
            return dict(found) if found else None

    def place_order(self, customer, lines, *, delivery=None, payment=None, comment=""):
        """A buyer orders ``lines`` ([{"sku", "quantity"}]); return the order.

        Raises :class:`OrderRefused` unless every offer is active and shows
        enough quantity; on success the displayed quantities go down.
        """
        if not lines:
            raise OrderRefused("an order needs at least one line")
        customer = dict(customer or {})
        wanted = {}
        for line in lines:
            sku, qty = str(line.get("sku", "")), line.get("quantity")
            if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
                raise OrderRefused(f"bad quantity {qty!r} for {sku}")
            wanted[sku] = wanted.get(sku, 0) + qty
        with self.lock:
            for sku, qty in wanted.items():
                offer = self.offers.get(sku)
                if offer is None or not offer["active"]:
                    raise OrderRefused(f"offer {sku} is not on sale")
                if offer["quantity"] < qty:
                    raise OrderRefused(
                        f"offer {sku} shows {offer['quantity']}, {qty} wanted"
                    )
            order_lines = []
            total = Decimal(0)
            for line in lines:
                offer = self.offers[str(line["sku"])]
                qty = line["quantity"]
                order_lines.append(
                    {
                        "sku": offer["sku"],
                        "name": offer["name"],
                        "quantity": qty,
                        "price": offer["price"],
                    }
                )
                total += Decimal(offer["price"]) * qty
            for sku, qty in wanted.items():
                self.offers[sku]["quantity"] -= qty
            order_id = f"G-{self._next_order}"
            self._next_order += 1
            now = _now()
            recipient = {
                "recipient_name": customer.get("name", ""),
                "recipient_phone": customer.get("phone", ""),
            }
            order = {
                "id": order_id,
                "status": "new",
                "created_at": now,
                "updated_at": now,
                "seq": self._bump(),
                "customer": {
                    "name": customer.get("name", ""),
                    "phone": customer.get("phone", ""),
                    "email": customer.get("email", ""),
                },
                "delivery": {
                    "service": "nova_poshta",
                    "method": "warehouse",
                    "city": "Київ",
                    "city_ref": KYIV_CITY_REF,
                    "warehouse_ref": KYIV_BRANCH_1_REF,
                    "warehouse": "Відділення №1",
                    **recipient,
                    **(delivery or {}),
                },
                "payment": {"method": "cod", "paid": False, **(payment or {})},
                "lines": order_lines,
                "total": str(total.quantize(CENT, rounding=ROUND_HALF_UP)),
                "ttn": "",
                "carrier": "",
                "cancel_reason": "",
                "comment": comment,
            }
            self.orders[order_id] = order
            return copy.deepcopy(order)

    def cancel_order_remote(self, order_id, reason="cancelled by the buyer"):
        """The buyer cancels on the marketplace; return the order."""
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise KeyError(order_id)
            if order["status"] not in ("new", "confirmed"):
                raise OrderRefused(f"order {order_id} is {order['status']}")
            order["status"] = "cancelled"
            order["cancel_reason"] = reason
            order["updated_at"] = _now()
            order["seq"] = self._bump()
            return copy.deepcopy(order)

    def inject_raw_order(self, payload_or_text):
        """Put an entry into the order feed as is (dict or text); return its seq."""
        with self.lock:
            seq = self._bump()
            self.raw_orders.append(
                {"seq": seq, "entry": copy.deepcopy(payload_or_text)}
            )
            return seq

    def inject_order_body(self, body):
        """Put the exact text of one order into the feed; return its seq.

        ``body`` (bytes, or text sent as UTF-8) is served as it is inside
        the orders page, never parsed nor re-encoded: it may be invalid
        JSON, invalid UTF-8 or JSON whose text is invalid Unicode.
        """
        if isinstance(body, str):
            body = text_bytes(body)
        elif isinstance(body, (bytes, bytearray)):
            body = bytes(body)
        else:
            raise ValueError("an order body is text or bytes")
        with self.lock:
            seq = self._bump()
            self.raw_orders.append({"seq": seq, "body": body})
            return seq

    def inject_hostile_order(self, kind, order_id=None):
        """Put a prepared hostile order into the feed; return its seq.

        ``kind`` is one of :data:`HOSTILE_ORDER_KINDS`; the body is
        :func:`hostile_order_body` with the order's id (``H-<seq>`` unless
        given) and seq.
        """
        if kind not in HOSTILE_ORDER_KINDS:
            raise ValueError(
                f"unknown hostile order {kind!r}; expected one of {HOSTILE_ORDER_KINDS}"
            )
        with self.lock:
            seq = self._bump()
            body = hostile_order_body(kind, order_id or f"H-{seq}", seq)
            self.raw_orders.append({"seq": seq, "body": body})
            return seq

    # -- API ---------------------------------------------------------------

    def _auth(self, req):
        if req.header("X-Api-Key") != self.api_key:
            raise HttpError(401, {"error": "unauthorized"})

    @route("GET", "/api/ping")
    def api_ping(self, req):
        self._auth(req)
        return {"ok": True, "shop": self.shop}

    def _items(self, req):
        self._auth(req)
        body = req.json()
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise HttpError(400, {"error": 'body must be {"items": [...]}'})
        if len(items) > self.batch_limit:
            raise HttpError(422, {"error": f"batch limit {self.batch_limit} exceeded"})
        return items

    def _apply_items(self, items, check, apply, current=None, hold=None):
        """Apply each item; ``current(offer, item)`` is true when it changes nothing,
        ``hold(offer, item)`` gives a reason to hold it for a person."""
        updated, errors, unchanged, held = [], {}, [], {}
        with self.lock:
            for index, item in enumerate(items):
                sku = item.get("sku") if isinstance(item, dict) else None
                if not isinstance(sku, str) or not sku:
                    errors[f"#{index}"] = "item has no sku"
                    continue
                offer = self.offers.get(sku)
                if offer is None:
                    errors[sku] = "unknown sku"
                    continue
                reason = check(item)
                if reason:
                    errors[sku] = reason
                    continue
                errors.pop(sku, None)
                if self.report_unchanged and current and current(offer, item):
                    unchanged.append(sku)
                    continue
                reason = hold(offer, item) if self.hold_price_jumps and hold else ""
                if reason:
                    held[sku] = reason
                    continue
                apply(offer, item)
                updated.append(sku)
        reply = {"updated": updated, "errors": errors}
        if unchanged:
            reply["unchanged"] = unchanged
        if held:
            reply["held"] = held
        return reply

    @route("POST", "/api/stock")
    def api_stock(self, req):
        def check(item):
            if not _is_count(item.get("quantity")):
                return "quantity must be a non-negative integer"
            return ""

        def apply(offer, item):
            offer["quantity"] = item["quantity"]
            self._log_applied("stock", offer["sku"], item["quantity"])

        def current(offer, item):
            return offer["quantity"] == item["quantity"]

        return self._apply_items(self._items(req), check, apply, current)

    @route("POST", "/api/prices")
    def api_prices(self, req):
        def check(item):
            if _price(item.get("price")) is None:
                return "price must be a positive amount with at most 2 decimals"
            old = item.get("old_price")
            if old not in (None, "") and _price(old) is None:
                return "old_price must be a positive amount with at most 2 decimals"
            return ""

        def apply(offer, item):
            offer["price"] = _price(item["price"])
            old = item.get("old_price")
            offer["old_price"] = _price(old) if old not in (None, "") else None
            self._log_applied("price", offer["sku"], offer["price"])

        def current(offer, item):
            return offer["price"] == _price(item["price"])

        def hold(offer, item):
            old, new = Decimal(offer["price"]), Decimal(_price(item["price"]))
            if new > old * Decimal("1.5") or new * 2 < old:
                return f"price change from {old} to {new} waits for the manager's confirmation"
            return ""

        return self._apply_items(self._items(req), check, apply, current, hold)

    @staticmethod
    def _int_param(req, name, default, minimum):
        raw = req.query.get(name, "")
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise HttpError(400, {"error": f"bad {name} {raw!r}"}) from None
        if value < minimum:
            raise HttpError(400, {"error": f"bad {name} {raw!r}"})
        return value

    @route("GET", "/api/offers")
    def api_offers(self, req):
        self._auth(req)
        page = self._int_param(req, "page", 1, 1)
        per_page = min(self._int_param(req, "per_page", 50, 1), MAX_PAGE)
        with self.lock:
            offers = [dict(o) for o in self.offers.values()]
        start = (page - 1) * per_page
        chunk = offers[start : start + per_page]
        more = start + per_page < len(offers)
        return {"offers": chunk, "next_page": page + 1 if more else None}

    @route("GET", "/api/orders")
    def api_orders(self, req):
        self._auth(req)
        since = self._int_param(req, "since", 0, 0)
        limit = min(self._int_param(req, "limit", 50, 1), MAX_PAGE)
        with self.lock:
            if req.fault is not None and self._last_page is not None:
                return self._page_reply(self._last_page)
            entries = [
                (o["seq"], json_bytes(o)) for o in self.orders.values() if o["seq"] > since
            ]
            entries += [
                (r["seq"], r["body"] if "body" in r else json_bytes(r["entry"]))
                for r in self.raw_orders
                if r["seq"] > since
            ]
            entries.sort(key=lambda pair: pair[0])
            page = entries[:limit]
            cursor = page[-1][0] if page else since
            # assembled as bytes, so that an injected order body stays as it is
            text = b"".join(
                (
                    b'{"orders": [',
                    b", ".join(body for _seq, body in page),
                    b'], "cursor": ',
                    json_bytes(str(cursor)),
                    b', "has_more": ',
                    json_bytes(len(entries) > limit),
                    b"}",
                )
            )
            if page:
                self._last_page = text
            return self._page_reply(text)

    @staticmethod
    def _page_reply(text):
        return Reply(body=text, content_type="application/json; charset=utf-8")

    @route("POST", "/api/orders/{order_id}/status")
    def api_order_status(self, req):
        self._auth(req)
        body = req.json()
        if not isinstance(body, dict):
            raise HttpError(400, {"error": "body must be an object"})
        status = body.get("status")
        ttn = str(body.get("ttn") or "").strip()
        carrier = str(body.get("carrier") or "").strip()
        order_id = req.params["order_id"]
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise HttpError(422, {"error": f"unknown order {order_id}"})
            if status not in STATUSES:
                raise HttpError(422, {"error": f"unknown status {status!r}"})
            current = order["status"]
            if status == current:
                if status == "shipped" and ttn and ttn != order["ttn"]:
                    order["ttn"] = ttn
                    order["carrier"] = carrier or order["carrier"]
                    self._touch(order, "ttn", ttn)
                return {"ok": True, "status": current}
            if status not in TRANSITIONS[current]:
                raise HttpError(422, {"error": f"cannot go from {current} to {status}"})
            if status == "shipped" and not ttn:
                raise HttpError(422, {"error": "shipped needs a ttn"})
            order["status"] = status
            if ttn:
                order["ttn"] = ttn
                order["carrier"] = carrier or order["carrier"]
            if status == "cancelled":
                order["cancel_reason"] = str(body.get("reason") or "")
            self._touch(order, "status", status)
        return {"ok": True, "status": status}

    def _touch(self, order, kind, value):
        order["updated_at"] = _now()
        order["seq"] = self._bump()
        self._log_applied(kind, order["id"], value)

    # -- control endpoints -------------------------------------------------

    def control_routes(self):
        return super().control_routes() + [
            ("POST", "/_sandbox/offers", self._ctl_offers),
            ("POST", "/_sandbox/orders", self._ctl_place_order),
            ("POST", "/_sandbox/orders/{order_id}/cancel", self._ctl_cancel_order),
            ("POST", "/_sandbox/raw_orders", self._ctl_raw_order),
        ]

    def _ctl_offers(self, req):
        body = req.json()
        specs = body.get("offers", [body]) if isinstance(body, dict) else body
        if not isinstance(specs, list):
            raise HttpError(400, {"error": 'expected an offer or {"offers": [...]}'})
        created = []
        for spec in specs:
            if not isinstance(spec, dict) or not spec.get("sku"):
                raise HttpError(400, {"error": "an offer needs a sku"})
            try:
                created.append(self.add_offer(**spec))
            except (TypeError, ValueError) as err:
                raise HttpError(400, {"error": str(err)}) from None
        return Reply(status=201, body={"offers": created})

    def _ctl_place_order(self, req):
        body = req.json()
        if not isinstance(body, dict):
            raise HttpError(400, {"error": "body must be an object"})
        try:
            order = self.place_order(
                body.get("customer") or {},
                body.get("lines") or [],
                delivery=body.get("delivery"),
                payment=body.get("payment"),
                comment=body.get("comment", ""),
            )
        except OrderRefused as err:
            return Reply(status=409, body={"error": str(err), "refused": True})
        return Reply(status=201, body=order)

    def _ctl_cancel_order(self, req):
        body = req.json()
        reason = body.get("reason") if isinstance(body, dict) else None
        try:
            order = self.cancel_order_remote(
                req.params["order_id"], reason or "cancelled by the buyer"
            )
        except KeyError:
            raise HttpError(404, {"error": "unknown order"}) from None
        except OrderRefused as err:
            return Reply(status=409, body={"error": str(err), "refused": True})
        return order

    def _ctl_raw_order(self, req):
        body = req.json()
        keys = {"payload", "text", "body", "body_base64", "hostile"}
        if not isinstance(body, dict) or not (keys & set(body)):
            raise HttpError(
                400,
                {
                    "error": 'expected {"payload": ...}, {"text": ...}, {"body": ...}, '
                    '{"body_base64": ...} or {"hostile": ...}'
                },
            )
        if "hostile" in body:
            try:
                seq = self.inject_hostile_order(str(body["hostile"]), body.get("id"))
            except ValueError as err:
                raise HttpError(400, {"error": str(err)}) from None
        elif "body_base64" in body:
            try:
                raw = base64.b64decode(str(body["body_base64"]), validate=True)
            except (binascii.Error, ValueError):
                raise HttpError(400, {"error": "body_base64 is not base64"}) from None
            seq = self.inject_order_body(raw)
        elif "body" in body:
            seq = self.inject_order_body(str(body["body"]))
        else:
            entry = body["payload"] if "payload" in body else str(body["text"])
            seq = self.inject_raw_order(entry)
        return Reply(status=201, body={"seq": seq})

    # -- CLI ---------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument(
            "--api-key", default="sandbox-key", help="expected X-Api-Key"
        )
        parser.add_argument("--shop", default="Generic Test Shop", help="shop name")
        parser.add_argument(
            "--batch-limit", type=int, default=100, help="most items per push"
        )

    @classmethod
    def from_args(cls, args, *, host, port):
        return cls(
            api_key=args.api_key,
            shop=args.shop,
            batch_limit=args.batch_limit,
            host=host,
            port=port,
        )


def _dump_raw(raw):
    """A raw feed entry for the state dump (bodies as text, bad bytes as escapes)."""
    if "body" in raw:
        return {"seq": raw["seq"], "body": raw["body"].decode("utf-8", "backslashreplace")}
    return copy.deepcopy(raw)
