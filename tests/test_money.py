from decimal import Decimal

import pytest

from omni_connectors.core.errors import PayloadError
from omni_connectors.core.money import (
    from_kopecks,
    quantize_uah,
    to_decimal,
    to_kopecks,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 713 грн", Decimal("1713")),
        ("1\u00a0150,50 грн", Decimal("1150.50")),
        ("1\u202f150,50 ₴", Decimal("1150.50")),
        ("640.00", Decimal("640.00")),
        ("250 грн", Decimal("250")),
        ("32.50", Decimal("32.50")),
        ("1.150,50", Decimal("1150.50")),
        ("1,150.50", Decimal("1150.50")),
        ("12,5", Decimal("12.5")),
        ("-80", Decimal("-80")),
        ("\u221280,00 UAH", Decimal("-80.00")),
        (250.0, Decimal("250.0")),
        (0.1, Decimal("0.1")),
        (80, Decimal("80")),
        (Decimal("9.99"), Decimal("9.99")),
    ],
)
def test_to_decimal_reads_channel_formats(raw, expected):
    assert to_decimal(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "грн",
        "abc",
        "12abc",
        "1-2",
        "--5",
        None,
        True,
        [],
        float("nan"),
        float("inf"),
        Decimal("NaN"),
    ],
)
def test_to_decimal_refuses_garbage(raw):
    with pytest.raises(PayloadError):
        to_decimal(raw)


def test_quantize_rounds_half_up_to_kopecks():
    assert quantize_uah("2.345") == Decimal("2.35")
    assert quantize_uah("2.344") == Decimal("2.34")
    assert quantize_uah(0.125) == Decimal("0.13")
    assert quantize_uah("-2.345") == Decimal("-2.35")
    assert str(quantize_uah("1 713 грн")) == "1713.00"


def test_kopecks_round_trip():
    assert to_kopecks("1\u00a0150,50 грн") == 115050
    assert to_kopecks(Decimal("12.345")) == 1235
    assert from_kopecks(115050) == Decimal("1150.50")
    assert str(from_kopecks(5)) == "0.05"
    assert from_kopecks("-250") == Decimal("-2.50")
    with pytest.raises(PayloadError):
        from_kopecks(1.5)
    with pytest.raises(PayloadError):
        from_kopecks(True)
