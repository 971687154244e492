"""The demo's shared pieces: its product catalogue and the buyers who order now and then.

``catalog()`` is the list of demo products, the same for the data loader (which
creates them in Odoo) and the demo driver (which lists them on the simulators),
so the channels' bindings match the simulators' offers. ``Buyers`` places an
order every so often on a marketplace simulator (Rozetka, Prom) or posts one to
Odoo's shop API through the shop simulator, always for a product the channel
shows in stock, delivered to a Nova Poshta branch of the NP simulator's
directory (so Odoo matches the city and branch and the order can be shipped).
"""

import itertools
import logging
import random
import threading
import time
from decimal import Decimal

from .server import HttpError

_logger = logging.getLogger(__name__)

#: (category, [(name, price, cost, weight kg)]): ten kinds of five products each
_KINDS = [
    ("Кухня", [("Чайник електричний", 899, 540, 1.2), ("Тостер", 749, 455, 1.4),
               ("Блендер", 1299, 800, 1.8), ("Кавоварка", 2499, 1600, 3.1),
               ("Мультиварка", 2199, 1390, 4.2)]),
    ("Посуд", [("Сковорода 28 см", 649, 380, 1.1), ("Каструля 3 л", 799, 470, 1.5),
               ("Набір ножів", 1099, 640, 0.9), ("Дошка обробна", 299, 150, 0.7),
               ("Термос 0,75 л", 549, 320, 0.6)]),
    ("Текстиль", [("Плед вовняний", 1199, 700, 1.3), ("Подушка", 459, 260, 0.8),
                  ("Рушник банний", 349, 190, 0.5), ("Постільна білизна", 1599, 950, 1.6),
                  ("Ковдра", 1399, 820, 2.0)]),
    ("Декор", [("Свічка ароматична", 249, 120, 0.3), ("Ваза керамічна", 599, 330, 1.0),
               ("Рамка для фото", 199, 95, 0.4), ("Годинник настінний", 699, 400, 0.9),
               ("Дзеркало кругле", 999, 590, 2.5)]),
    ("Освітлення", [("Настільна лампа", 849, 500, 1.2), ("Нічник", 399, 210, 0.4),
                    ("Гірлянда LED", 299, 160, 0.3), ("Торшер", 2299, 1450, 5.0),
                    ("Світильник стельовий", 1499, 900, 2.2)]),
    ("Ванна", [("Килимок для ванни", 379, 200, 0.6), ("Дозатор для мила", 229, 110, 0.3),
               ("Штора для душу", 449, 240, 0.5), ("Полиця для ванни", 529, 300, 1.1),
               ("Набір рушників", 899, 520, 1.4)]),
    ("Сад", [("Лійка 5 л", 259, 130, 0.6), ("Горщик для квітів", 189, 90, 0.5),
             ("Секатор", 429, 240, 0.3), ("Рукавиці садові", 119, 55, 0.1),
             ("Шланг 20 м", 899, 540, 2.8)]),
    ("Прибирання", [("Швабра з відром", 699, 400, 2.1), ("Віник", 149, 70, 0.4),
                    ("Набір серветок", 99, 45, 0.2), ("Щітка для одягу", 129, 60, 0.2),
                    ("Кошик для білизни", 549, 310, 1.3)]),
    ("Зберігання", [("Контейнер 10 л", 299, 160, 0.7), ("Органайзер", 349, 180, 0.5),
                    ("Вішалки, 10 шт.", 199, 100, 0.6), ("Скринька", 449, 250, 0.8),
                    ("Полиця настінна", 799, 460, 2.4)]),
    ("Дитяче", [("Нічник-проектор", 649, 370, 0.5), ("Плед дитячий", 599, 340, 0.7),
                ("Рюкзак шкільний", 1199, 720, 0.9), ("Пазл 500 елементів", 279, 140, 0.6),
                ("Ланчбокс", 249, 120, 0.3)]),
]

