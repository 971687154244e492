"""Simulator of the Rozetka Seller API (the parts omni uses).

Follows the fact sheet's checklist (``docs/apis/rozetka.md`` section 7):

* ``POST /sites`` login (JSON or form body, base64 password; wrong: code
  1004), tokens with a TTL and a forced expiry (:meth:`RozetkaSimulator.expire_tokens`)
  answered as 200 + 6001 ``session_expired`` or, with ``expired_reply="401"``,
  401 + 5401; tokens issued in the cabinet (``api_tokens``) never expire;
* ``GET /orders/search`` with the filters ``id``, ``status``, ``types``,
  ``created_*``, ``changed_*``, ``status_updated_*``, ``user_phone``, ``ttn``;
  ``sort`` (``id``, ``changed``, ``created``, ``-`` descending), ``page``,
  ``pageSize``/``per_page`` (default 20, at most 100), ``_meta`` and
  ``totalFields``; date filters compare whole days by default
  (``date_granularity="day"``: the coarse filters clients report); a bad
  filter value is ignored unless ``Accept-Validate-Exception: 1`` (then 1002);
  ``expand`` adds only the sub-objects asked for;
* ``GET /orders/counts-new``, ``GET /orders/{id}`` (unknown: 200 + 1019);
* ``PUT``/``PATCH /orders/{id}``: the seller's transition graph (1005 with
  ``details.status``), TTN required for 3 and 61 (1005 with
  ``details.ttn``), 2 with a TTN becomes 61, 49 needs ``duplicate_order_id``;
  ``changed``, ``status_group``, ``order_status_history`` and
  ``seller_comment`` updated;
* ``GET /order-statuses/search`` and ``/status-availables/search`` from the
  same tables;
* ``PUT /items/mass-update``: keyed by ``item_rz_id`` (or ``item_id``), at
  most ``batch_limit`` items (more: 1005, nothing applied); the price guard
  (more than 1.5 times up or 2 times down: held, reason id 2, not applied);
  per-item errors keyed by item id (unknown item: reason 1; bad value:
  reason 3; a feed-managed item with ``feed_mode="reject"``: reason 4);
  ``-1`` clears ``price_old``/``price_promo``;
* ``GET /goods/all`` with ``rz_item_id``, ``price_offer_id``, ``article``
  filters and ``sync_source`` showing feed-managed items;
* a buyer, :meth:`RozetkaSimulator.place_order`, who buys only what the
  items show (and lowers the quantity shown), and
  :meth:`RozetkaSimulator.cancel_order_remote` (the buyer cancels);
* the framework's fault injection on every path.

Control endpoints besides the common ones: ``POST /_sandbox/items``,
``POST /_sandbox/orders`` (``{"lines": [{"sku" or "rz_item_id", "quantity"}],
"customer"?, "delivery"?, "payment"?}``; 201 or 409 ``refused``),
``POST /_sandbox/orders/<id>/cancel``, ``POST /_sandbox/raw_orders``
(``{"payload": {...}}`` stored as an order as it is), ``POST
/_sandbox/expire_tokens``.
"""

import base64
import binascii
import copy
import secrets
import string
import threading
import time
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from .server import HttpError, Reply, Simulator, json_reply, route

KYIV = ZoneInfo("Europe/Kyiv")
STAMP = "%Y-%m-%d %H:%M:%S"
CENT = Decimal("0.01")
MAX_PAGE = 100
KYIV_BRANCH_REF = "7b422fc5-e1b8-11e3-8c4a-0050568002cf"

