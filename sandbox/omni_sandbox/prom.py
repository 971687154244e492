"""Simulator of the Prom.ua seller API v1 (``/api/v1``).

Follows the fact sheet's simulator notes; the values it marks unsure are
attributes a test can change (``settable_statuses``, ``last_id_inclusive``,
``batch_limit``, ``max_limit``, ``filter_tz``).

* Auth: ``Authorization: Bearer <token>``; a token has scopes (``orders``,
  ``products``) and an expiry (:meth:`PromSimulator.add_token`). A missing,
  wrong or expired token, or one without the scope of the path, answers
  401 with an HTML page; an unknown path or product answers 404 HTML.
* Business errors answer HTTP 200 ``{"error": "..."}``.
* ``GET /orders/list``: newest first (by id); ``status``, ``date_from``,
  ``date_to``, ``last_modified_from``, ``last_modified_to`` (local date-time
  of ``filter_tz`` without fraction and zone; a value with a fraction or a
  zone answers an **empty** list, the live trap), ``limit`` (at most
  ``max_limit``), ``last_id`` (id <= last_id, or < when
  ``last_id_inclusive`` is off). ``GET /orders/{id}`` -> ``{"order"}``.
* ``POST /orders/set_status``: ``status`` in ``settable_statuses`` or
  ``custom-<N>`` of ``custom_statuses``, else ``{"error": "This status value
  is not allowed"}``; ``canceled`` needs a ``cancellation_reason`` from
  :data:`CANCEL_REASONS`; an order already in the status is left out of
  ``processed_ids`` without error; a canceled order cannot change.
* ``POST /delivery/save_declaration_id``: digits only, else ``{"status":
  "error", "message", "errors": {"declaration_id"}}``.
* ``POST /products/edit`` and ``/products/edit_by_external_id``: a bare
  JSON array (else ``{"errors": {"error": ...}}``) of at most
  ``batch_limit`` items (else ``{"error": ...}``, nothing applied);
  ``{"processed_ids", "errors"}``; a variant's presence is refused per item;
  an unknown id is refused per item; a value already shown leaves the id out
  of ``processed_ids``; ids in ``silent_drop`` are left out without an
  error (the live trap), and so is every ``silent_drop_every``-th item.
* Money in orders is a display string (``"1 713 грн"``; with
  ``money_nbsp`` the separator is a no-break space, with ``money_comma``
  kopecks come with a comma); product prices are numbers.

A simulated buyer (:meth:`PromSimulator.place_order`) orders only what the
product shows (presence ``available`` and ``quantity_in_stock``), which then
goes down. ``payment="prom"`` pays with Prom Payment (``payment_data``
``evopay``/``paid``). Control endpoints: ``POST /_sandbox/products``,
``POST /_sandbox/orders`` (place), ``POST /_sandbox/orders/<id>/cancel``,
``POST /_sandbox/tokens``.
"""

import copy
import itertools
import re
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from .server import HttpError, Simulator, html_reply, route

STATUSES = ("pending", "received", "delivered", "canceled", "draft", "paid")
STATUS_NAMES = {
    "uk": {"pending": "Нове", "received": "Прийнято", "delivered": "Виконано",
           "canceled": "Скасовано", "draft": "Чернетка", "paid": "Оплачено"},
    "ru": {"pending": "Новый", "received": "Принят", "delivered": "Выполнен",
           "canceled": "Отменен", "draft": "Черновик", "paid": "Оплачен"},
}
CANCEL_REASONS = ("not_available", "price_changed", "buyers_request", "not_enough_fields",
                  "duplicate", "invalid_phone_number", "less_than_minimal_price", "another")
