"""Money parsing and rounding for hryvnia amounts.

Channels send money as numbers (``250.0``), plain decimal strings
(``"640.00"``) or display strings (``"1 713 грн"``, ``"1\u00a0150,50 грн"``).
Everything becomes :class:`~decimal.Decimal`; floats go through ``str`` so
that ``0.1`` stays ``Decimal("0.1")``.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import PayloadError

CENT = Decimal("0.01")

# Currency marks seen in display strings, longest first.
_CURRENCY_RE = re.compile(r"(?i)(грн\.?|uah|₴|hrn)")
# Spaces used as thousands separators: normal, no-break, narrow no-break, thin.
_SPACES_RE = re.compile(r"[\s\u00a0\u202f\u2009\u2007']+")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def _garbage(value):
    return PayloadError(f"not an amount of money: {value!r}", details=value)


def to_decimal(value):
    """Read an amount from an int, float, Decimal or (display) string."""
    if isinstance(value, bool) or value is None:
        raise _garbage(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        result = _parse_string(value)
    else:
        raise _garbage(value)
    if not result.is_finite():
        raise _garbage(value)
    return result


def _parse_string(value):
    text = _CURRENCY_RE.sub("", value)
    text = _SPACES_RE.sub("", text).replace("\u2212", "-")
    if "," in text and "." in text:
        # the later separator is the decimal one: "1.150,50" / "1,150.50"
        group, decimal = (".", ",") if text.rfind(",") > text.rfind(".") else (",", ".")
        text = text.replace(group, "").replace(decimal, ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(",") > 1:
        text = text.replace(",", "")
    elif text.count(".") > 1:
        text = text.replace(".", "")
    if not _NUMBER_RE.fullmatch(text):
        raise _garbage(value)
    try:
        return Decimal(text)
    except InvalidOperation as err:  # pragma: no cover - the regex guards this
        raise _garbage(value) from err


def quantize_uah(value):
    """Round to kopecks, half up (the way receipts and marketplaces round)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_kopecks(value):
    """Amount in hryvnias -> whole kopecks (``Decimal("12.345")`` -> 1235)."""
    return int(quantize_uah(value) * 100)


def from_kopecks(kopecks):
    """Whole kopecks -> amount in hryvnias with two places (1235 -> 12.35)."""
    if isinstance(kopecks, bool):
        raise _garbage(kopecks)
    if isinstance(kopecks, str) and re.fullmatch(r"[+-]?\d+", kopecks.strip()):
        kopecks = int(kopecks)
    if isinstance(kopecks, float) and kopecks.is_integer():
        kopecks = int(kopecks)
    if not isinstance(kopecks, int):
        raise _garbage(kopecks)
    return (Decimal(kopecks) / 100).quantize(CENT)


def split_amount(total, weights):
    """Share ``total`` (hryvnias) among ``weights`` in whole kopecks.

    Shares are proportional to the weights (negative weights count as 0; all
    zero weights share equally) and add up exactly to ``total`` rounded to
    kopecks: the kopecks left by rounding down go to the largest remainders,
    first come first served among equals. Returns a list of ``Decimal``.
    """
    weights = [max(to_decimal(weight), Decimal(0)) for weight in weights]
    if not weights:
        return []
    kopecks = to_kopecks(total)
    sign = -1 if kopecks < 0 else 1
    kopecks = abs(kopecks)
    whole = sum(weights)
    if not whole:
        weights, whole = [Decimal(1)] * len(weights), Decimal(len(weights))
    exact = [Decimal(kopecks) * weight / whole for weight in weights]
    shares = [int(value) for value in exact]
    left = kopecks - sum(shares)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in by_remainder[:left]:
        shares[index] += 1
    return [from_kopecks(sign * share) for share in shares]
