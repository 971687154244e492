"""Checks an order passes before anything computes with it or stores it.

A channel can send anything: a price of ``1e308``, a quantity of ``1e20``, a
NUL character in a comment, a lone UTF-16 surrogate that is valid JSON yet
no valid Unicode. Each would make the Odoo side fail far from the cause
(PostgreSQL refuses NUL and unencodable text; the tax engine crawls on
numbers with hundreds of digits). These functions find such input cheaply,
in time linear in the order's size, and describe each problem so that the
order can be put aside for a person with a clear reason:

* :func:`text_problems` walks every string of an order (dataclasses, lists,
  dicts) and reports the fields holding characters that cannot be stored;
* :func:`number_problems` checks quantities, prices and totals against
  :class:`Limits` and that the lines add up to the total;
* :func:`clean_text` gives the storable form of a string (for showing what
  can be read of a rejected order);
* :func:`safe_json_text` serializes any payload to text PostgreSQL accepts,
  keeping the hostile characters visible as escapes.

Nothing here raises on bad input: problems are returned, as data.
"""

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

#: C0 controls and DEL, less tab, line feed and carriage return; and lone surrogates
_BAD_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Limits:
    """What no real order exceeds; beyond, a person looks first.

    Defaults suit a retail shop in hryvnias; the Odoo side reads them from
    settings.
    """

    max_lines: int = 500
    max_quantity: Decimal = Decimal(10000)
    max_unit_price: Decimal = Decimal(10_000_000)
    max_total: Decimal = Decimal(100_000_000)
    #: how far the lines (less discounts, plus delivery) may be from the total
    total_tolerance: Decimal = Decimal("1.00")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an order: where (``field``, ``line`` index or None), what."""

    code: str
    field: str
    line: int | None = None
    value: str = ""


def clean_text(value):
    """The string with unstorable characters dropped (controls) or replaced (surrogates)."""
    if not isinstance(value, str):
        return value
    value = _SURROGATE_RE.sub("\ufffd", value)
    return _BAD_CHARS_RE.sub("", value)


def _walk(value, path, depth=0):
    """Yield ``(path, string)`` for every string inside ``value``."""
    if depth > 20:
        return
    if isinstance(value, str):
        yield path, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _walk(getattr(value, item.name), f"{path}.{item.name}" if path
                             else item.name, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]", depth + 1)


def text_problems(order):
    """Fields of ``order`` holding characters that cannot be stored (NUL, lone surrogates)."""
    problems = []
    for path, text in _walk(order, ""):
        match = _BAD_CHARS_RE.search(text)
        if not match:
            continue
        char = match.group()
        code = "surrogate" if _SURROGATE_RE.match(char) else "control"
        line = None
        found = re.match(r"lines\[(\d+)\]", path)
        if found:
            line = int(found.group(1))
        problems.append(Problem(code, path, line, f"U+{ord(char):04X}"))
    return problems


def _finite(value):
    """``value`` as a finite Decimal, or None (not a number, infinite, NaN)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not number.is_finite():
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return number


def number_problems(order, limits=Limits(), unit_lines=()):
    """Quantities, prices and totals no real order has, and lines that do not add up.

    ``unit_lines``: indexes of lines whose product is sold in whole units, where a
    fractional quantity is a mistake. Amounts are compared only once each is
    known to be finite and in range, so the sum never overflows.
    """
    problems = []
    lines = list(order.lines or ())
    if len(lines) > limits.max_lines:
        problems.append(Problem("too_many_lines", "lines", None, str(len(lines))))
        return problems
    exact = True
    goods = Decimal(0)
    for index, line in enumerate(lines):
        quantity = _finite(line.quantity)
        price = _finite(line.unit_price)
        if quantity is None or quantity <= 0 or quantity > limits.max_quantity:
            problems.append(Problem("quantity", "quantity", index, str(line.quantity)[:40]))
            exact = False
        elif index in unit_lines and quantity != quantity.to_integral_value():
            problems.append(Problem("fraction", "quantity", index, str(line.quantity)[:40]))
        if price is None or price < 0 or price > limits.max_unit_price:
            problems.append(Problem("price", "unit_price", index, str(line.unit_price)[:40]))
            exact = False
        if exact:
            goods += quantity * price
    total = None
    if order.total is not None:
        total = _finite(order.total)
        if total is None or total < 0 or total > limits.max_total:
            problems.append(Problem("total", "total", None, str(order.total)[:40]))
            return problems
    if not exact or total is None or not lines:
        return problems
    discount = _finite(order.discount_total) or Decimal(0)
    delivery = _finite(getattr(order.delivery, "cost", None)) or Decimal(0)
    tolerance = limits.total_tolerance + Decimal("0.01") * len(lines)
    candidates = {goods, goods - discount, goods + delivery, goods - discount + delivery}
    if order.goods_total is not None and _finite(order.goods_total) is not None:
        stated = _finite(order.goods_total)
        candidates |= {stated, stated - discount, stated + delivery, stated - discount + delivery}
        if abs(stated - goods) > tolerance:
            problems.append(Problem("goods_total", "goods_total", None, str(stated)))
    if all(abs(total - candidate) > tolerance for candidate in candidates):
        problems.append(Problem("sum", "total", None, f"{goods}/{total}"))
    return problems


def safe_json_text(payload):
    """``payload`` as JSON text that PostgreSQL stores and that reads back the same.

    Readable (Cyrillic kept as is) when it can be; lone surrogates and other
    unencodable characters are written as ``\\uXXXX`` escapes, and NUL always
    is (JSON escapes control characters), so nothing is lost or hidden.
    """
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=2, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(payload, ensure_ascii=True, sort_keys=True, indent=2, default=str)
    return text


def safe_text(text):
    """A raw body as text PostgreSQL stores: NUL and lone surrogates written as escapes."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="backslashreplace")
    text = text.replace("\x00", "\\u0000")
    return text.encode("utf-8", errors="backslashreplace").decode("utf-8")


def peek_contact(payload, depth=3):
    """What a person can read of an order no parser could map: name, phone, e-mail, city.

    A best effort over any JSON object, by the usual key names, for the form
    of an order that needs attention.
    """
    found = {}
    keys = {
        "name": ("name", "full_name", "fio", "client_name", "customer_name", "user_title"),
        "phone": ("phone", "phone_number", "tel", "user_phone", "recipient_phone"),
        "email": ("email", "e_mail", "mail"),
        "city": ("city", "city_name", "delivery_city"),
    }

    def visit(value, level):
        if level > depth or not isinstance(value, dict):
            return
        for key, item in value.items():
            lowered = str(key).lower()
            for name, aliases in keys.items():
                if name not in found and lowered in aliases and isinstance(item, (str, int)):
                    text = clean_text(str(item)).strip()
                    if text:
                        found[name] = text[:200]
        for item in value.values():
            if isinstance(item, dict):
                visit(item, level + 1)
            elif isinstance(item, list):
                for entry in item[:20]:
                    visit(entry, level + 1)

    visit(payload, 0)
    return found