CANCEL_TEXT_REASONS = ("price_changed", "not_enough_fields", "another")
PRESENCES = ("available", "not_available", "order", "waiting")
PRODUCT_STATUSES = ("on_display", "draft", "deleted", "not_on_display")
SCOPES = ("orders", "products")
# Fixture refs in Nova Poshta's format (Lviv and one of its branches)
LVIV_CITY_REF = "db5c88f5-391c-11dd-90d9-001a92567626"
LVIV_BRANCH_REF = "0d5d1a20-1111-4c0e-9e00-aaaaaaaaaaaa"
LVIV_KATOTTG = "UA46060250010015970"
_FILTER_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?$")
_PAGE_401 = "<html><head><title>401</title></head><body><h1>Unauthorized</h1></body></html>"
_PAGE_404 = ("<html><head><title>404</title></head><body><h1>Сторінку не знайдено</h1>"
             "</body></html>")


class OrderRefused(Exception):
    """A simulated buyer's order was refused (unknown product, not enough shown)."""


def display_money(amount, nbsp=False, comma=False):
    """``Decimal("1713")`` -> ``"1 713 грн"`` as Prom shows order money."""
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, _, cents = f"{amount:.2f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    sep = "\u00a0" if nbsp else " "
    text = sign + sep.join(groups)
    if cents != "00":
        text += ("," if comma else ".") + cents
    return f"{text} грн"


def _stamp(moment):
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


