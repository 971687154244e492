import pytest

from omni_connectors.core.errors import InvalidEmail, InvalidPhone, PayloadError
from omni_connectors.core.phone import format_phone, normalize_email, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "380671234567",
        "0671234567",
        "+38 (067) 123-45-67",
        "067 123 45 67",
        "+380671234567",
        "+380 67 123 45 67",
        "(067)1234567",
        "8 067 123 45 67",
        " 38-067-123-45-67 ",
    ],
)
def test_ukrainian_formats_become_e164(raw):
    assert normalize_phone(raw) == "+380671234567"


def test_foreign_number_keeps_its_country():
    assert normalize_phone("+48 512 345 678") == "+48512345678"


@pytest.mark.parametrize(
    "raw", ["", "   ", None, "12345", "abc", "+380 00 000 0000", "067 123 45"]
)
def test_invalid_phone_raises(raw):
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(raw)
    assert isinstance(info.value, PayloadError)


def test_email_is_trimmed_and_lowercased():
    assert (
        normalize_email("  Taras.Shevchenko@Example.COM ")
        == "taras.shevchenko@example.com"
    )
    assert normalize_email("mailto:a@b.ua") == "a@b.ua"
    assert normalize_email("") == ""
    assert normalize_email(None) == ""


@pytest.mark.parametrize(
    "raw", ["taras.example.com", "a b@x.ua", "a@b", "@x.ua", "a@@x.ua"]
)
def test_obviously_invalid_email_raises(raw):
    with pytest.raises(InvalidEmail):
        normalize_email(raw)


@pytest.mark.parametrize(
    "raw", ["+38 (067) 123-45-67", "0671234567", "380671234567", "8 067 123 45 67"]
)
def test_format_phone_styles(raw):
    assert format_phone(raw) == "+380671234567"
    assert format_phone(raw, style="e164") == "+380671234567"
    assert format_phone(raw, style="ua12") == "380671234567"


def test_ua12_refuses_foreign_and_invalid_numbers():
    assert format_phone("+48 512 345 678") == "+48512345678"
    with pytest.raises(InvalidPhone, match="not a Ukrainian"):
        format_phone("+48 512 345 678", style="ua12")
    with pytest.raises(InvalidPhone):
        format_phone("067 123 45", style="ua12")
    with pytest.raises(ValueError, match="style"):
        format_phone("0671234567", style="national")
