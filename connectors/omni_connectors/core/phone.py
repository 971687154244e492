"""Phone and e-mail normalisation for matching customers across channels."""

import re

import phonenumbers

from .errors import InvalidEmail, InvalidPhone

_DIGITS_RE = re.compile(r"\D+")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def normalize_phone(raw, region="UA"):
    """Return ``raw`` as an E.164 number (``"+380671234567"``).

    Accepts the forms buyers and channels type: ``380671234567``,
    ``0671234567``, ``+38 (067) 123-45-67``, ``067 123 45 67``, and the old
    ``8 067 ...`` trunk prefix. Raises :class:`InvalidPhone` otherwise.
    """
    if raw is None or not str(raw).strip():
        raise InvalidPhone("empty phone number", details=raw)
    text = str(raw).strip()
    digits = _DIGITS_RE.sub("", text)
    if region == "UA" and not text.startswith("+"):
        if len(digits) == 12 and digits.startswith("380"):
            text = "+" + digits
        elif len(digits) == 11 and digits.startswith("80"):
            text = "+3" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        raise InvalidPhone(f"not a phone number: {raw!r}", details=raw) from err
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number: {raw!r}", details=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PHONE_STYLES = ("e164", "ua12")


def format_phone(raw, style="e164", region="UA"):
    """Return ``raw`` in the form a channel wants.

    ``"e164"``: ``"+380671234567"`` (as :func:`normalize_phone`);
    ``"ua12"``: ``"380671234567"``, twelve digits without the plus, as Nova
    Poshta and Checkbox take it (and Rozetka sends it). ``ua12`` accepts only
    Ukrainian numbers. Raises :class:`InvalidPhone` otherwise.
    """
    if style not in PHONE_STYLES:
        raise ValueError(f"style must be one of {PHONE_STYLES}, not {style!r}")
    e164 = normalize_phone(raw, region)
    if style == "e164":
        return e164
    if not e164.startswith("+380"):
        raise InvalidPhone(f"not a Ukrainian phone number: {raw!r}", details=raw)
    return e164[1:]


def normalize_email(raw):
    """Lower-case and trim an address; ``''`` when empty.

    Raises :class:`InvalidEmail` for obviously wrong values (no ``@``, spaces,
    no dot in the domain). Does not try to be a full RFC 5322 check.
    """
    if raw is None:
        return ""
    email = str(raw).strip().lower()
    email = email.removeprefix("mailto:")
    if not email:
        return ""
    if not _EMAIL_RE.fullmatch(email):
        raise InvalidEmail(f"not an e-mail address: {raw!r}", details=raw)
    return email