#: id -> (group, Ukrainian name)
STATUSES = {
    1: (1, "Нове замовлення"), 2: (1, "Дані підтверджено, комплектується"),
    3: (1, "Передано до служби доставки"), 4: (1, "Доставляється"),
    5: (1, "Чекає в пункті самовивозу"), 6: (2, "Виконано"),
    7: (1, "Не оброблено продавцем"), 11: (3, "Не забрав посилку"),
    12: (3, "Відмова під час отримання"), 13: (3, "Скасовано адміністратором"),
    16: (3, "Немає в наявності або брак"), 17: (3, "Не влаштовують умови оплати"),
    18: (3, "Не вдалося зв'язатися з покупцем"), 19: (3, "Повернення"),
    20: (3, "Товар не відповідає опису"), 24: (3, "Не влаштовує доставка"),
    26: (1, "Обробляється менеджером"), 28: (3, "Некоректні контактні дані"),
    29: (3, "Змінилася ціна"), 33: (3, "Не влаштовують умови доставки"),
    37: (3, "Не влаштовує передоплата"), 38: (3, "Не влаштовує товар"),
    40: (3, "Покупець передумав"), 42: (3, "Товару немає в наявності"), 43: (3, "Брак"),
    44: (3, "Фейкове замовлення"), 45: (3, "Скасовано покупцем"),
    47: (1, "Заплановано повторний дзвінок"), 49: (3, "Дублікат замовлення"),
    61: (1, "Заплановано передачу перевізнику"),
}
SELLER_CANCEL = (16, 17, 18, 20, 24, 28, 29, 33, 37, 38, 40, 42, 43, 44, 49)
#: the seller's transitions [I] (fact sheet 3.3)
GRAPH = {
    1: (26, 2, *SELLER_CANCEL), 7: (26, 2, *SELLER_CANCEL),
    26: (2, 47, *SELLER_CANCEL), 47: (26, 2, *SELLER_CANCEL),
    2: (26, 3, 61, *SELLER_CANCEL), 61: (3, *SELLER_CANCEL),
    3: (4,), 4: (5,), 5: (6, 11, 12),
}
TTN_STATUSES = (3, 61)
#: search buckets (``types``): 1 all, 2 processing, 3 done ok, 4 new,
#: 5 being delivered, 6 done not ok
TYPES = {
    1: lambda o: True,
    2: lambda o: o["status_group"] == 1,
    3: lambda o: o["status_group"] == 2,
    4: lambda o: o["status"] in (1, 7),
    5: lambda o: o["status"] in (3, 4, 5, 61),
    6: lambda o: o["status_group"] == 3,
}
HELD_REASON = 2
SORTABLE = ("id", "changed", "created")
_ALNUM = string.ascii_letters + string.digits


class OrderRefused(Exception):
    """The buyer cannot place or cancel this order."""


def _fail(code, message, description, details=None, status=200):
    return Reply(status=status, body={"success": False, "errors": {
        "message": message, "code": code, "description": description, "details": details}})


def _ok(content):
    return {"success": True, "content": content}


def _money(value):
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


