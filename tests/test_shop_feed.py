"""The YML price-list feed: structure and values for a known catalogue."""

import time
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omni_connectors.shop import FeedCategory, FeedOffer, FeedShop, build_feed, validate_feed

SHOP = FeedShop("Чайна крамниця", "ТОВ «Чай»", "https://tea.example.ua")
CATEGORIES = [FeedCategory("1", "Посуд"), FeedCategory("7", "Чайники", parent_id="1")]
KETTLE = FeedOffer(
    "KET-1", "Чайник скляний 1 л", Decimal("640"), 5, old_price=Decimal("700.5"),
    category_id="7", vendor="Tefal", vendor_code="KT-100", barcode="4820000000017",
    pictures=("https://tea.example.ua/img/1.jpg", "https://tea.example.ua/img/2.jpg"),
    description="<p>Жароміцне скло</p>", url="https://tea.example.ua/ket-1",
    params=(("Обʼєм", "1 л"), ("Колір", "Прозорий")),
)
CUP = FeedOffer("CUP-2", "Чашка", Decimal("99.9"), 0, old_price=Decimal("50"))
DATE = datetime(2025, 3, 1, 9, 30)


def test_known_catalogue_has_the_expected_structure_and_values():
    root = validate_feed(build_feed(SHOP, CATEGORIES, [KETTLE, CUP], date=DATE))
    assert root.get("date") == "2025-03-01 09:30"
    shop = root.find("shop")
    assert shop.findtext("name") == "Чайна крамниця"
    assert shop.find("currencies/currency").attrib == {"id": "UAH", "rate": "1"}
    categories = shop.iterfind("categories/category")
    assert [(c.get("id"), c.get("parentId"), c.text) for c in categories] == [
        ("1", None, "Посуд"), ("7", "1", "Чайники")]
    kettle, cup = shop.findall("offers/offer")
    assert kettle.attrib == {"id": "KET-1", "available": "true"}
    assert {child.tag: child.text for child in kettle if child.tag not in ("picture", "param")} == {
        "url": "https://tea.example.ua/ket-1", "price": "640.00", "price_old": "700.50",
        "currencyId": "UAH", "categoryId": "7", "vendor": "Tefal", "vendorCode": "KT-100",
        "barcode": "4820000000017", "stock_quantity": "5", "name": "Чайник скляний 1 л",
        "name_ua": "Чайник скляний 1 л", "description": "<p>Жароміцне скло</p>",
        "description_ua": "<p>Жароміцне скло</p>",
    }
    assert [p.text for p in kettle.findall("picture")] == list(KETTLE.pictures)
    assert [(p.get("name"), p.text) for p in kettle.findall("param")] == list(KETTLE.params)
    # out of stock: available false, quantity 0; an old price below the price is left out
    assert cup.get("available") == "false"
    assert cup.findtext("stock_quantity") == "0"
    assert cup.find("price_old") is None


def test_prom_flavour_uses_prom_tag_names():
    root = validate_feed(build_feed(SHOP, CATEGORIES, [KETTLE], flavour="prom", date=DATE))
    offer = root.find("shop/offers/offer")
    assert offer.findtext("oldprice") == "700.50"
    assert offer.findtext("quantity_in_stock") == "5"
    assert offer.find("price_old") is None


def test_a_feed_missing_a_required_part_fails_validation():
    data = build_feed(SHOP, CATEGORIES, [KETTLE], date=DATE).replace(b"<price>640.00</price>", b"")
    with pytest.raises(ValueError):
        validate_feed(data)


hostile = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=60)


@settings(max_examples=60, deadline=None)
@given(name=hostile, sku=hostile, description=hostile, param=hostile,
       quantity=st.integers(min_value=-10**6, max_value=10**9))
def test_hostile_text_still_gives_a_valid_feed(name, sku, description, param, quantity):
    offer = FeedOffer(sku or "X", name, Decimal("1"), quantity, description=description,
                      params=((param, param),))
    root = validate_feed(build_feed(SHOP, [FeedCategory("1", name)], [offer], date=DATE))
    assert int(root.findtext("shop/offers/offer/stock_quantity")) == max(quantity, 0)


def test_twenty_thousand_offers_build_fast():
    offers = (
        FeedOffer(f"SKU-{i}", f"Товар {i}", Decimal(i % 900 + 10), i % 7, category_id="7",
                  vendor_code=f"V{i}", barcode=f"482{i:010d}",
                  pictures=(f"https://tea.example.ua/img/{i}.jpg",),
                  description="Опис товару " * 10, params=(("Колір", "Білий"),))
        for i in range(20_000)
    )
    started = time.perf_counter()
    data = build_feed(SHOP, CATEGORIES, offers, date=DATE)
    elapsed = time.perf_counter() - started
    assert len(validate_feed(data).find("shop/offers")) == 20_000
    assert elapsed < 5, elapsed