#: tile colours (RGB), one per kind
_COLOURS = [(231, 76, 60), (52, 152, 219), (155, 89, 182), (241, 196, 15), (230, 126, 34),
            (26, 188, 156), (46, 204, 113), (149, 165, 166), (52, 73, 94), (236, 64, 122)]

_FIRST = ["Оксана", "Андрій", "Марія", "Тарас", "Ірина", "Богдан", "Олена", "Дмитро",
          "Наталія", "Сергій", "Юлія", "Василь"]
_LAST = ["Коваленко", "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Мельник",
         "Поліщук", "Савченко", "Руденко", "Лисенко"]


def ean13(body12):
    """The EAN-13 of a 12-digit body: the body and its check digit."""
    digits = [int(c) for c in str(body12)]
    if len(digits) != 12:
        raise ValueError("an EAN-13 body has 12 digits")
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def ean13_valid(code):
    code = str(code or "")
    return len(code) == 13 and code.isdigit() and ean13(code[:12]) == code


def catalog():
    """The 50 demo products: dicts with sku, name, category, price, cost, weight,
    barcode (EAN-13 with Ukraine's 482 prefix), quantity (initial stock) and colour."""
    products = []
    for kind_index, (category, items) in enumerate(_KINDS):
        for item_index, (name, price, cost, weight) in enumerate(items):
            number = kind_index * 5 + item_index + 1
            products.append({
                "sku": f"DEMO-{number:03d}",
                "name": name,
                "category": category,
                "price": Decimal(price),
                "cost": Decimal(cost),
                "weight": weight,
                "barcode": ean13(f"482000{number:06d}"),
                # a few products have only 1-3 units: the last unit sells out somewhere
                "quantity": (1 + number % 3) if number % 7 == 0 else 5 + number % 11,
                "colour": _COLOURS[kind_index],
            })
    return products


