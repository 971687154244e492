"""Simulator of the Checkbox cloud cash register API (PRRO), under ``/api/v1``.

What it plays, after the fact sheet (``docs/apis/checkbox.md``):

* headers: ``X-Client-Name`` on every call (400 without it),
  ``Authorization: Bearer <token>`` on everything but the two sign-ins (401
  ``{"message": "Not authenticated"}`` for a missing, unknown or expired
  token; ``token_ttl`` seconds makes tokens expire), ``X-License-Key`` on PIN
  sign-in, shift opening, ``/cash-registers/*`` and ``/tax`` (403 when wrong);
* sign-in by login/password (``/cashier/signin``) or PIN
  (``/cashier/signinPinCode``): 403 ``{"message": "Невірний логін або
  пароль"}`` for bad credentials;
* shifts: ``POST /shifts`` answers 202 ``CREATED``, the shift is ``OPENED``
  ``shift_delay`` seconds later; ``POST /shifts/close`` answers 202
  ``CLOSING`` and ``CLOSED`` (with its ``z_report``) after the same delay. A
  second opening by the cashier answers 400 ``Касир вже працює з даною
  касою``; another cashier on a busy register 400 ``Каса зайнята іншим
  касиром``;
* receipts through ``POST /receipts/sell`` (sale and return: goods with
  ``is_return``) and ``POST /receipts/service``: 201 ``CREATED``, ``DONE``
  with a fiscal code ``receipt_delay`` seconds later, or ``ERROR`` with
  ``transaction.response_error_message`` for the messages queued with
  :meth:`CheckboxSimulator.fail_next_receipts`. Validation as the API words
  it: 400 ``Зміну не відкрито`` without an open shift, 400 when payments do
  not cover the goods or cashless payments exceed them, 422 with
  ``detail[].loc/msg/type`` for schema errors (non-integer quantity or
  price, empty goods, more than two taxes, unknown tax code);
* idempotency: the receipt's ``id`` is the client's UUID; a second POST with
  a known id answers 400 ``Чек з таким ідентифікатором вже існує`` and
  changes nothing (the real answer is an open question: the client relies
  on ``GET /receipts/{id}``);
* offline mode: ``POST /cash-registers/go-offline`` / ``go-online``; receipts
  made offline are ``DONE`` at once with an offline fiscal code and
  ``is_created_offline``; ``GET /cash-registers/info`` shows
  ``offline_mode``;
* renderings ``/receipts/{id}/pdf|text|html|qrcode``, ``/reports/{id}/text``,
  X report ``POST /reports``, ``GET /tax``, e-mail and SMS delivery.

Faults of the core apply, including ``timeout`` with ``after=True`` on
``/api/v1/receipts/sell``: the receipt is registered, the answer lost.

Control endpoints besides the common ones: ``POST /_sandbox/receipt_errors``
(``{"messages": ["..."]}``: the next receipts end in ERROR with them) and
``POST /_sandbox/expire_tokens``.
"""

import datetime as dt
import itertools
import secrets
import time
import uuid

from .server import HttpError, Reply, Simulator, json_reply, route, text_reply

PREFIX = "/api/v1"

MSG_NO_SHIFT = "Зміну не відкрито"
MSG_CASHIER_BUSY = "Касир вже працює з даною касою"
MSG_REGISTER_BUSY = "Каса зайнята іншим касиром"
MSG_DUPLICATE = "Чек з таким ідентифікатором вже існує"
MSG_NOT_PAID = "Сума оплат менша за суму чеку"
MSG_CASHLESS_OVER = "Сума безготівкової оплати перевищує суму чеку"
MSG_BAD_CREDENTIALS = "Невірний логін або пароль"
MSG_BAD_LICENSE = "Невірний ключ ліцензії каси"
MSG_NO_CLIENT = "Не вказано заголовок X-Client-Name"
MSG_NOT_AUTHENTICATED = "Not authenticated"
MSG_NOT_FOUND = "Не знайдено"
MSG_RELATED_UNKNOWN = "Чек, що повертається, не знайдено"

#: the organisation's taxes as ``GET /tax`` lists them (code, symbol, rate, label)
DEFAULT_TAXES = (
    {"code": 1, "symbol": "А", "rate": 20.0, "label": "ПДВ 20%", "included": True},
    {"code": 2, "symbol": "Б", "rate": 7.0, "label": "ПДВ 7%", "included": True},
    {"code": 3, "symbol": "В", "rate": 0.0, "label": "Без ПДВ", "included": True,
     "no_vat": True},
)

_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5f0000000049454e44ae426082"
)


