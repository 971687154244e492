"""The sync planner: what to send to a channel, pure and fast.

The Odoo side gives it the dirty bindings with the available-to-sell
quantities it computed in one grouped query; the planner applies the quantity
rules, drops what the channel already shows, and cuts the rest in batches.
It is O(n) in the number of dirty bindings and allocates no per-item objects
beyond the updates it returns.
"""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .models import PriceUpdate, StockUpdate


@dataclass(frozen=True)
class QtyRules:
    """How much of the real stock a channel shows.

    Applied in this order to the quantity summed over the channel's
    warehouses: subtract ``buffer``; at or below ``zero_at`` show 0; take
    ``percent`` per cent (rounded down); cap at ``maximum`` (0 = no cap);
    never below 0.
    """

    buffer: float = 0.0
    zero_at: float = 0.0
    maximum: int = 0
    percent: float = 100.0

    def apply(self, available) -> int:
        qty = float(available) - float(self.buffer or 0.0)
        if qty <= float(self.zero_at or 0.0):
            return 0
        percent = 100.0 if self.percent is None else float(self.percent)
        # a tiny epsilon keeps 3.0000000001 * 100 / 100 from flooring to 2
        qty = math.floor(qty * percent / 100.0 + 1e-9)
        if self.maximum and self.maximum > 0:
            qty = min(qty, int(self.maximum))
        return max(int(qty), 0)


@dataclass(frozen=True)
class DirtyItem:
    """One dirty binding as the planner sees it."""

    binding_id: int
    key: str
    seq: int  # the binding's change counter when it was read (compare-and-set)
    last_value: object  # what the channel was last sent, None if never
    available: object  # available-to-sell (stock) or the computed price
    rules: QtyRules | None = None


@dataclass
class Plan:
    """``to_push`` is a list of batches of (item, update); ``unchanged`` needs no call."""

    to_push: list
    unchanged: list

    @property
    def requests(self):
        return len(self.to_push)

    @property
    def changed(self):
        return sum(len(batch) for batch in self.to_push)


def _batches(pairs, limit):
    limit = max(int(limit), 1)
    return [pairs[i : i + limit] for i in range(0, len(pairs), limit)]


def plan_stock(items, batch_limit, default_rules=QtyRules()):
    """Plan a stock push: quantities after rules, only those that differ."""
    changed, unchanged = [], []
    for item in items:
        qty = (item.rules or default_rules).apply(item.available)
        if item.last_value is not None and int(item.last_value) == qty:
            unchanged.append(item)
        else:
            changed.append((item, StockUpdate(item.key, qty)))
    return Plan(_batches(changed, batch_limit), unchanged)


def round_price(value, digits=2):
    quant = Decimal(1).scaleb(-digits)
    return Decimal(str(value)).quantize(quant, rounding=ROUND_HALF_UP)


def plan_prices(items, batch_limit, digits=2, *, price_digits=None):
    """Plan a price push: prices rounded to the currency, only those that differ.

    ``price_digits`` is the adapter's :attr:`ChannelAdapter.price_digits`:
    when not None it replaces ``digits`` (the currency's), so that a channel
    taking whole hryvnias is sent 629, and 629.40 after 629 is no change.
    """
    if price_digits is not None:
        digits = price_digits
    changed, unchanged = [], []
    for item in items:
        price = round_price(item.available, digits)
        if item.last_value is not None and round_price(item.last_value, digits) == price:
            unchanged.append(item)
        else:
            changed.append((item, PriceUpdate(item.key, price)))
    return Plan(_batches(changed, batch_limit), unchanged)