def product_image(product, size=512):
    """A PNG tile in the product's colour with its name (PIL, which Odoo ships)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (size, size), tuple(product["colour"]))
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", size // 12)
        small = ImageFont.truetype("DejaVuSans.ttf", size // 18)
    except OSError:
        font = small = ImageFont.load_default()
    words, lines, line = product["name"].split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > size * 0.85:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    height = size // 10
    top = (size - height * len(lines)) // 2
    for index, text in enumerate(lines):
        width = draw.textlength(text, font=font)
        draw.text(((size - width) / 2, top + index * height), text, fill="white", font=font)
    draw.text((size // 20, size - size // 10), product["sku"], fill="white", font=small)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class Buyers:
    """Buyers who order one product now and then on the demo's sales channels.

    ``rozetka``, ``prom`` (simulators in this process) and ``shop`` (a
    :class:`ShopSimulator` set up to call Odoo) may each be None. ``novaposhta``
    gives the branches orders are delivered to. ``interval`` is the (min, max)
    seconds between two orders.
    """

    def __init__(self, *, rozetka=None, prom=None, shop=None, novaposhta=None,
                 interval=(20, 40), seed=None, on_order=None):
        self.rozetka, self.prom, self.shop, self.novaposhta = rozetka, prom, shop, novaposhta
        self.interval = interval
        self.random = random.Random(seed)
        self.on_order = on_order or (lambda text: _logger.info("%s", text))
        self.placed = []  # (channel, order id, sku)
        self._stop = threading.Event()
        self._thread = None
        self._shop_numbers = itertools.count(int(time.time()) % 100000 * 10)

    # ------------------------------------------------------------- what is shown
    def shown(self):
        """{channel: [sku, ...]} of the products each channel shows in stock."""
        shown = {}
        if self.rozetka is not None:
            with self.rozetka.lock:
                shown["rozetka"] = sorted(
                    i["price_offer_id"] for i in self.rozetka.items.values()
                    if i["stock_quantity"] > 0)
        if self.prom is not None:
            with self.prom.lock:
                shown["prom"] = sorted(
                    p["sku"] for p in self.prom.products.values()
                    if p["status"] == "on_display" and p["presence"] == "available"
                    and (p["quantity_in_stock"] or 0) > 0)
        if self.shop is not None:
            with self.shop.lock:
                shown["shop"] = sorted(
                    sku for sku, offer in self.shop.offers.items()
                    if (offer.get("quantity") or 0) > 0)
        return shown

    # ------------------------------------------------------------------- people
    def _person(self):
        first, last = self.random.choice(_FIRST), self.random.choice(_LAST)
        phone = "+38067" + "".join(str(self.random.randint(0, 9)) for _ in range(7))
        return first, last, phone

    def _branch(self):
        """(city name, city ref, branch number, branch ref) of a random NP branch."""
        if self.novaposhta is None:
            return None
        directory = self.novaposhta.directory
        city = self.random.choice(directory["cities"][:10])
        branches = [w for w in directory["wh_by_city"].get(city["Ref"], [])
                    if "Поштомат" not in w.get("Description", "")] or \
            directory["wh_by_city"].get(city["Ref"], [])
        if not branches:
            return None
        branch = self.random.choice(branches)
        return city["Description"], city["Ref"], branch["Number"], branch["Ref"]

    # ------------------------------------------------------------------- orders
    def place_one(self, channel=None):
        """Place one order; returns (channel, order id, sku) or None when nothing is shown."""
        shown = {name: skus for name, skus in self.shown().items() if skus}
        if channel is not None:
            shown = {channel: shown[channel]} if shown.get(channel) else {}
        if not shown:
            return None
        channel = self.random.choice(sorted(shown))
        sku = self.random.choice(shown[channel])
        first, last, phone = self._person()
        place = self._branch()
        if channel == "rozetka":
            delivery = None
            if place:
                city, _city_ref, number, ref = place
                delivery = {"ref_id": ref, "place_number": number,
                            "city": {"id": 1, "name": city, "name_ua": city, "title": city,
                                     "region_title": "", "status": 1}}
            order = self.rozetka.place_order(
                [{"sku": sku, "quantity": 1}],
                customer={"first_name": first, "last_name": last, "second_name": "",
                          "phone": phone.lstrip("+")},
                delivery=delivery)
            order_id = order["id"]
        elif channel == "prom":
            delivery = None
            if place:
                city, city_ref, number, ref = place
                delivery = {"city": city, "city_ref": city_ref, "warehouse_ref": ref,
                            "warehouse": f"Відділення №{number}"}
            order = self.prom.place_order(
                {"name": f"{first} {last}", "phone": phone}, [{"key": sku, "quantity": 1}],
                delivery=delivery)
            order_id = order["id"]
        else:
            order_id = f"S-{next(self._shop_numbers)}"
            with self.shop.lock:
                price = self.shop.offers[sku].get("price") or "0"
            body = {
                "id": order_id, "status": "new",
                "customer": {"name": f"{first} {last}", "phone": phone},
                "payment": {"method": "cod", "paid": False},
                "lines": [{"sku": sku, "quantity": 1, "price": str(price)}],
                "total": str(price),
            }
            if place:
                city, city_ref, number, ref = place
                body["delivery"] = {"service": "nova_poshta", "method": "warehouse",
                                    "city": city, "city_ref": city_ref,
                                    "warehouse": f"Відділення №{number}", "warehouse_ref": ref,
                                    "recipient_name": f"{last} {first}",
                                    "recipient_phone": phone}
            resp = self.shop.post_order(body)
            if resp.status_code >= 300:
                raise HttpError(resp.status_code, {"error": resp.text[:300]})
        self.placed.append((channel, order_id, sku))
        self.on_order(f"a buyer ordered {sku} on {channel} (order {order_id})")
        return channel, order_id, sku

    # --------------------------------------------------------------------- loop
    def start(self):
        self._thread = threading.Thread(target=self._run, name="omni-demo-buyers", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _run(self):
        while not self._stop.wait(self.random.uniform(*self.interval)):
            try:
                self.place_one()
            except Exception as err:  # noqa: BLE001 - a buyer's failure never ends the demo
                self.on_order(f"a buyer could not order: {type(err).__name__}: {err}")
