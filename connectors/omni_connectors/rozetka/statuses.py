"""Rozetka's order statuses, the seller's transitions and the cancel reasons: data.

Everything here is a table, so that a fact the API documentation leaves
open (marked [I] in the fact sheet: groups of some ids, the seller's
transition graph, which statuses a seller may cancel with) is changed by
editing a value, never a code path. An adapter takes its own copies
(``RozetkaAdapter(transitions=..., cancel_reasons=...)``), and prefers the
graph the API serves for an order (``expand=status_available``) when it has
one.

Mapping of the neutral states (what Odoo says) to Rozetka's statuses:

========================  ==========================================================
neutral state             Rozetka
========================  ==========================================================
``confirmed``             26 "being handled by the manager" (1 -> 26)
``shipped`` + TTN         3 "handed to the delivery service"; from 26 or 47 the order
                          first goes to 2 with the TTN (Rozetka then shows 61,
                          "handover planned"), then to 3
``cancelled`` + reason    the reason *is* the status: 42 out of stock, 18 buyer not
                          reached, ... (:data:`CANCEL_REASONS`)
========================  ==========================================================

And back (statuses read from an order, :func:`neutral_state`): group 3
"finished unsuccessfully" is ``cancelled`` before the parcel left and
``returned`` after (:data:`RETURN_STATUSES`); group 2 is ``delivered``;
group 1 is ``new`` for the statuses waiting for the seller
(:data:`NEW_STATUSES`), ``shipped`` from the handover on
(:data:`SHIPPED_STATUSES`), else ``confirmed``.
"""

from ..core.models import OrderState

#: status id -> (group, English name, Ukrainian name). Groups: 1 in processing,
#: 2 finished successfully, 3 finished unsuccessfully. [C] ids and names,
#: [I] most groups (fact sheet 3.1)
STATUSES = {
    1: (1, "New order", "Нове замовлення"),
    2: (1, "Being packed, data confirmed", "Дані підтверджено, комплектується"),
    3: (1, "Handed to the delivery service", "Передано до служби доставки"),
    4: (1, "In delivery", "Доставляється"),
    5: (1, "Waiting at the pickup point", "Чекає в пункті самовивозу"),
    6: (2, "Completed", "Виконано"),
    7: (1, "Not processed by the seller within a day", "Не оброблено продавцем"),
    11: (3, "Buyer did not collect", "Не забрав посилку"),
    12: (3, "Refused on receipt", "Відмова під час отримання"),
    13: (3, "Cancelled by the administrator", "Скасовано адміністратором"),
    16: (3, "Out of stock or defective", "Немає в наявності або брак"),
    17: (3, "Payment terms not acceptable", "Не влаштовують умови оплати"),
    18: (3, "Could not reach the buyer", "Не вдалося зв'язатися з покупцем"),
    19: (3, "Order returned", "Повернення"),
    20: (3, "Item does not match the description", "Товар не відповідає опису"),
    24: (3, "Delivery not acceptable", "Не влаштовує доставка"),
    25: (3, "Test order", "Тестове замовлення"),
    26: (1, "Being handled by the manager", "Обробляється менеджером"),
    27: (1, "Needs completing", "Потребує доукомплектації"),
    28: (3, "Wrong contact details", "Некоректні контактні дані"),
    29: (3, "Price changed", "Змінилася ціна"),
    30: (3, "Reservation period expired", "Закінчився термін резерву"),
    31: (3, "Duplicate order created", "Створено дублікат замовлення"),
    33: (3, "Delivery terms not acceptable", "Не влаштовують умови доставки"),
    37: (3, "Prepayment not acceptable", "Не влаштовує передоплата"),
    38: (3, "Item not acceptable", "Не влаштовує товар"),
    40: (3, "Buyer changed their mind", "Покупець передумав"),
    42: (3, "Out of stock", "Товару немає в наявності"),
    43: (3, "Defective", "Брак"),
    44: (3, "Fake order", "Фейкове замовлення"),
    45: (3, "Cancelled by the buyer", "Скасовано покупцем"),
    46: (2, "Restored during the call-back check", "Відновлено під час дзвінка"),
    47: (1, "Repeat call planned", "Заплановано повторний дзвінок"),
    49: (3, "Duplicate order", "Дублікат замовлення"),
    50: (3, "Buyer did not pay", "Покупець не оплатив"),
    51: (3, "Credit refused", "Відмова в кредиті"),
    52: (1, "New one-click order", "Нове замовлення в один клік"),
    53: (1, "Awaiting buyer confirmation", "Очікує підтвердження покупця"),
    55: (1, "Awaiting payment", "Очікує оплату"),
    56: (1, "Being packed by the carrier", "Комплектується перевізником"),
    57: (1, "Delivery scheduled", "Доставку заплановано"),
    61: (1, "Handover to the carrier planned", "Заплановано передачу перевізнику"),
    63: (1, "Carrier processing", "Обробляється перевізником"),
    64: (1, "On the way to the recipient's city", "Прямує до міста отримувача"),
    65: (1, "In the recipient's city", "У місті отримувача"),
    66: (1, "In the recipient's city", "У місті отримувача"),
    67: (1, "With the courier", "У кур'єра"),
    71: (3, "Goods came back", "Товар повернувся"),
    72: (3, "Money refunded", "Кошти повернено"),
    73: (1, "Queued for pickup", "У черзі на видачу"),
    74: (1, "Reservation ends today", "Резерв закінчується сьогодні"),
    75: (3, "Cancelled by the call centre", "Скасовано кол-центром"),
    76: (1, "In the parcel locker", "У поштоматі"),
    77: (3, "Refused by the bank", "Відмова банку"),
    79: (1, "Awaiting call-centre moderation", "Очікує модерації кол-центру"),
    87: (2, "Done: processing time elapsed", "Виконано: минув час обробки"),
    88: (3, "Lost by the carrier", "Втрачено перевізником"),
}

