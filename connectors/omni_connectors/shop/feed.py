"""The YML price-list feed (``yml_catalog``) that Rozetka, Prom and shop engines import.

Pure: neutral offers in, XML bytes out, built with lxml. The Odoo side
collects the offers of a channel (bindings, pricelist, quantity rules) and
caches the bytes; see ``omni.shop.feed`` in ``omni_channel_base``.

Structure (checked by :func:`validate_feed` against ``yml.dtd``)::

    <yml_catalog date="2024-06-01 12:00">
      <shop><name/><company/><url/>
        <currencies><currency id="UAH" rate="1"/></currencies>
        <categories><category id="7" parentId="3">Чайники</category></categories>
        <offers>
          <offer id="SKU" available="true">
            <url/><price>640</price><price_old>700</price_old><currencyId>UAH</currencyId>
            <categoryId>7</categoryId><picture/>...<vendor/><vendorCode/><barcode/>
            <stock_quantity>5</stock_quantity><name/><name_ua/>
            <description/><description_ua/><param name="Колір">Білий</param>...

The tag names of the old price and the quantity differ between importers
(:data:`FLAVOURS`); they are data, easy to change when an importer's
documentation says otherwise.
"""

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from lxml import etree

from ..core.money import quantize_uah

#: tag names per importer: old (crossed-out) price and quantity in stock
FLAVOURS = {
    "rozetka": {"old_price": "price_old", "quantity": "stock_quantity"},
    "prom": {"old_price": "oldprice", "quantity": "quantity_in_stock"},
}
_DTD_PATH = os.path.join(os.path.dirname(__file__), "yml.dtd")
# characters XML 1.0 cannot carry, even escaped
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class FeedShop:
    name: str
    company: str
    url: str = ""
    currency: str = "UAH"


@dataclass
class FeedCategory:
    id: str
    name: str
    parent_id: str | None = None


@dataclass
class FeedOffer:
    id: str  # the offer id the importer keys on (the binding's SKU)
    name: str  # in Ukrainian
    price: Decimal
    quantity: int
    old_price: Decimal | None = None
    currency: str = "UAH"
    category_id: str | None = None
    vendor: str = ""
    vendor_code: str = ""
    barcode: str = ""
    pictures: tuple = ()
    description: str = ""  # in Ukrainian; plain text or HTML
    url: str = ""
    params: tuple = field(default_factory=tuple)  # ((name, value), ...)

    @property
    def available(self):
        return self.quantity > 0


def clean(text):
    """Text XML can carry: characters XML 1.0 forbids (NUL, lone surrogates...) removed."""
    return _INVALID_XML.sub("", str(text or ""))


def _money(value):
    return str(quantize_uah(value))


def _sub(parent, tag, text):
    element = etree.SubElement(parent, tag)
    element.text = clean(text)
    return element


def build_feed(shop, categories, offers, *, flavour="rozetka", date=None):
    """The feed as UTF-8 bytes with an XML declaration.

    ``offers``: an iterable of :class:`FeedOffer` (it may be a generator: the
    feed of a big catalogue is built as it is read). The old price is written
    only when it is above the price (importers reject the other case).
    """
    tags = FLAVOURS[flavour]
    moment = date or datetime.now(timezone.utc)
    root = etree.Element("yml_catalog", date=moment.strftime("%Y-%m-%d %H:%M"))
    shop_el = etree.SubElement(root, "shop")
    _sub(shop_el, "name", shop.name)
    _sub(shop_el, "company", shop.company or shop.name)
    if shop.url:
        _sub(shop_el, "url", shop.url)
    currencies = etree.SubElement(shop_el, "currencies")
    etree.SubElement(currencies, "currency", id=shop.currency, rate="1")
    cats = etree.SubElement(shop_el, "categories")
    for category in categories:
        element = _sub(cats, "category", category.name)
        element.set("id", clean(category.id))
        if category.parent_id:
            element.set("parentId", clean(category.parent_id))
    offers_el = etree.SubElement(shop_el, "offers")
    for offer in offers:
        _offer(offers_el, offer, tags)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _offer(parent, offer, tags):
    quantity = max(int(offer.quantity), 0)
    element = etree.SubElement(
        parent, "offer", id=clean(offer.id), available="true" if quantity > 0 else "false"
    )
    if offer.url:
        _sub(element, "url", offer.url)
    _sub(element, "price", _money(offer.price))
    if offer.old_price is not None and quantize_uah(offer.old_price) > quantize_uah(
        offer.price
    ):
        _sub(element, tags["old_price"], _money(offer.old_price))
    _sub(element, "currencyId", offer.currency)
    if offer.category_id:
        _sub(element, "categoryId", offer.category_id)
    for picture in offer.pictures:
        _sub(element, "picture", picture)
    if offer.vendor:
        _sub(element, "vendor", offer.vendor)
    if offer.vendor_code:
        _sub(element, "vendorCode", offer.vendor_code)
    if offer.barcode:
        _sub(element, "barcode", offer.barcode)
    _sub(element, tags["quantity"], str(quantity))
    _sub(element, "name", offer.name)
    _sub(element, "name_ua", offer.name)
    if offer.description:
        description = clean(offer.description)
        for tag in ("description", "description_ua"):
            node = etree.SubElement(element, tag)
            # CDATA keeps HTML readable; it cannot hold "]]>", escaped text can
            node.text = etree.CDATA(description) if "]]>" not in description else description
    for name, value in offer.params:
        if clean(name).strip() and clean(value).strip():
            _sub(element, "param", value).set("name", clean(name))


_DTD = None


def validate_feed(data):
    """Parse ``data`` and check it against the YML structure; return the root element.

    Raises ``ValueError`` naming the first problem.
    """
    global _DTD
    if _DTD is None:
        with open(_DTD_PATH, "rb") as handle:
            _DTD = etree.DTD(handle)
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    if not _DTD.validate(root):
        raise ValueError(str(_DTD.error_log.filter_from_errors()[0]))
    return root
