from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omni_connectors.core.errors import PayloadError
from omni_connectors.core.money import (
    from_kopecks,
    quantize_uah,
    split_amount,
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


def test_split_amount_shares_by_weight_and_keeps_every_kopeck():
    # 10.00 over three equal lines: 3.34 + 3.33 + 3.33, the first gets the odd kopeck
    assert split_amount("10", [1, 1, 1]) == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
    assert split_amount("27.09", [100, 200]) == [Decimal("9.03"), Decimal("18.06")]
    assert split_amount("5", [0, 0]) == [Decimal("2.50"), Decimal("2.50")]
    assert split_amount("-1.00", [1, 2]) == [Decimal("-0.33"), Decimal("-0.67")]
    assert split_amount("7", []) == []


@given(
    total=st.decimals(min_value=-10**7, max_value=10**7, places=2, allow_nan=False),
    weights=st.lists(
        st.one_of(st.integers(-10**6, 10**9), st.decimals(min_value=-1000, max_value=10**6,
                                                          places=4, allow_nan=False)),
        min_size=1, max_size=40),
)
def test_split_amount_adds_up_exactly_and_follows_the_weights(total, weights):
    shares = split_amount(total, weights)
    assert len(shares) == len(weights)
    assert sum(shares) == quantize_uah(total)
    positive = [max(Decimal(w), Decimal(0)) for w in weights]
    whole = sum(positive)
    for share, weight in zip(shares, positive, strict=True):
        exact = (abs(quantize_uah(total)) * weight / whole if whole
                 else abs(quantize_uah(total)) / len(weights))
        # no share is more than one kopeck away from its exact part
        assert abs(abs(share) - exact) < Decimal("0.01")