class RozetkaSimulator(Simulator):
    name = "rozetka"

    def __init__(self, *, username="shop.manager@example.ua", password="Secret-Pass-123",
                 api_tokens=(), market_title="Затишна Оселя", token_ttl=86400,
                 expired_reply="6001", batch_limit=500, date_granularity="day",
                 feed_mode="apply", first_order_id=905812347, clock=time.time, **kw):
        self.username = username
        self.password = password
        self.api_tokens = tuple(api_tokens)
        self.market_title = market_title
        self.token_ttl = token_ttl
        self.expired_reply = str(expired_reply)
        self.batch_limit = batch_limit
        self.date_granularity = date_granularity
        self.feed_mode = feed_mode
        self.first_order_id = first_order_id
        self.clock = clock
        super().__init__(**kw)

    # -- state -----------------------------------------------------------------
    def reset_state(self):
        with self.lock:
            self.tokens = {}  # token -> expiry (clock seconds)
            self.items = {}  # rz_item_id -> item
            self.orders = {}  # id -> order
            self.next_order_id = self.first_order_id
            self.next_item_id = 412907733
            self.applied = []  # (kind, rz_item_id, value, time.monotonic())
            self.held = []  # (rz_item_id, old price, new price)
            self.placed = []  # (order id, time.monotonic())
            self.logins = 0
            self.changed_event = threading.Event()

    def dump_state(self):
        return {
            "items": copy.deepcopy(list(self.items.values())),
            "orders": copy.deepcopy(list(self.orders.values())),
            "held": list(self.held),
            "logins": self.logins,
        }

    def _stamp(self, offset=0):
        return datetime.fromtimestamp(self.clock() + offset, KYIV).strftime(STAMP)

    # -- catalogue ---------------------------------------------------------------
    def add_item(self, price_offer_id, name="", quantity=0, price=100, *, rz_item_id=None,
                 article="", barcode="", price_old=None, managed_by="api"):
        """List an item as the seller cabinet shows it; return a copy."""
        with self.lock:
            if rz_item_id is None:
                rz_item_id = self.next_item_id
                self.next_item_id += 1
            rz_item_id = int(rz_item_id)
            item = {
                "rz_item_id": rz_item_id,
                "item_id": rz_item_id + 7_000_000_000,
                "price_offer_id": str(price_offer_id),
                "article": article or str(price_offer_id),
                "barcode": barcode,
                "name": name or f"Товар {price_offer_id}",
                "name_ua": name or f"Товар {price_offer_id}",
                "price": int(Decimal(str(price)).quantize(Decimal(1), ROUND_HALF_UP)),
                "price_old": price_old,
                "price_promo": None,
                "stock_quantity": int(quantity),
                "rz_sell_status": 4,
                "managed_by": managed_by,
                "sync_source": {"id": 1 if managed_by == "feed" else 2,
                                "is_virtual_source": 0 if managed_by == "feed" else 3,
                                "availability": 3 if managed_by == "feed" else 4},
                "feed_overwrites": False,
            }
            self.items[rz_item_id] = item
            return copy.deepcopy(item)

    def item(self, key):
        """The item with this Rozetka id or seller offer id (a copy), or None."""
        with self.lock:
            found = self._find_item(key)
            return copy.deepcopy(found) if found else None

    def _find_item(self, key):
        text = str(key)
        if text.isdigit() and int(text) in self.items:
            return self.items[int(text)]
        return next((i for i in self.items.values() if i["price_offer_id"] == text), None)

    def offer(self, key):
        """As the generic simulator's: the item with ``quantity`` and ``price``."""
        found = self.item(key)
        if found is None:
            raise KeyError(key)
        return {**found, "quantity": found["stock_quantity"]}

    # -- buyers ------------------------------------------------------------------
    def place_order(self, lines, customer=None, delivery=None, payment=None, comment=""):
        """A buyer orders what the items show; raises OrderRefused otherwise.

        ``lines``: ``[{"sku": offer id or "rz_item_id": id, "quantity": n}]``.
        """
        customer = customer or {}
        with self.lock:
            if not lines:
                raise OrderRefused("an order needs at least one line")
            chosen = []
            for line in lines:
                item = self._find_item(line.get("rz_item_id") or line.get("sku"))
                qty = line.get("quantity", 1)
                if item is None:
                    raise OrderRefused(f"unknown item {line!r}")
                if not isinstance(qty, int) or qty <= 0:
                    raise OrderRefused(f"bad quantity {qty!r}")
                if item["stock_quantity"] < qty:
                    raise OrderRefused(
                        f"item {item['price_offer_id']} shows {item['stock_quantity']}")
                chosen.append((item, qty, line.get("price")))
            order_id = self.next_order_id
            self.next_order_id += 1
            now = self._stamp()
            purchases, amount, amount_disc = [], Decimal(0), Decimal(0)
            for index, (item, qty, price) in enumerate(chosen):
                item["stock_quantity"] -= qty
                unit = Decimal(str(price if price is not None else item["price"]))
                purchases.append({
                    "id": order_id * 10 + index, "item_id": item["rz_item_id"],
                    "item_name": item["name_ua"], "price": _money(unit),
                    "price_with_discount": _money(unit), "cost": _money(unit * qty),
                    "cost_with_discount": _money(unit * qty), "quantity": qty, "kit_id": 0,
                    "status": 1, "conf_details": None, "ttn": None, "order_status": None,
                    "is_additional_item": False,
                    "item": {"id": item["rz_item_id"], "name": item["name"],
                             "name_ua": item["name_ua"], "article": item["article"],
                             "price_offer_id": item["price_offer_id"],
                             "price": _money(item["price"]),
                             "url": f"https://rozetka.com.ua/{item['rz_item_id']}/"},
                })
                amount += unit * qty
                amount_disc += unit * qty
            first = customer.get("first_name", "Олена")
            last = customer.get("last_name", "Бондаренко")
            second = customer.get("second_name", "Іванівна")
            full = f"{last} {first} {second}".strip()
            phone = customer.get("phone", "380671234567")
            pay = {"payment_method_id": 1,
                   "payment_method_name": "Оплата під час отримання товару",
                   "payment_type": "cash", "payment_type_title": "Готівкова",
                   "payment_status": None, "credit": None}
            if payment and payment.get("paid"):
                pay.update({"payment_method_id": 2, "payment_method_name": "Карткою онлайн",
                            "payment_type": "card", "payment_type_title": "Безготівкова",
                            "payment_status": {"order_id": order_id, "status_payment_id": 2,
                                               "name": "paid", "title": "Оплачено",
                                               "value": _money(amount_disc),
                                               "created_at": now}})
            order = {
                "id": order_id, "created": now, "changed": now,
                "amount": _money(amount), "amount_with_discount": _money(amount_disc),
                "cost": _money(amount), "cost_with_discount": _money(amount_disc),
                "status": 1, "status_group": 1, "status_updated": now,
                "items_photos": [], "seller_comment": [], "seller_comment_created": "",
                "current_seller_comment": "", "comment": comment, "user_phone": phone,
                "user_title": {"first_name": first, "last_name": last, "second_name": second,
                               "full_name": full},
                "recipient_phone": phone, "ttn": "",
                "total_quantity": sum(q for _i, q, _p in chosen), "from_warehouse": 0,
                "mk_created": False, "created_type": 4, "is_viewed": False,
                "callback_off": int(bool(customer.get("callback_off"))),
                "is_fulfillment": False, "duplicate_order_id": None,
                "delivery": {
                    "delivery_service_id": 5, "delivery_service_name": "Нова Пошта",
                    "delivery_method_id": 1, "recipient_title": full,
                    "recipient_first_name": first, "recipient_last_name": last,
                    "recipient_second_name": second, "recipient_phone": phone,
                    "another_recipient": False, "place_id": 58213, "pickup_rz_id": "np-58213",
                    "pickup_type": 0, "place_street": "вул. Січових Стрільців",
                    "place_number": "17", "place_house": "24", "place_flat": None,
                    "cost": None, "email": customer.get("email"),
                    "city": {"id": 1, "name": "Киев", "name_ua": "Київ", "title": "Київ",
                             "region_title": "Київська обл.", "status": 1},
                    "ref_id": KYIV_BRANCH_REF, "name_logo": "nova-pochta",
                    **(delivery or {}),
                },
                "purchases": purchases,
                "payment": pay,
                "user": {"id": 7000 + order_id % 1000, "has_email": bool(customer.get("email")),
                         "contact_fio": full, "email": "true" if customer.get("email") else ""},
                "order_status_history": [{"status_id": 1, "created": now}],
            }
            self.orders[order_id] = order
            self.placed.append((order_id, time.monotonic()))
            self.changed_event.set()
            return copy.deepcopy(order)

    def cancel_order_remote(self, order_id, status=45):
        """The buyer cancels on Rozetka (45); return the order."""
        with self.lock:
            order = self.orders.get(int(order_id))
            if order is None:
                raise KeyError(order_id)
            if order["status_group"] != 1 or order["status"] in (3, 4, 5):
                raise OrderRefused(f"order {order_id} is {order['status']}")
            self._set_status(order, status)
            return copy.deepcopy(order)

    def inject_raw_order(self, payload):
        """Store an order object as it is (a broken one too); return its id."""
        with self.lock:
            payload = copy.deepcopy(payload)
            if not isinstance(payload.get("id"), int):
                payload.setdefault("id", self.next_order_id)
            self.next_order_id = max(self.next_order_id, int(payload["id"]) + 1) if isinstance(
                payload["id"], int) else self.next_order_id
            payload.setdefault("changed", self._stamp())
            payload.setdefault("created", payload["changed"])
            payload.setdefault("status", 1)
            payload.setdefault("status_group", 1)
            self.orders[payload["id"]] = payload
            return payload["id"]

    def expire_tokens(self):
        """Every session token dies now (the next call gets 6001 or 401)."""
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0

    def _set_status(self, order, status, ttn=None):
        now = self._stamp()
        order["status"] = status
        order["status_group"] = STATUSES.get(status, (1, ""))[0]
        order["status_updated"] = now
        order["changed"] = now
        if ttn:
            order["ttn"] = ttn
        order.setdefault("order_status_history", []).append(
            {"status_id": status, "created": now})
        self.changed_event.set()

    # -- auth --------------------------------------------------------------------
    def _auth(self, req):
        header = req.header("Authorization")
        token = header[7:] if header.startswith("Bearer ") else ""
        if token and token in self.api_tokens:
            return
        with self.lock:
            expiry = self.tokens.get(token)
        if expiry is None:
            raise HttpError(401, _fail(5401, "invalid_credentials",
                                       "Неавторизований доступ", status=401).body)
        if expiry <= self.clock():
            if self.expired_reply == "401":
                raise HttpError(401, _fail(5401, "invalid_credentials",
                                           "Неавторизований доступ", status=401).body)
            raise HttpError(200, _fail(6001, "session_expired",
                                       "Сесія закінчилася, авторизуйтеся повторно").body)

    @route("POST", "/sites")
    def api_login(self, req):
        if "x-www-form-urlencoded" in req.header("content-type"):
            body = dict(parse_qsl(req.text))
        else:
            body = req.json()
        if not isinstance(body, dict):
            return _fail(1002, "incorrect_data_format", "Невірний формат даних")
        try:
            password = base64.b64decode(str(body.get("password") or ""), validate=True)
            password = password.decode("utf-8")
        except (binascii.Error, ValueError):
            password = None
        if body.get("username") != self.username or password != self.password:
            return _fail(1004, "incorrect_username_password", "Невірний логін або пароль")
        token = "".join(secrets.choice(_ALNUM) for _ in range(36))
        with self.lock:
            self.tokens[token] = self.clock() + self.token_ttl
            self.logins += 1
        return _ok({
            "id": 4412, "access_token": token,
            "permissions": ["order_edit", "correspondence"], "roles": ["default_owner"],
            "seller": {"fio": "Коваленко Олена Петрівна", "email": self.username,
                       "wizard": False},
            "market": {"id": 20871, "logo": None, "business_model": "b2c",
                       "title": self.market_title, "status": 6, "status_label": "Активний"},
            "raising": None, "needInterview": False, "lang": "uk", "poll_link": "",
        })

    @route("POST", "/sites/logout")
    def api_logout(self, req):
        self._auth(req)
        return _ok({"logout": True})

    def not_found_reply(self, req):
        return _fail(5404, "not_found", "Не знайдено", status=404)

    # -- orders ------------------------------------------------------------------
    def _expanded(self, order, expand):
        base = {k: v for k, v in order.items()
                if k not in ("delivery", "purchases", "payment", "user",
                             "order_status_history")}
        wanted = {e.strip() for e in expand.split(",") if e.strip()}
        for name in ("delivery", "purchases", "payment", "user", "order_status_history"):
            if name in wanted and name in order:
                base[name] = order[name]
        status = order.get("status")
        if "status_data" in wanted and status in STATUSES:
            group, name = STATUSES[status]
            base["status_data"] = {"id": status, "name": name, "name_uk": name,
                                   "name_en": name, "status_group": group, "status": 1}
        if "status_available" in wanted:
            base["status_available"] = [
                {"id": status * 1000 + child, "parent_id": status, "child_id": child,
                 "delivery_type": 0, "market_group": 0}
                for child in GRAPH.get(status, ())]
        return copy.deepcopy(base)

    def _date_bound(self, value, end, validate):
        text = str(value).strip()
        for fmt in (STAMP, "%Y-%m-%d"):
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            if validate:
                raise HttpError(200, _fail(1002, "incorrect_data_format",
                                           "Невірний формат дати", {"date": [text]}).body)
            return None
        if self.date_granularity == "day" or fmt == "%Y-%m-%d":
            moment = moment.replace(hour=0, minute=0, second=0)
            if end:
                moment += timedelta(days=1, seconds=-1)
        return moment.strftime(STAMP)

    @route("GET", "/orders/search")
    def api_search(self, req):
        self._auth(req)
        q = req.query
        validate = req.header("Accept-Validate-Exception") == "1"

        def number(name, default=None, low=1):
            raw = q.get(name, "")
            if raw == "":
                return default
            try:
                value = int(raw)
                if value < low:
                    raise ValueError
                return value
            except ValueError:
                if validate:
                    raise HttpError(200, _fail(1002, "incorrect_data_format",
                                               "Невірний формат даних",
                                               {name: [raw]}).body) from None
                return default

        with self.lock:
            orders = list(self.orders.values())
            filters = self._search_filters(q, number, validate)
            found = [o for o in orders if all(f(o) for f in filters)]
            sort = q.get("sort", "id")
            column = sort.lstrip("-")
            if column not in SORTABLE:
                column = "id"
            found.sort(key=lambda o: (str(o.get(column) or "") if column != "id"
                                      else 0, o.get("id") if isinstance(o.get("id"), int)
                                      else 0),
                       reverse=sort.startswith("-"))
            size = number("pageSize") or number("per_page") or 20
            size = min(size, MAX_PAGE)
            page = number("page", 1)
            total = len(found)
            chunk = found[(page - 1) * size: page * size]
            expand = q.get("expand", "")
            content = {
                "orders": [self._expanded(o, expand) for o in chunk],
                "_meta": {"totalCount": total, "pageCount": max(1, -(-total // size)),
                          "currentPage": page, "perPage": size},
                "totalFields": self._totals(found),
            }
        return _ok(content)

    def _search_filters(self, q, number, validate):
        """The predicates of the /orders/search filters in ``q``."""
        filters = []
        for name in ("id", "status"):
            wanted = number(name)
            if wanted is not None:
                filters.append(lambda o, k=name, v=wanted: o.get(k) == v)
        types = number("types")
        if types in TYPES:
            filters.append(TYPES[types])
        for field, key in (("created", "created"), ("changed", "changed"),
                           ("status_updated", "status_updated")):
            low = q.get(f"{field}_from")
            high = q.get(f"{field}_to")
            low = self._date_bound(low, False, validate) if low else None
            high = self._date_bound(high, True, validate) if high else None
            if low:
                filters.append(lambda o, k=key, v=low: str(o.get(k) or "") >= v)
            if high:
                filters.append(lambda o, k=key, v=high: str(o.get(k) or "") <= v)
        if q.get("user_phone"):
            filters.append(lambda o, v=q["user_phone"]: o.get("user_phone") == v)
        ttn = q.get("ttn", "")
        if ttn == "0":
            filters.append(lambda o: not o.get("ttn"))
        elif ttn == "1":
            filters.append(lambda o: bool(o.get("ttn")))
        elif len(ttn) >= 4:
            filters.append(lambda o, v=ttn: v in str(o.get("ttn") or ""))
        elif ttn:
            filters.append(lambda o: False)
        return filters

    @staticmethod
    def _totals(orders):
        totals = {}
        for field in ("amount", "amount_with_discount", "cost", "cost_with_discount"):
            total = Decimal(0)
            for order in orders:
                try:
                    total += Decimal(str(order.get(field) or 0))
                except InvalidOperation:
                    continue
            totals[field] = _money(total)
        return totals

    @route("GET", "/orders/counts-new")
    def api_counts(self, req):
        self._auth(req)
        with self.lock:
            orders = list(self.orders.values())
        new = sum(1 for o in orders if o.get("status") in (1, 7))
        return _ok({"new": new, "unwatched": sum(1 for o in orders if not o.get("is_viewed")),
                    "inProgress": sum(1 for o in orders if o.get("status_group") == 1),
                    "inDone": sum(1 for o in orders if o.get("status_group") == 2),
                    "inNotDone": sum(1 for o in orders if o.get("status_group") == 3),
                    "delivering": sum(1 for o in orders if o.get("status") in (3, 4, 5)),
                    "all": len(orders)})

    def _order(self, req):
        try:
            order_id = int(req.params["order_id"])
        except ValueError:
            order_id = None
        order = self.orders.get(order_id)
        if order is None:
            raise HttpError(200, _fail(1019, "entity_not_found", "Замовлення не знайдено").body)
        return order

    @route("GET", "/orders/{order_id}")
    def api_order(self, req):
        # routes match in name order: the fixed paths under /orders/ first
        fixed = {"search": self.api_search, "counts-new": self.api_counts}
        if req.params["order_id"] in fixed:
            return fixed[req.params["order_id"]](req)
        self._auth(req)
        with self.lock:
            return _ok(self._expanded(self._order(req), req.query.get("expand", "")))

    @route("PUT", "/orders/{order_id}")
    def api_order_update(self, req):
        self._auth(req)
        body = req.json()
        if not isinstance(body, dict):
            return _fail(1002, "incorrect_data_format", "Невірний формат даних")
        with self.lock:
            order = self._order(req)
            status = body.get("status")
            if not isinstance(status, int) or isinstance(status, bool):
                return _fail(1001, "required_parameter", "Не передано обов'язковий параметр",
                             {"status": ["Необхідно заповнити «Статус»."]})
            ttn = str(body.get("ttn") or "").strip()
            current = order["status"]
            if status != current and status not in GRAPH.get(current, ()):
                return _fail(1005, "check_correctness_of_data",
                             "Перевірте правильність введених даних",
                             {"status": [f"Перехід зі статусу {current} у {status} "
                                         f"неможливий."]})
            if status in TTN_STATUSES and not ttn and not order.get("ttn"):
                return _fail(1005, "check_correctness_of_data",
                             "Перевірте правильність введених даних",
                             {"ttn": ["Необхідно заповнити «ТТН»."]})
            if status == 49 and not body.get("duplicate_order_id"):
                return _fail(1001, "required_parameter", "Не передано обов'язковий параметр",
                             {"duplicate_order_id": ["Необхідно заповнити."]})
            if ttn and not (ttn.isdigit() and len(ttn) in (11, 14, 20)):
                return _fail(1005, "check_correctness_of_data",
                             "Перевірте правильність введених даних",
                             {"ttn": ["Некоректний номер ТТН."]})
            if status == 2 and ttn:
                status = 61
            if status != current or (ttn and ttn != order.get("ttn")):
                self._set_status(order, status, ttn or None)
            comment = str(body.get("seller_comment") or "").strip()
            if comment:
                entry = {"comment": comment, "created": self._stamp(), "seller_id": 4412,
                         "seller_fio": "Коваленко Олена Петрівна"}
                order.setdefault("seller_comment", []).append(entry)
                order["current_seller_comment"] = comment
                order["seller_comment_created"] = entry["created"]
            if body.get("duplicate_order_id"):
                order["duplicate_order_id"] = body["duplicate_order_id"]
            self.applied.append(("status", order["id"], status, time.monotonic()))
            return _ok(self._expanded(order, req.query.get("expand", "")))

    api_order_patch = route("PATCH", "/orders/{order_id}")(
        lambda self, req: self.api_order_update(req))

    @route("GET", "/order-statuses/search")
    def api_statuses(self, req):
        self._auth(req)
        wanted = req.query.get("status_group")
        out = []
        for status, (group, name) in sorted(STATUSES.items()):
            if wanted and str(group) != wanted:
                continue
            entry = {"id": status, "name": name, "name_uk": name, "name_en": name,
                     "status_group": group, "status": 1, "title": name}
            if "status_available" in req.query.get("expand", ""):
                entry["status_available"] = [{"parent_id": status, "child_id": c}
                                             for c in GRAPH.get(status, ())]
            out.append(entry)
        return _ok({"orderStatus": out})

    @route("GET", "/status-availables/search")
    def api_status_availables(self, req):
        self._auth(req)
        parent = req.query.get("parent_id")
        out = [{"id": p * 1000 + c, "parent_id": p, "child_id": c, "delivery_type": 0,
                "market_group": 0}
               for p, children in sorted(GRAPH.items()) for c in children
               if not parent or str(p) == parent]
        return _ok({"statusAvailables": out})

    # -- items -------------------------------------------------------------------
    @route("PUT", "/items/mass-update")
    def api_mass_update(self, req):
        self._auth(req)
        body = req.json()
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return _fail(1001, "required_parameter", "Не передано обов'язковий параметр",
                         {"items": ["Необхідно заповнити."]})
        if len(items) > self.batch_limit:
            return _fail(1005, "check_correctness_of_data",
                         "Перевірте правильність введених даних",
                         {"items": [f"Не більше {self.batch_limit} товарів за запит."]})
        ignore_check = str(body.get("isIgnoreCheck", 0)).lower() in ("1", "true")
        errors = {}
        with self.lock:
            for entry in items:
                self._update_item(entry, errors, ignore_check)
        if errors:
            return {"success": False, "errors": errors}
        return _ok(None)

    def _update_item(self, entry, errors, ignore_check):
        if not isinstance(entry, dict):
            errors["?"] = {"reason": [{"id": 3, "value": ["Невірний формат товару"]}]}
            return
        key = entry.get("item_rz_id")
        item = self.items.get(key) if isinstance(key, int) else None
        if item is None and isinstance(entry.get("item_id"), int):
            item = next((i for i in self.items.values() if i["item_id"] == entry["item_id"]),
                        None)
            key = entry["item_id"]
        if item is None:
            errors[str(key)] = {"reason": [{"id": 1, "value": ["Товар не знайдено"]}]}
            return
        rz = str(item["rz_item_id"])
        if item["managed_by"] == "feed" and self.feed_mode == "reject":
            errors[rz] = {"reason": [{"id": 4, "value": [
                "Товар керується прайс-листом; змініть його в прайс-листі"]}]}
            return
        reasons = []
        qty = entry.get("stock_quantity")
        if qty is not None and (not isinstance(qty, int) or isinstance(qty, bool) or qty < 0):
            reasons.append({"id": 3, "value": ["Кількість має бути цілим невід'ємним числом"]})
        price = entry.get("price")
        if price is not None and (not isinstance(price, int) or isinstance(price, bool)
                                  or price <= 0):
            reasons.append({"id": 3, "value": ["Ціна має бути цілим додатним числом"]})
        for name in ("price_old", "price_promo"):
            value = entry.get(name)
            if value is not None and (not isinstance(value, int) or value < -1 or value == 0):
                reasons.append({"id": 3, "value": [f"Невірне значення {name}"]})
        if reasons:
            errors[rz] = {"reason": reasons}
            return
        if qty is not None:
            item["stock_quantity"] = qty
            self.applied.append(("stock", item["rz_item_id"], qty, time.monotonic()))
        for name in ("price_old", "price_promo"):
            value = entry.get(name)
            if value is not None:
                item[name] = None if value == -1 else value
        if price is not None:
            current = item["price"]
            if not ignore_check and current and (price > current * 1.5 or price * 2 < current):
                self.held.append((item["rz_item_id"], current, price))
                errors[rz] = {"reason": [{"id": HELD_REASON, "value": [
                    "Ціна відрізняється від поточної більш ніж у 1,5 раза; "
                    "очікує підтвердження менеджером"]}]}
            else:
                item["price"] = price
                self.applied.append(("price", item["rz_item_id"], price, time.monotonic()))
        if item["managed_by"] == "feed":
            item["feed_overwrites"] = True

    @route("GET", "/goods/all")
    def api_goods(self, req):
        self._auth(req)
        q = req.query
        try:
            page = max(1, int(q.get("page") or 1))
            size = max(1, min(int(q.get("pageSize") or 20), MAX_PAGE))
        except ValueError:
            return _fail(1002, "incorrect_data_format", "Невірний формат даних")
        with self.lock:
            found = list(self.items.values())
            for field in ("rz_item_id", "price_offer_id", "article"):
                if q.get(field):
                    found = [i for i in found if str(i[field]) == q[field]]
            chunk = found[(page - 1) * size: page * size]
            out = []
            for item in chunk:
                entry = {k: v for k, v in item.items()
                         if k not in ("managed_by", "feed_overwrites")}
                out.append(copy.deepcopy(entry))
        return _ok({"count": len(found), "items": out,
                    "_meta": {"totalCount": len(found),
                              "pageCount": max(1, -(-len(found) // size)),
                              "currentPage": page, "perPage": size}})

    # -- control -----------------------------------------------------------------
    def control_routes(self):
        return super().control_routes() + [
            ("POST", "/_sandbox/items", self._ctl_items),
            ("POST", "/_sandbox/orders", self._ctl_place),
            ("POST", "/_sandbox/orders/{order_id}/cancel", self._ctl_cancel),
            ("POST", "/_sandbox/raw_orders", self._ctl_raw),
            ("POST", "/_sandbox/expire_tokens", self._ctl_expire),
        ]

    def _ctl_items(self, req):
        body = req.json()
        specs = body.get("items", [body]) if isinstance(body, dict) else body
        if not isinstance(specs, list):
            raise HttpError(400, {"error": 'expected an item or {"items": [...]}'})
        created = []
        for spec in specs:
            if not isinstance(spec, dict) or not spec.get("price_offer_id"):
                raise HttpError(400, {"error": "an item needs a price_offer_id"})
            try:
                created.append(self.add_item(**spec))
            except (TypeError, ValueError, InvalidOperation) as err:
                raise HttpError(400, {"error": str(err)}) from None
        return Reply(status=201, body={"items": created})

    def _ctl_place(self, req):
        body = req.json()
        if not isinstance(body, dict):
            raise HttpError(400, {"error": "body must be an object"})
        try:
            order = self.place_order(body.get("lines") or [], body.get("customer"),
                                     body.get("delivery"), body.get("payment"),
                                     body.get("comment", ""))
        except OrderRefused as err:
            return json_reply({"error": str(err), "refused": True}, status=409)
        return json_reply(order, status=201)

    def _ctl_cancel(self, req):
        body = req.json()
        status = body.get("status", 45) if isinstance(body, dict) else 45
        try:
            return self.cancel_order_remote(req.params["order_id"], status)
        except (KeyError, ValueError):
            raise HttpError(404, {"error": "unknown order"}) from None
        except OrderRefused as err:
            return json_reply({"error": str(err), "refused": True}, status=409)

    def _ctl_raw(self, req):
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("payload"), dict):
            raise HttpError(400, {"error": 'expected {"payload": {...}}'})
        return json_reply({"id": self.inject_raw_order(body["payload"])}, status=201)

    def _ctl_expire(self, req):
        self.expire_tokens()
        return {"ok": True}

    # -- CLI ---------------------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--username", default="shop.manager@example.ua")
        parser.add_argument("--password", default="Secret-Pass-123")
        parser.add_argument("--api-token", action="append", default=[],
                            help="a cabinet API token accepted as is (repeatable)")
        parser.add_argument("--market", default="Затишна Оселя", help="shop name")
        parser.add_argument("--token-ttl", type=int, default=86400)
        parser.add_argument("--batch-limit", type=int, default=500)
        parser.add_argument("--feed-mode", choices=("apply", "reject"), default="apply")

    @classmethod
    def from_args(cls, args, *, host, port):
        return cls(username=args.username, password=args.password,
                   api_tokens=tuple(args.api_token), market_title=args.market,
                   token_ttl=args.token_ttl, batch_limit=args.batch_limit,
                   feed_mode=args.feed_mode, host=host, port=port)