def _now():
    return dt.datetime.now(dt.timezone.utc)


def _iso(value):
    return value.isoformat() if value else None


def _unprocessable(loc, msg, kind):
    raise HttpError(
        422,
        {"message": "Validation error",
         "detail": [{"loc": ["body", *loc], "msg": msg, "type": kind}]},
    )


def _int_field(value, loc, *, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int):
        _unprocessable(loc, "value is not a valid integer", "type_error.integer")
    if value < minimum:
        _unprocessable(
            loc, f"ensure this value is greater than or equal to {minimum}",
            "value_error.number.not_ge",
        )
    return value


def _str_field(value, loc):
    if not isinstance(value, str) or not value.strip():
        _unprocessable(loc, "field required", "value_error.missing")
    return value


class CheckboxSimulator(Simulator):
    """One organisation with cash registers and cashiers, on loopback."""

    name = "checkbox"

    def __init__(self, *, cashiers=None, registers=None, shift_delay=0.05,
                 receipt_delay=0.1, token_ttl=None, taxes=DEFAULT_TAXES, **kw):
        #: login -> {"password", "pin", "license_key", "name"}
        self.cashier_specs = cashiers or {
            "cashier": {"password": "secret-pass", "pin": "1234",
                        "license_key": "test-license-key", "name": "Тестовий Касир"},
        }
        #: license key -> {"title", "fiscal_number"}
        self.register_specs = registers or {
            "test-license-key": {"title": "Тестова каса", "fiscal_number": "4000000001"},
        }
        self.shift_delay = float(shift_delay)
        self.receipt_delay = float(receipt_delay)
        self.token_ttl = token_ttl
        self.tax_specs = [dict(tax) for tax in taxes]
        super().__init__(**kw)

    # ------------------------------------------------------------------ state
    def reset_state(self):
        with self.lock:
            self.tokens = {}  # token -> (login, expires monotonic or None)
            self.registers = {
                key: {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"register:{key}")),
                    "title": spec.get("title", key),
                    "fiscal_number": spec.get("fiscal_number", "4000000000"),
                    "offline_mode": False,
                    "offline_since": None,
                    "shift_id": None,
                    "license_key": key,
                }
                for key, spec in self.register_specs.items()
            }
            self.cashiers = {
                login: {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"cashier:{login}")),
                    "login": login,
                    "full_name": spec.get("name", login),
                    "license_key": spec.get("license_key"),
                    "shift_id": None,
                }
                for login, spec in self.cashier_specs.items()
            }
            self.shifts = {}
            self.receipts = {}
            self.reports = {}
            self.receipt_errors = []
            self.sent = []  # (receipt id, "email"|"sms", address)
            self._serial = itertools.count(1)
            self._fiscal = itertools.count(1)
            self.sell_posts = 0  # every POST /receipts/sell that reached a handler

    def dump_state(self):
        with self.lock:
            for shift in self.shifts.values():
                self._advance_shift(shift)
            for receipt in self.receipts.values():
                self._advance_receipt(receipt)
            return {
                "registers": {k: dict(v) for k, v in self.registers.items()},
                "shifts": [self._shift_body(s) for s in self.shifts.values()],
                "receipts": [self._receipt_body(r) for r in self.receipts.values()],
                "sent": list(self.sent),
            }

    def control_routes(self):
        return super().control_routes() + [
            ("POST", "/_sandbox/receipt_errors", self._ctl_receipt_errors),
            ("POST", "/_sandbox/expire_tokens", self._ctl_expire_tokens),
        ]

    def _ctl_receipt_errors(self, req):
        messages = (req.json() or {}).get("messages") or []
        self.fail_next_receipts(*[str(m) for m in messages])
        return {"queued": len(self.receipt_errors)}

    def _ctl_expire_tokens(self, req):
        return {"expired": self.expire_tokens()}

    # ------------------------------------------------------- test helpers
    def fail_next_receipts(self, *messages):
        """The next receipts end in ERROR with these messages (the tax service's words)."""
        with self.lock:
            self.receipt_errors.extend(messages)

    def expire_tokens(self):
        with self.lock:
            count = len(self.tokens)
            self.tokens.clear()
            return count

    def receipts_by_status(self, status=None):
        with self.lock:
            for receipt in self.receipts.values():
                self._advance_receipt(receipt)
            return [
                dict(r) for r in self.receipts.values() if status is None or r["status"] == status
            ]

    def open_shift_now(self, login="cashier"):
        """Open (and mark OPENED) a shift for ``login`` without going through HTTP."""
        with self.lock:
            cashier = self.cashiers[login]
            shift = self._new_shift(cashier, self.registers[cashier["license_key"]])
            shift["status"] = "OPENED"
            shift["opened_at"] = _now()
            return shift["id"]

    # ------------------------------------------------------------ checks
    def _client(self, req):
        if not req.header("X-Client-Name").strip():
            raise HttpError(400, {"message": MSG_NO_CLIENT})

    def _cashier(self, req):
        """The signed-in cashier of the request, or 401."""
        self._client(req)
        scheme, _, token = req.header("Authorization").partition(" ")
        with self.lock:
            entry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if entry is not None and entry[1] is not None and entry[1] < time.monotonic():
                del self.tokens[token.strip()]
                entry = None
        if entry is None:
            raise HttpError(401, {"message": MSG_NOT_AUTHENTICATED})
        return self.cashiers[entry[0]]

    def _register(self, req, cashier=None):
        key = req.header("X-License-Key")
        register = self.registers.get(key)
        if register is None or (cashier is not None and cashier["license_key"] != key):
            raise HttpError(403, {"message": MSG_BAD_LICENSE})
        return register

    def _issue_token(self, login):
        token = "cbx." + secrets.token_urlsafe(24)
        expires = time.monotonic() + self.token_ttl if self.token_ttl else None
        with self.lock:
            self.tokens[token] = (login, expires)
        return {"type": "bearer", "token_type": "bearer", "access_token": token}

    # ------------------------------------------------------------ cashier
    @route("POST", PREFIX + "/cashier/signin")
    def signin(self, req):
        self._client(req)
        body = req.json()
        login = body.get("login") if isinstance(body, dict) else None
        spec = self.cashier_specs.get(login) if isinstance(login, str) else None
        if spec is None or body.get("password") != spec.get("password"):
            raise HttpError(403, {"message": MSG_BAD_CREDENTIALS})
        return self._issue_token(login)

    @route("POST", PREFIX + "/cashier/signinPinCode")
    def signin_pin(self, req):
        self._client(req)
        body = req.json()
        pin = body.get("pin_code") if isinstance(body, dict) else None
        key = req.header("X-License-Key")
        for login, spec in self.cashier_specs.items():
            if pin and spec.get("pin") == pin and spec.get("license_key") == key:
                return self._issue_token(login)
        if key not in self.registers:
            raise HttpError(403, {"message": MSG_BAD_LICENSE})
        raise HttpError(403, {"message": MSG_BAD_CREDENTIALS})

    @route("POST", PREFIX + "/cashier/signout")
    def signout(self, req):
        self._cashier(req)
        token = req.header("Authorization").partition(" ")[2].strip()
        with self.lock:
            self.tokens.pop(token, None)
        return Reply(status=205, body=b"")

    @route("GET", PREFIX + "/cashier/me")
    def me(self, req):
        cashier = self._cashier(req)
        return {
            "id": cashier["id"], "full_name": cashier["full_name"], "nin": "1234567890",
            "signature_type": "TEST", "permissions": {"sales": True}, "is_test": True,
            "certificate_end": _iso(_now() + dt.timedelta(days=200)),
            "organization": {"id": "org-1", "title": "ФОП Тестовий"},
        }

    @route("GET", PREFIX + "/cashier/shift")
    def cashier_shift(self, req):
        cashier = self._cashier(req)
        with self.lock:
            shift = self.shifts.get(cashier["shift_id"])
            if shift is not None:
                self._advance_shift(shift)
                if shift["status"] == "CLOSED":
                    return json_reply(None)
                return self._shift_body(shift)
        return json_reply(None)

    # ------------------------------------------------------------ registers
    @route("GET", PREFIX + "/cash-registers/info")
    def register_info(self, req):
        cashier = self._cashier(req)
        register = self._register(req, cashier)
        with self.lock:
            shift = self.shifts.get(register["shift_id"])
            if shift is not None:
                self._advance_shift(shift)
            return {
                "id": register["id"], "organization_id": "org-1",
                "fiscal_number": register["fiscal_number"], "title": register["title"],
                "address": "м. Київ", "created_at": "2024-01-01T00:00:00+00:00",
                "offline_mode": register["offline_mode"], "stay_offline": False,
                "has_shift": bool(shift and shift["status"] != "CLOSED"),
                "documents_state": {"last_receipt_code": None}, "is_test": True,
            }

    @route("POST", PREFIX + "/cash-registers/go-offline")
    def go_offline(self, req):
        register = self._register(req, self._cashier(req))
        with self.lock:
            register["offline_mode"] = True
            register["offline_since"] = _now()
        return {"status": "ok"}

    @route("POST", PREFIX + "/cash-registers/go-online")
    def go_online(self, req):
        register = self._register(req, self._cashier(req))
        with self.lock:
            register["offline_mode"] = False
            register["offline_since"] = None
            for receipt in self.receipts.values():
                if receipt["register_id"] == register["id"] and receipt["is_created_offline"]:
                    receipt["is_sent_dps"] = True
        return {"status": "ok"}

    @route("POST", PREFIX + "/cash-registers/ping-tax-service")
    def ping_tax(self, req):
        register = self._register(req, self._cashier(req))
        return {"status": "ERROR" if register["offline_mode"] else "DONE"}

    @route("GET", PREFIX + "/tax")
    def taxes(self, req):
        self._client(req)
        self._register(req)
        return [dict(tax, id=f"tax-{tax['code']}") for tax in self.tax_specs]

    # ---------------------------------------------------------------- shifts
    def _new_shift(self, cashier, register):
        shift_id = str(uuid.uuid4())
        shift = {
            "id": shift_id, "serial": len(self.shifts) + 1, "status": "CREATED",
            "created_at": _now(), "ready_at": time.monotonic() + self.shift_delay,
            "opened_at": None, "closed_at": None, "closing_at": None,
            "cashier_id": cashier["id"], "cashier_login": cashier["login"],
            "register_id": register["id"], "license_key": register["license_key"],
            "z_report": None,
            "balance": {"initial": 0, "balance": 0, "cash_sales": 0, "card_sales": 0,
                        "cash_returns": 0, "card_returns": 0, "service_in": 0,
                        "service_out": 0, "discounts_sum": 0, "extra_charge_sum": 0},
            "sell_count": 0, "return_count": 0,
        }
        self.shifts[shift_id] = shift
        cashier["shift_id"] = shift_id
        register["shift_id"] = shift_id
        return shift

    def _advance_shift(self, shift):
        now = time.monotonic()
        if shift["status"] == "CREATED" and now >= shift["ready_at"]:
            shift["status"] = "OPENED"
            shift["opened_at"] = _now()
        if shift["status"] == "CLOSING" and now >= shift["closing_at"]:
            shift["status"] = "CLOSED"
            shift["closed_at"] = _now()

    def _shift_body(self, shift):
        return {
            "id": shift["id"], "serial": shift["serial"], "status": shift["status"],
            "z_report": shift["z_report"] if shift["status"] == "CLOSED" else None,
            "opened_at": _iso(shift["opened_at"]), "closed_at": _iso(shift["closed_at"]),
            "created_at": _iso(shift["created_at"]), "updated_at": _iso(_now()),
            "balance": dict(shift["balance"]),
            "initial_transaction": {"type": "SHIFT_OPEN", "status": "DONE"},
            "closing_transaction": (
                {"type": "Z_REPORT", "status": "DONE"} if shift["z_report"] else None
            ),
            "cash_register": {"id": shift["register_id"], "active": True},
            "cashier": {"id": shift["cashier_id"]},
            "emergency_close": False,
        }

    @route("POST", PREFIX + "/shifts")
    def open_shift(self, req):
        cashier = self._cashier(req)
        register = self._register(req, cashier)
        body = req.json() or {}
        with self.lock:
            own = self.shifts.get(cashier["shift_id"])
            if own is not None:
                self._advance_shift(own)
                if own["status"] != "CLOSED":
                    raise HttpError(400, {"message": MSG_CASHIER_BUSY})
            busy = self.shifts.get(register["shift_id"])
            if busy is not None:
                self._advance_shift(busy)
                if busy["status"] != "CLOSED":
                    raise HttpError(400, {"message": MSG_REGISTER_BUSY})
            shift = self._new_shift(cashier, register)
            if isinstance(body, dict) and isinstance(body.get("id"), str):
                self.shifts[body["id"]] = self.shifts.pop(shift["id"])
                shift["id"] = body["id"]
                cashier["shift_id"] = register["shift_id"] = body["id"]
            return Reply(status=202, body=self._shift_body(shift))

    @route("GET", PREFIX + "/shifts/{shift_id}")
    def get_shift(self, req):
        self._cashier(req)
        with self.lock:
            shift = self.shifts.get(req.params["shift_id"])
            if shift is None:
                raise HttpError(404, {"message": MSG_NOT_FOUND})
            self._advance_shift(shift)
            return self._shift_body(shift)

    @route("POST", PREFIX + "/shifts/close")
    def close_shift(self, req):
        cashier = self._cashier(req)
        with self.lock:
            shift = self.shifts.get(cashier["shift_id"])
            if shift is not None:
                self._advance_shift(shift)
            if shift is None or shift["status"] != "OPENED":
                raise HttpError(400, {"message": MSG_NO_SHIFT})
            for receipt in self.receipts.values():
                self._advance_receipt(receipt)
            shift["status"] = "CLOSING"
            shift["closing_at"] = time.monotonic() + self.shift_delay
            shift["z_report"] = self._report(shift, is_z=True)
            return Reply(status=202, body=self._shift_body(shift))

    # --------------------------------------------------------------- reports
    def _report(self, shift, *, is_z):
        balance = shift["balance"]
        report_id = str(uuid.uuid4())
        report = {
            "id": report_id, "serial": next(self._serial), "is_z_report": is_z,
            "fiscal_code": f"TEST-Z{report_id[:6]}" if is_z else None,
            "payments": [
                {"type": "CASH", "label": "Готівка", "sell_sum": balance["cash_sales"],
                 "return_sum": balance["cash_returns"], "service_in": balance["service_in"],
                 "service_out": balance["service_out"]},
                {"type": "CASHLESS", "label": "Картка", "sell_sum": balance["card_sales"],
                 "return_sum": balance["card_returns"], "service_in": 0, "service_out": 0},
            ],
            "taxes": [],
            "sell_receipts_count": shift["sell_count"],
            "return_receipts_count": shift["return_count"],
            "balance": balance["balance"], "initial": balance["initial"],
            "discounts_sum": balance["discounts_sum"], "extra_charge_sum": 0,
            "created_at": _iso(_now()), "shift_id": shift["id"],
        }
        self.reports[report_id] = report
        return report

    @route("POST", PREFIX + "/reports")
    def x_report(self, req):
        cashier = self._cashier(req)
        with self.lock:
            shift = self.shifts.get(cashier["shift_id"])
            if shift is not None:
                self._advance_shift(shift)
            if shift is None or shift["status"] != "OPENED":
                raise HttpError(400, {"message": MSG_NO_SHIFT})
            for receipt in self.receipts.values():
                self._advance_receipt(receipt)
            return Reply(status=201, body=self._report(shift, is_z=False))

    @route("GET", PREFIX + "/reports/{report_id}")
    def get_report(self, req):
        self._cashier(req)
        with self.lock:
            report = self.reports.get(req.params["report_id"])
        if report is None:
            raise HttpError(404, {"message": MSG_NOT_FOUND})
        return report

    @route("GET", PREFIX + "/reports/{report_id}/text")
    def report_text(self, req):
        self._cashier(req)
        with self.lock:
            report = self.reports.get(req.params["report_id"])
        if report is None:
            raise HttpError(404, {"message": MSG_NOT_FOUND})
        kind = "Z-ЗВІТ" if report["is_z_report"] else "X-ЗВІТ"
        lines = [kind, f"№ {report['serial']}"]
        for payment in report["payments"]:
            lines.append(f"{payment['label']}: {payment['sell_sum'] / 100:.2f}")
        lines.append(f"Чеків продажу: {report['sell_receipts_count']}")
        return text_reply("\n".join(lines))

    # -------------------------------------------------------------- receipts
    def _check_goods(self, goods):
        if not isinstance(goods, list) or not goods:
            _unprocessable(["goods"], "ensure this value has at least 1 items",
                           "value_error.list.min_items")
        codes = {tax["code"] for tax in self.tax_specs}
        symbols = {tax["symbol"] for tax in self.tax_specs}
        total = 0
        returns = set()
        discounts_sum = 0
        for index, item in enumerate(goods):
            loc = ["goods", index]
            if not isinstance(item, dict) or not isinstance(item.get("good"), dict):
                _unprocessable([*loc, "good"], "field required", "value_error.missing")
            good = item["good"]
            _str_field(good.get("code"), [*loc, "good", "code"])
            _str_field(good.get("name"), [*loc, "good", "name"])
            price = _int_field(good.get("price"), [*loc, "good", "price"])
            quantity = _int_field(item.get("quantity"), [*loc, "quantity"], minimum=1)
            taxes = good.get("tax") or []
            if not isinstance(taxes, list) or len(taxes) > 2:
                _unprocessable([*loc, "good", "tax"], "ensure this value has at most 2 items",
                               "value_error.list.max_items")
            for tax in taxes:
                if tax not in codes and tax not in symbols:
                    _unprocessable([*loc, "good", "tax"], f"unknown tax code {tax!r}",
                                   "value_error")
            line = (price * quantity + 500) // 1000
            line -= self._discounts(item.get("discounts"), line, [*loc, "discounts"])
            discounts_sum += (price * quantity + 500) // 1000 - line
            returns.add(bool(item.get("is_return")))
            total += line
        if len(returns) > 1:
            _unprocessable(["goods"], "sale and return goods on one receipt", "value_error")
        return total, returns.pop(), discounts_sum

    @staticmethod
    def _discounts(discounts, base, loc):
        """Kopecks taken off ``base`` by a list of discounts (extra charges negative)."""
        if discounts in (None, []):
            return 0
        if not isinstance(discounts, list):
            _unprocessable(loc, "value is not a valid list", "type_error.list")
        taken = 0
        for index, item in enumerate(discounts):
            if not isinstance(item, dict):
                _unprocessable([*loc, index], "value is not a valid dict", "type_error.dict")
            value = item.get("value")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                _unprocessable([*loc, index, "value"], "value is not a valid number",
                               "type_error.number")
            mode = item.get("mode", "VALUE")
            amount = round(base * value / 100) if mode == "PERCENT" else int(round(value))
            sign = -1 if item.get("type") == "EXTRA_CHARGE" else 1
            taken += sign * amount
        if taken > base:
            _unprocessable(loc, "discount exceeds the sum", "value_error")
        return taken

    def _check_payments(self, payments, total):
        if not isinstance(payments, list) or not payments:
            _unprocessable(["payments"], "ensure this value has at least 1 items",
                           "value_error.list.min_items")
        paid = cashless = 0
        for index, payment in enumerate(payments):
            loc = ["payments", index]
            if not isinstance(payment, dict):
                _unprocessable(loc, "value is not a valid dict", "type_error.dict")
            kind = payment.get("type")
            if kind not in ("CASH", "CASHLESS", "CARD"):
                _unprocessable([*loc, "type"], "unexpected value; permitted: 'CASH', "
                               "'CASHLESS', 'CARD'", "value_error.const")
            value = _int_field(payment.get("value"), [*loc, "value"], minimum=1)
            paid += value
            if kind != "CASH":
                cashless += value
        if paid < total:
            raise HttpError(400, {"message": MSG_NOT_PAID})
        if cashless > total:
            raise HttpError(400, {"message": MSG_CASHLESS_OVER})
        return paid, cashless

    def _open_shift_of(self, cashier):
        shift = self.shifts.get(cashier["shift_id"])
        if shift is not None:
            self._advance_shift(shift)
        if shift is None or shift["status"] != "OPENED":
            raise HttpError(400, {"message": MSG_NO_SHIFT})
        return shift

    def _receipt_id(self, body):
        value = body.get("id")
        if value is None:
            return str(uuid.uuid4())
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            _unprocessable(["id"], "value is not a valid uuid", "type_error.uuid")

    @route("POST", PREFIX + "/receipts/sell")
    def sell(self, req):
        cashier = self._cashier(req)
        body = req.json()
        if not isinstance(body, dict):
            _unprocessable([], "value is not a valid dict", "type_error.dict")
        with self.lock:
            self.sell_posts += 1
            receipt_id = self._receipt_id(body)
            if receipt_id in self.receipts:
                raise HttpError(400, {"message": MSG_DUPLICATE})
            goods_total, is_return, discounts_sum = self._check_goods(body.get("goods"))
            total = goods_total - self._discounts(body.get("discounts"), goods_total,
                                                  ["discounts"])
            paid, cashless = self._check_payments(body.get("payments"), total)
            related = body.get("related_receipt_id")
            if related is not None and str(related) not in self.receipts:
                raise HttpError(400, {"message": MSG_RELATED_UNKNOWN})
            shift = self._open_shift_of(cashier)
            receipt = self._new_receipt(
                receipt_id, "RETURN" if is_return else "SELL", shift, cashier, body,
                total=total, paid=paid, cashless=cashless, discounts_sum=discounts_sum,
            )
            return Reply(status=201, body=self._receipt_body(receipt))

    @route("POST", PREFIX + "/receipts/service")
    def service(self, req):
        cashier = self._cashier(req)
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("payment"), dict):
            _unprocessable(["payment"], "field required", "value_error.missing")
        payment = body["payment"]
        value = payment.get("value")
        if isinstance(value, bool) or not isinstance(value, int) or value == 0:
            _unprocessable(["payment", "value"], "value is not a valid integer",
                           "type_error.integer")
        with self.lock:
            receipt_id = self._receipt_id(body)
            if receipt_id in self.receipts:
                raise HttpError(400, {"message": MSG_DUPLICATE})
            shift = self._open_shift_of(cashier)
            kind = "SERVICE_IN" if value > 0 else "SERVICE_OUT"
            receipt = self._new_receipt(
                receipt_id, kind, shift, cashier,
                {"goods": [], "payments": [dict(payment, value=abs(value))]},
                total=abs(value), paid=abs(value), cashless=0, discounts_sum=0,
            )
            return Reply(status=201, body=self._receipt_body(receipt))

    def _new_receipt(self, receipt_id, kind, shift, cashier, body, *, total, paid, cashless,
                     discounts_sum):
        register = next(r for r in self.registers.values() if r["id"] == shift["register_id"])
        offline = register["offline_mode"]
        receipt = {
            "id": receipt_id, "type": kind, "status": "CREATED", "serial": 0,
            "goods": body.get("goods") or [], "payments": body.get("payments") or [],
            "discounts": body.get("discounts") or [],
            "total_sum": total, "total_payment": paid, "total_rest": paid - total,
            "cashless": cashless, "discounts_sum": discounts_sum,
            "created_at": _now(), "ready_at": time.monotonic() + self.receipt_delay,
            "shift_id": shift["id"], "cashier_id": cashier["id"],
            "register_id": register["id"], "related_receipt_id": body.get("related_receipt_id"),
            "delivery": body.get("delivery") or {}, "context": body.get("context"),
            "fiscal_code": None, "fiscal_date": None, "error": None,
            "is_created_offline": offline, "is_sent_dps": not offline, "counted": False,
        }
        if self.receipt_errors:
            receipt["error"] = self.receipt_errors.pop(0)
        if offline:
            receipt["ready_at"] = 0
        self.receipts[receipt_id] = receipt
        return receipt

    def _advance_receipt(self, receipt):
        if receipt["status"] != "CREATED" or time.monotonic() < receipt["ready_at"]:
            return
        if receipt["error"]:
            receipt["status"] = "ERROR"
            return
        receipt["status"] = "DONE"
        receipt["serial"] = next(self._serial)
        number = next(self._fiscal)
        prefix = "TEST-OFF" if receipt["is_created_offline"] else "TEST-"
        receipt["fiscal_code"] = f"{prefix}{number:06d}"
        receipt["fiscal_date"] = _now()
        shift = self.shifts[receipt["shift_id"]]
        balance = shift["balance"]
        cash = receipt["total_sum"] - receipt["cashless"]
        if receipt["type"] == "SELL":
            balance["cash_sales"] += cash
            balance["card_sales"] += receipt["cashless"]
            balance["balance"] += cash
            balance["discounts_sum"] += receipt["discounts_sum"]
            shift["sell_count"] += 1
        elif receipt["type"] == "RETURN":
            balance["cash_returns"] += cash
            balance["card_returns"] += receipt["cashless"]
            balance["balance"] -= cash
            shift["return_count"] += 1
        elif receipt["type"] == "SERVICE_IN":
            balance["service_in"] += receipt["total_sum"]
            balance["balance"] += receipt["total_sum"]
        else:
            balance["service_out"] += receipt["total_sum"]
            balance["balance"] -= receipt["total_sum"]

    def _receipt_body(self, receipt):
        done = receipt["status"] == "DONE"
        return {
            "id": receipt["id"], "type": receipt["type"], "status": receipt["status"],
            "serial": receipt["serial"], "goods": receipt["goods"],
            "payments": receipt["payments"], "discounts": receipt["discounts"],
            "total_sum": receipt["total_sum"], "total_payment": receipt["total_payment"],
            "total_rest": receipt["total_rest"], "round_sum": 0, "taxes": [],
            "created_at": _iso(receipt["created_at"]), "updated_at": _iso(_now()),
            "shift_id": receipt["shift_id"], "cashier_id": receipt["cashier_id"],
            "cash_register_id": receipt["register_id"], "organization_id": "org-1",
            "related_receipt_id": receipt["related_receipt_id"],
            "context": receipt["context"],
            "fiscal_code": receipt["fiscal_code"], "fiscal_date": _iso(receipt["fiscal_date"]),
            "tax_url": (
                f"https://cabinet.tax.gov.ua/cashregs/check?id={receipt['fiscal_code']}"
                if done else None
            ),
            "is_created_offline": receipt["is_created_offline"],
            "is_sent_dps": receipt["is_sent_dps"],
            "transaction": {
                "type": "RECEIPT",
                "status": {"DONE": "DONE", "ERROR": "ERROR"}.get(receipt["status"], "PENDING"),
                "response_status": "ERROR" if receipt["status"] == "ERROR" else None,
                "response_error_message": receipt["error"] if receipt["status"] == "ERROR"
                else None,
            },
        }

    def _known_receipt(self, req):
        with self.lock:
            try:
                receipt_id = str(uuid.UUID(req.params["receipt_id"]))
            except ValueError:
                raise HttpError(422, {"message": "Validation error", "detail": [
                    {"loc": ["path", "receipt_id"], "msg": "value is not a valid uuid",
                     "type": "type_error.uuid"}]}) from None
            receipt = self.receipts.get(receipt_id)
            if receipt is None:
                raise HttpError(404, {"message": MSG_NOT_FOUND})
            self._advance_receipt(receipt)
            return receipt

    @route("GET", PREFIX + "/receipts/{receipt_id}")
    def get_receipt(self, req):
        self._cashier(req)
        receipt = self._known_receipt(req)
        with self.lock:
            return self._receipt_body(receipt)

    def _rendered(self, req):
        self._client(req)
        receipt = self._known_receipt(req)
        if receipt["status"] != "DONE":
            raise HttpError(400, {"message": "Чек ще не фіскалізовано"})
        return receipt

    @route("GET", PREFIX + "/receipts/{receipt_id}/pdf")
    def receipt_pdf(self, req):
        self._rendered(req)
        return Reply(status=200, body=_PDF, content_type="application/pdf")

    @route("GET", PREFIX + "/receipts/{receipt_id}/qrcode")
    def receipt_qr(self, req):
        self._rendered(req)
        return Reply(status=200, body=_PNG, content_type="image/png")

    @route("GET", PREFIX + "/receipts/{receipt_id}/text")
    def receipt_text(self, req):
        receipt = self._rendered(req)
        lines = [f"ФН {receipt['fiscal_code']}"]
        for item in receipt["goods"]:
            lines.append(f"{item['good']['name']} {item['quantity'] / 1000:g} x "
                         f"{item['good']['price'] / 100:.2f}")
        lines.append(f"СУМА {receipt['total_sum'] / 100:.2f}")
        return text_reply("\n".join(lines))

    @route("GET", PREFIX + "/receipts/{receipt_id}/html")
    def receipt_html(self, req):
        receipt = self._rendered(req)
        return Reply(status=200, body=f"<html><body>{receipt['fiscal_code']}</body></html>",
                     content_type="text/html; charset=utf-8")

    @route("POST", PREFIX + "/receipts/{receipt_id}/email")
    def receipt_email(self, req):
        self._cashier(req)
        receipt = self._known_receipt(req)
        emails = req.json()
        if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
            _unprocessable([], "value is not a valid list", "type_error.list")
        with self.lock:
            self.sent.extend((receipt["id"], "email", email) for email in emails)
        return {"status": "ok"}

    @route("POST", PREFIX + "/receipts/{receipt_id}/sms")
    def receipt_sms(self, req):
        self._cashier(req)
        receipt = self._known_receipt(req)
        body = req.json()
        phone = body.get("phone") if isinstance(body, dict) else None
        if not isinstance(phone, str) or not phone.isdigit() or len(phone) != 12:
            _unprocessable(["phone"], "value is not a valid phone", "value_error")
        with self.lock:
            self.sent.append((receipt["id"], "sms", phone))
        return {"status": "ok"}

    def not_found_reply(self, req):
        return Reply(status=404, body={"message": MSG_NOT_FOUND})

    # ------------------------------------------------------------------- CLI
    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--login", default="cashier", help="cashier login")
        parser.add_argument("--password", default="secret-pass", help="cashier password")
        parser.add_argument("--pin", default="1234", help="cashier PIN")
        parser.add_argument("--license-key", default="test-license-key",
                            help="cash register licence key")
        parser.add_argument("--shift-delay", type=float, default=0.5,
                            help="seconds before a shift is OPENED or CLOSED")
        parser.add_argument("--receipt-delay", type=float, default=1.0,
                            help="seconds before a receipt is DONE")
        parser.add_argument("--token-ttl", type=float, default=None,
                            help="seconds a token lives (default: forever)")

    @classmethod
    def from_args(cls, args, *, host, port):
        return cls(
            cashiers={args.login: {"password": args.password, "pin": args.pin,
                                   "license_key": args.license_key, "name": "Касир"}},
            registers={args.license_key: {"title": "Каса", "fiscal_number": "4000000001"}},
            shift_delay=args.shift_delay, receipt_delay=args.receipt_delay,
            token_ttl=args.token_ttl, host=host, port=port,
        )