#: statuses waiting for the seller's first move
NEW_STATUSES = frozenset({1, 7, 52, 53, 55, 79})
#: from the handover to the carrier on (the parcel left the seller)
SHIPPED_STATUSES = frozenset({3, 4, 5, 56, 58, 59, 60, 63, 64, 65, 66, 67, 73, 74, 76,
                              80, 81, 82})
#: unsuccessful endings after the parcel left: a return, not a cancellation
RETURN_STATUSES = frozenset({11, 12, 19, 68, 71, 72, 83, 84, 85, 86, 88, 89, 90, 91})

#: the reasons a seller cancels with (each is a status id), in the order the
#: manager sees them. [I] the official set is not published; 49 (duplicate)
#: needs duplicate_order_id and is sent only with ``extra``.
CANCEL_REASONS = (42, 16, 43, 18, 28, 40, 17, 24, 33, 37, 38, 20, 29, 44)
_CANCEL_SET = frozenset(CANCEL_REASONS) | {49}

#: seller transitions by current status [I] (fact sheet 3.3); the cancel
#: reasons are added to every status that lists "cancel"
_BASE_GRAPH = {
    1: (26, 2, "cancel"),
    7: (26, 2, "cancel"),
    26: (2, 47, "cancel"),
    47: (26, 2, "cancel"),
    2: (26, 3, 61, "cancel"),
    61: (3, "cancel"),
}


def _expand(graph):
    out = {}
    for status, targets in graph.items():
        children = set()
        for target in targets:
            if target == "cancel":
                children |= _CANCEL_SET
            else:
                children.add(target)
        out[status] = frozenset(children)
    return out


#: {current status: frozenset of statuses a seller may set}
TRANSITIONS = _expand(_BASE_GRAPH)

#: what Odoo's states are sent as; SHIPPED goes through SHIPPED_VIA when the
#: graph does not allow the direct move
STATE_TARGETS = {OrderState.CONFIRMED: 26, OrderState.SHIPPED: 3}
SHIPPED_VIA = 2
#: statuses that need a TTN in the same call [C]
TTN_REQUIRED = frozenset({3, 61})
#: how far along the seller's flow a status is, so that an order already
#: past the target is left alone (a retry, or the buyer was quicker)
PROGRESS = {1: 0, 7: 0, 52: 0, 53: 0, 55: 0, 79: 0, 26: 1, 47: 1, 27: 1, 2: 2, 61: 3,
            57: 3, 62: 3}
SHIPPED_PROGRESS = 4


def status_group(status):
    entry = STATUSES.get(status)
    return entry[0] if entry else None


def status_name(status, lang="en"):
    entry = STATUSES.get(status)
    if not entry:
        return f"#{status}"
    return entry[2] if lang == "uk" else entry[1]


def progress(status):
    if status in SHIPPED_STATUSES:
        return SHIPPED_PROGRESS
    return PROGRESS.get(status, 0)


def neutral_state(status, group=None):
    """The neutral state of a Rozetka status (its group as sent wins over the table)."""
    group = group or status_group(status)
    if group == 3:
        return OrderState.RETURNED if status in RETURN_STATUSES else OrderState.CANCELLED
    if group == 2:
        return OrderState.DELIVERED
    if status in NEW_STATUSES:
        return OrderState.NEW
    if status in SHIPPED_STATUSES:
        return OrderState.SHIPPED
    return OrderState.CONFIRMED