class PromSimulator(Simulator):
    """The Prom.ua seller API; see the module docstring."""

    name = "prom"
    feed_paths = ("/api/v1/orders/list",)
    prefix = "/api/v1"

    def __init__(self, token="prom-sandbox-token", *, batch_limit=100, max_limit=100,
                 commission_rate="0.09", filter_tz="Europe/Kyiv", host="127.0.0.1", port=0,
                 fault_seed=None):
        self.api_key = token  # name shared with the other simulators' tests
        self.batch_limit = batch_limit
        self.max_limit = max_limit
        self.commission_rate = Decimal(commission_rate)
        self.filter_tz = filter_tz
        super().__init__(host=host, port=port, fault_seed=fault_seed)

    # -- state -------------------------------------------------------------
    def reset_state(self):
        with self.lock:
            self.tokens = {self.api_key: {"scopes": set(SCOPES), "expires_at": None}}
            self.products = {}
            self._by_external = {}  # external id -> Prom id
            self.orders = {}
            self.declarations = []  # (order id, number, delivery type)
            self.status_calls = []  # the bodies of accepted set_status calls
            self.edits = []  # [(key, patch)] applied
            self._product_ids = itertools.count(2100000001)
            self._order_ids = itertools.count(412345678)
            self._client_ids = itertools.count(301122334)
            self.settable_statuses = {"received", "delivered", "paid", "canceled"}
            self.custom_statuses = {"custom-137639": "Підтверджено"}
            # warning_message answered when an order reaches a status
            self.status_warnings = {"delivered": "Не забудьте додати ТТН до замовлення"}
            self.last_id_inclusive = True
            self.silent_drop = set()
            self.silent_drop_every = 0
            self._edit_counter = 0
            self.money_nbsp = False
            self.money_comma = False

    def dump_state(self):
        with self.lock:
            return {
                "simulator": self.name,
                "batch_limit": self.batch_limit,
                "products": [dict(p) for p in self.products.values()],
                "orders": [copy.deepcopy(o) for o in self.orders.values()],
                "declarations": [list(d) for d in self.declarations],
                "faults": self.faults.pending(),
            }

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--token", default="prom-sandbox-token")
        parser.add_argument("--batch-limit", type=int, default=100)

    @classmethod
    def from_args(cls, args, *, host, port):
        return cls(token=args.token, batch_limit=args.batch_limit, host=host, port=port)

    def not_found_reply(self, req):
        return html_reply(_PAGE_404, status=404)

    def control_routes(self):
        return super().control_routes() + [
            ("POST", "/_sandbox/products", self._ctl_products),
            ("POST", "/_sandbox/orders", self._ctl_place),
            ("POST", "/_sandbox/orders/{id}/cancel", self._ctl_cancel),
            ("POST", "/_sandbox/tokens", self._ctl_token),
        ]

    # -- helpers for tests and benchmarks ------------------------------------
    def add_token(self, token, scopes=SCOPES, expires_at=None):
        with self.lock:
            self.tokens[token] = {"scopes": set(scopes), "expires_at": expires_at}

    def add_product(self, external_id="", *, sku=None, name=None, quantity=0, price="0",
                    presence=None, status="on_display", gtin="", is_variation=False):
        """Create a product; return a copy. ``external_id`` may be empty."""
        with self.lock:
            pid = next(self._product_ids)
            product = {
                "id": pid,
                "external_id": str(external_id or ""),
                "name": name or f"Товар {external_id or pid}",
                "name_multilang": {"uk": name or f"Товар {external_id or pid}",
                                   "ru": name or f"Товар {external_id or pid}"},
                "sku": sku if sku is not None else str(external_id or ""),
                "gtin": gtin,
                "price": float(Decimal(str(price))),
                "currency": "UAH",
                "presence": presence or ("available" if quantity > 0 else "not_available"),
                "in_stock": quantity > 0,
                "quantity_in_stock": quantity,
                "status": status,
                "selling_type": "retail",
                "measure_unit": "шт.",
                "is_variation": bool(is_variation),
                "variation_base_id": None,
            }
            self.products[pid] = product
            if product["external_id"]:
                self._by_external.setdefault(product["external_id"], pid)
            return dict(product)

    def product(self, key):
        """The product by Prom id or external id (a copy), or None."""
        with self.lock:
            found = self._find_product(key)
            return dict(found) if found else None

    def offer(self, key):
        """As the other simulators: ``{"quantity", "price"}`` of a product."""
        found = self.product(key)
        if not found:
            return None
        return dict(found, quantity=found["quantity_in_stock"])

    def _find_product(self, key):
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()
                                    and int(key) in self.products):
            return self.products.get(int(key))
        pid = self._by_external.get(str(key))
        return self.products.get(pid) if pid is not None else None

    def _now(self):
        return datetime.now(timezone.utc)

    def place_order(self, customer, lines, *, payment="cod", delivery=None, comment="",
                    order_id=None):
        """A buyer orders ``lines`` ([{"key" or "sku", "quantity"}]); return the order.

        Only what a product shows can be bought (presence available, enough
        ``quantity_in_stock``); the shown quantity goes down.
        """
        if not lines:
            raise OrderRefused("an order needs at least one line")
        customer = dict(customer or {})
        with self.lock:
            wanted = []
            for line in lines:
                key = line.get("key", line.get("sku"))
                product = self._find_product(key)
                qty = line.get("quantity")
                if product is None or product["status"] != "on_display":
                    raise OrderRefused(f"product {key} is not on sale")
                if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
                    raise OrderRefused(f"bad quantity {qty!r}")
                shown = product["quantity_in_stock"]
                if product["presence"] != "available" or shown is None or shown < qty:
                    raise OrderRefused(f"product {key} shows {shown}, {qty} wanted")
                wanted.append((product, qty))
            for product, qty in wanted:
                product["quantity_in_stock"] -= qty
                if product["quantity_in_stock"] <= 0:
                    product["presence"] = "not_available"
                    product["in_stock"] = False
            now = self._now()
            oid = int(order_id) if order_id else next(self._order_ids)
            items, total, commission = [], Decimal(0), Decimal(0)
            for product, qty in wanted:
                price = Decimal(str(product["price"])).quantize(Decimal("0.01"))
                line_total = price * qty
                line_commission = (line_total * self.commission_rate).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP)
                total += line_total
                commission += line_commission
                items.append({
                    "id": product["id"],
                    "external_id": product["external_id"],
                    "name": product["name"],
                    "name_multilang": dict(product["name_multilang"]),
                    "sku": product["sku"],
                    "price": self._money(price),
                    "quantity": float(qty),
                    "measure_unit": "шт.",
                    "image": "https://images.example/p.jpg",
                    "url": f"https://prom.example/p{product['id']}.html",
                    "total_price": self._money(line_total),
                    "cpa_commission": {"amount": str(line_commission)},
                })
            names = (customer.get("name") or "Оксана Ковальчук").split()
            first, last = names[0], " ".join(names[1:])
            phone = customer.get("phone", "+380671234567")
            delivery = dict(delivery or {})
            door = delivery.get("type") in ("W2D", "D2D")
            provider_data = {
                "provider": delivery.get("provider", "nova_poshta"),
                "type": delivery.get("type", "W2W"),
                "sender_warehouse_id": None,
                "recipient_warehouse_id": None if door else delivery.get(
                    "warehouse_ref", LVIV_BRANCH_REF),
                "declaration_number": None,
                "unified_status": None,
                "recipient_address": {
                    "city_id": delivery.get("city_ref", LVIV_CITY_REF),
                    "city_name": delivery.get("city", "Львів"),
                    "city_katottg": delivery.get("katottg", LVIV_KATOTTG),
                    "warehouse_id": None if door else delivery.get(
                        "warehouse_ref", LVIV_BRANCH_REF),
                    "street_id": delivery.get("street_ref") if door else None,
                    "street_name": delivery.get("street") if door else None,
                    "building_number": delivery.get("house") if door else None,
                    "apartment_number": delivery.get("flat") if door else None,
                },
            }
            paid = payment == "prom"
            order = {
                "id": oid,
                "date_created": _stamp(now),
                "date_modified": _stamp(now),
                "client_first_name": first,
                "client_second_name": customer.get("middle_name", ""),
                "client_last_name": last,
                "client_id": next(self._client_ids),
                "client": {"first_name": first, "last_name": last,
                           "second_name": customer.get("middle_name", ""), "phone": phone},
                "delivery_recipient": {},
                "email": customer.get("email") or None,
                "phone": phone,
                "delivery_option": {"id": 15500001, "name": "Нова Пошта",
                                    "shipping_service": None},
                "delivery_address": delivery.get(
                    "address", "м. Львів, №12: вул. Городоцька, 101"),
                "delivery_provider_data": provider_data,
                "delivery_cost": 0,
                "payment_option": (
                    {"id": 9800002, "name": "Пром-оплата"} if paid
                    else {"id": 9800001, "name": "Накладений платіж"}),
                "payment_data": (
                    {"type": "evopay", "status": "paid", "status_modified": _stamp(now)}
                    if paid else None),
                "price": self._money(total),
                "full_price": self._money(total),
                "client_notes": comment,
                "products": items,
                "status": "pending",
                "source": "portal",
                "price_with_special_offer": None,
                "special_offer_discount": None,
                "special_offer_promocode": None,
                "has_order_promo_free_delivery": False,
                "cpa_commission": {"amount": str(commission), "is_refunded": False},
                "utm": {"medium": "", "source": "", "campaign": ""},
                "dont_call_customer_back": False,
                "ps_promotion": None,
                "cancellation": None,
            }
            self.orders[oid] = order
            return copy.deepcopy(order)

    def _money(self, amount):
        return display_money(amount, nbsp=self.money_nbsp, comma=self.money_comma)

    def touch(self, order):
        order["date_modified"] = _stamp(self._now())

    def cancel_order_remote(self, order_id, reason="buyers_request",
                            title="Скасовано покупцем", initiator="buyer"):
        """The buyer (or Prom) cancels the order; return it."""
        with self.lock:
            order = self.orders[int(order_id)]
            order["status"] = "canceled"
            order["cancellation"] = {"title": title, "initiator": initiator,
                                     "reason": reason}
            self.touch(order)
            return copy.deepcopy(order)

    def put_order(self, payload):
        """Store an order payload as is (hostile or hand-made); return its id."""
        with self.lock:
            oid = payload.get("id") if isinstance(payload, dict) else None
            if not isinstance(oid, int):
                oid = next(self._order_ids)
            self.orders[oid] = payload
            return oid

    # -- control endpoints -------------------------------------------------
    def _ctl_products(self, req):
        body = req.json()
        specs = body.get("products", [body]) if isinstance(body, dict) else body
        made = []
        for spec in specs:
            spec = dict(spec)
            made.append(self.add_product(spec.pop("external_id", ""), **spec))
        return {"products": made}

    def _ctl_place(self, req):
        body = req.json()
        try:
            order = self.place_order(body.get("customer"), body.get("lines") or [],
                                     payment=body.get("payment", "cod"),
                                     delivery=body.get("delivery"))
        except OrderRefused as err:
            raise HttpError(409, {"error": str(err), "refused": True}) from None
        return (201, order)

    def _ctl_cancel(self, req):
        body = req.json()
        try:
            return self.cancel_order_remote(req.params["id"], body.get("reason", "buyers_request"))
        except (KeyError, ValueError):
            raise HttpError(404, {"error": "no such order"}) from None

    def _ctl_token(self, req):
        body = req.json()
        expires = body.get("expires_at")
        self.add_token(body["token"], body.get("scopes", SCOPES),
                       datetime.fromisoformat(expires) if expires else None)
        return {"ok": True}

    # -- API ---------------------------------------------------------------
    def _auth(self, req, scope):
        header = req.header("Authorization")
        token = header[7:] if header.startswith("Bearer ") else None
        with self.lock:
            info = self.tokens.get(token)
        expired = info and info["expires_at"] and info["expires_at"] <= self._now()
        if not info or expired or scope not in info["scopes"]:
            raise HttpError(401, _PAGE_401)
        lang = req.header("X-LANGUAGE") or "uk"
        return lang if lang in STATUS_NAMES else "uk"

    def _out_order(self, order, lang):
        order = copy.deepcopy(order)
        if isinstance(order, dict) and isinstance(order.get("status"), str):
            status = order["status"]
            order["status_name"] = self.custom_statuses.get(
                status, STATUS_NAMES[lang].get(status, status))
        return order

    def _filter_moment(self, value):
        """A filter date in ``filter_tz``; None for the trap (fraction or zone)."""
        if not _FILTER_RE.match(value or ""):
            return None
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(self.filter_tz))

    @route("GET", "/api/v1/orders/list")
    def orders_list(self, req):
        lang = self._auth(req, "orders")
        query = req.query
        status = query.get("status")
        if status and status not in STATUSES and status not in self.custom_statuses:
            return {"error": "Невірне значення параметра status"}
        try:
            limit = min(int(query.get("limit") or self.max_limit), self.max_limit)
            last_id = int(query["last_id"]) if query.get("last_id") else None
        except ValueError:
            return {"error": "Невірне значення параметра limit або last_id"}
        windows = []
        for name, field_name, lower in (
            ("date_from", "date_created", True), ("date_to", "date_created", False),
            ("last_modified_from", "date_modified", True),
            ("last_modified_to", "date_modified", False),
        ):
            if name in query:
                moment = self._filter_moment(query[name])
                if moment is None:
                    return {"orders": []}  # the live trap: silently nothing
                windows.append((field_name, lower, moment))
        with self.lock:
            ids = sorted(self.orders, reverse=True)
            found = []
            for oid in ids:
                if last_id is not None and (oid > last_id or (
                        oid == last_id and not self.last_id_inclusive)):
                    continue
                order = self.orders[oid]
                if not isinstance(order, dict):
                    continue
                if status and order.get("status") != status:
                    continue
                if not all(self._in_window(order, *window) for window in windows):
                    continue
                found.append(self._out_order(order, lang))
                if len(found) >= limit:
                    break
        return {"orders": found}

    @staticmethod
    def _in_window(order, field_name, lower, moment):
        try:
            value = datetime.fromisoformat(order.get(field_name)).replace(microsecond=0)
        except (TypeError, ValueError):
            return True
        return value >= moment if lower else value <= moment

    @route("GET", "/api/v1/orders/{id}")
    def order_get(self, req):
        if req.params["id"] == "list":  # routes match in name order: list first
            return self.orders_list(req)
        lang = self._auth(req, "orders")
        with self.lock:
            order = self.orders.get(int(req.params["id"])) if req.params["id"].isdigit() else None
            if order is None:
                return {"error": "Замовлення не знайдено"}
            return {"order": self._out_order(order, lang)}

    @route("POST", "/api/v1/orders/set_status")
    def set_status(self, req):
        self._auth(req, "orders")
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
            return {"error": "ids: обов'язкове поле"}
        status = body.get("status")
        if status not in self.settable_statuses and status not in self.custom_statuses:
            return {"error": "This status value is not allowed"}
        reason = body.get("cancellation_reason")
        if status == "canceled" and reason not in CANCEL_REASONS:
            return {"error": "cancellation_reason: невірне значення"}
        if body.get("cancellation_text") and reason not in CANCEL_TEXT_REASONS:
            return {"error": "cancellation_text: не можна для цієї причини"}
        processed, errors = [], {}
        with self.lock:
            for oid in body["ids"]:
                order = self.orders.get(oid) if isinstance(oid, int) else None
                if order is None:
                    errors[str(oid)] = "Замовлення не знайдено"
                    continue
                if order["status"] == status:
                    continue  # already there: silently not processed
                if order["status"] == "canceled":
                    errors[str(oid)] = "Скасоване замовлення не можна змінити"
                    continue
                order["status"] = status
                if status == "canceled":
                    order["cancellation"] = {"title": body.get("cancellation_text") or reason,
                                             "initiator": "seller", "reason": reason}
                self.touch(order)
                processed.append(oid)
            if processed:
                self.status_calls.append(copy.deepcopy(body))
        answer = {"processed_ids": processed}
        if errors:
            answer["errors"] = errors
        if processed and self.status_warnings.get(status):
            answer["warning_message"] = self.status_warnings[status]
        return answer

    @route("POST", "/api/v1/delivery/save_declaration_id")
    def save_declaration(self, req):
        self._auth(req, "orders")
        body = req.json()
        if not isinstance(body, dict):
            return {"status": "error", "message": "Помилка валідації", "errors": {}}
        number = str(body.get("declaration_id") or "")
        if not number.isdigit():
            return {"status": "error", "message": "Помилка валідації",
                    "errors": {"declaration_id": "Номер декларації має містити лише цифри"}}
        with self.lock:
            order = self.orders.get(body.get("order_id"))
            if order is None:
                return {"error": "Замовлення не знайдено"}
            data = order.setdefault("delivery_provider_data", {}) or {}
            order["delivery_provider_data"] = data
            data["declaration_number"] = number
            self.declarations.append((order["id"], number, body.get("delivery_type")))
            self.touch(order)
        return {"status": "success"}

    @route("GET", "/api/v1/products/list")
    def products_list(self, req):
        self._auth(req, "products")
        try:
            limit = min(int(req.query.get("limit") or self.max_limit), self.max_limit)
            last_id = int(req.query["last_id"]) if req.query.get("last_id") else None
        except ValueError:
            return {"error": "Невірне значення параметра"}
        with self.lock:
            found = [
                dict(p) for pid, p in sorted(self.products.items(), reverse=True)
                if p["status"] != "deleted" and (last_id is None or pid < last_id or (
                    pid == last_id and self.last_id_inclusive))
            ][:limit]
        return {"group_id": None, "products": found}

    @route("GET", "/api/v1/products/{id}")
    def product_get(self, req):
        if req.params["id"] == "list":
            return self.products_list(req)
        self._auth(req, "products")
        found = self.product(int(req.params["id"])) if req.params["id"].isdigit() else None
        if not found or found["status"] == "deleted":
            return html_reply(_PAGE_404, status=404)
        return {"product": found}

    @route("GET", "/api/v1/products/by_external_id/{external_id}")
    def product_by_external_id(self, req):
        self._auth(req, "products")
        with self.lock:
            pid = self._by_external.get(req.params["external_id"])
            found = dict(self.products[pid]) if pid is not None else None
        if not found or found["status"] == "deleted":
            return html_reply(_PAGE_404, status=404)
        return {"product": found}

    @route("POST", "/api/v1/products/edit")
    def products_edit(self, req):
        return self._edit(req, by_external=False)

    @route("POST", "/api/v1/products/edit_by_external_id")
    def products_edit_external(self, req):
        return self._edit(req, by_external=True)

    def _edit(self, req, by_external):
        self._auth(req, "products")
        body = req.json()
        if not isinstance(body, list):
            return {"errors": {"error": "Очікується список товарів"}}
        if len(body) > self.batch_limit:
            return {"error": f"Не більше {self.batch_limit} товарів за один запит"}
        processed, errors = [], {}
        with self.lock:
            for item in body:
                if not isinstance(item, dict) or "id" not in item:
                    errors[str(len(errors))] = {"id": "обов'язкове поле"}
                    continue
                key = item["id"]
                if by_external:
                    pid = self._by_external.get(str(key))
                    product = self.products.get(pid) if pid is not None else None
                else:
                    product = self.products.get(key if isinstance(key, int) else -1)
                if product is None:
                    errors[str(key)] = {"id": "Товар не знайдено"}
                    continue
                self._edit_counter += 1
                if str(key) in self.silent_drop or (
                        self.silent_drop_every
                        and self._edit_counter % self.silent_drop_every == 0):
                    continue  # the live trap: neither processed nor an error
                problem = self._check_patch(product, item)
                if problem:
                    errors[str(key)] = problem
                    continue
                patch = {k: v for k, v in item.items() if k != "id"}
                if all(product.get(k) == v for k, v in patch.items()):
                    continue  # no-op: left out of processed_ids
                old_external = product["external_id"]
                for field_name, value in patch.items():
                    if field_name in ("quantity_in_stock", "price", "presence", "status",
                                      "in_stock", "external_id", "name", "presence_sure"):
                        product[field_name] = value
                if product["external_id"] != old_external:
                    if self._by_external.get(old_external) == product["id"]:
                        del self._by_external[old_external]
                    if product["external_id"]:
                        self._by_external[product["external_id"]] = product["id"]
                self.edits.append((str(key), patch))
                processed.append(key)
        answer = {"processed_ids": processed}
        if errors:
            answer["errors"] = errors
        return answer

    @staticmethod
    def _check_patch(product, item):
        if "presence" in item:
            if item["presence"] not in PRESENCES:
                return {"presence": "Невірне значення"}
            if product["is_variation"]:
                return {"presence": "Наявність різновиду успадковується від базового товару"}
        if "quantity_in_stock" in item:
            qty = item["quantity_in_stock"]
            if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0:
                return {"quantity_in_stock": "Невірне значення"}
        if "price" in item:
            try:
                price = Decimal(str(item["price"]))
            except InvalidOperation:
                return {"price": "Невірне значення"}
            if not price.is_finite() or price < 0:
                return {"price": "Невірне значення"}
        if "status" in item and item["status"] not in PRODUCT_STATUSES:
            return {"status": "Невірне значення"}
        if "external_id" in item and not isinstance(item["external_id"], str):
            return {"external_id": "Невірне значення"}
        return None

    # -- clock helper for tests ---------------------------------------------
    def age_orders(self, seconds):
        """Move every order's dates back by ``seconds`` (tests of old orders)."""
        with self.lock:
            for order in self.orders.values():
                if not isinstance(order, dict):
                    continue
                for name in ("date_created", "date_modified"):
                    try:
                        moment = datetime.fromisoformat(order[name])
                    except (KeyError, TypeError, ValueError):
                        continue
                    order[name] = _stamp(moment - timedelta(seconds=seconds))
