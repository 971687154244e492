"""Webhook signatures: what Odoo signs, what a receiver accepts and refuses."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omni_connectors.shop import SignatureError, sign, signed_headers, verify
from omni_connectors.shop.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER
from omni_sandbox.shop import verify_webhook

SECRET = "whsec-3b1f9a"
BODY = b'{"event":"stock.updated","items":[{"sku":"A-1","quantity":7}]}'
NOW = 1_718_000_000


def test_signed_body_verifies():
    headers = signed_headers(SECRET, BODY, event="stock.updated", delivery="d1", now=NOW)
    assert verify(SECRET, BODY, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER],
                  now=NOW + 10) == NOW
    assert headers["X-Omni-Event"] == "stock.updated"


def test_tampered_body_is_refused():
    headers = signed_headers(SECRET, BODY, now=NOW)
    tampered = BODY.replace(b'"quantity":7', b'"quantity":70')
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, tampered, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now=NOW)


def test_stale_timestamp_is_refused_even_with_a_valid_signature():
    headers = signed_headers(SECRET, BODY, now=NOW)
    with pytest.raises(SignatureError, match="replay"):
        verify(SECRET, BODY, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER],
               now=NOW + 301)
    # and a replayer cannot refresh the timestamp: it is inside the signature
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, BODY, str(NOW + 300), headers[SIGNATURE_HEADER], now=NOW + 301)


def test_wrong_secret_missing_headers_and_garbage_are_refused():
    headers = signed_headers(SECRET, BODY, now=NOW)
    with pytest.raises(SignatureError):
        verify("other", BODY, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now=NOW)
    with pytest.raises(SignatureError, match="missing"):
        verify(SECRET, BODY, "", headers[SIGNATURE_HEADER], now=NOW)
    with pytest.raises(SignatureError, match="not a number"):
        verify(SECRET, BODY, "yesterday", headers[SIGNATURE_HEADER], now=NOW)


def test_several_signatures_accept_any_one_while_rotating():
    both = f"{sign('old-secret', BODY, NOW)}, {sign(SECRET, BODY, NOW)}"
    assert verify(SECRET, BODY, str(NOW), both, now=NOW) == NOW


def test_the_readme_receiver_agrees_with_the_signer():
    headers = signed_headers(SECRET, BODY, now=NOW)
    args = (headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])
    assert verify_webhook(SECRET, BODY, *args, now=NOW)
    assert not verify_webhook(SECRET, BODY + b" ", *args, now=NOW)
    assert not verify_webhook(SECRET, BODY, *args, now=NOW + 3600)


@given(body=st.binary(max_size=512), flip=st.integers(min_value=0, max_value=511),
       secret=st.text(min_size=1, max_size=40))
def test_any_changed_byte_breaks_the_signature(body, flip, secret):
    signature = sign(secret, body, NOW)
    verify(secret, body, str(NOW), signature, now=NOW)
    if body:
        index = flip % len(body)
        changed = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1:]
        with pytest.raises(SignatureError):
            verify(secret, changed, str(NOW), signature, now=NOW)


@given(timestamp=st.text(max_size=30), signature=st.text(max_size=200))
def test_hostile_headers_never_crash_the_verifier(timestamp, signature):
    try:
        verify(SECRET, BODY, timestamp, signature, now=NOW)
    except SignatureError:
        pass
    else:  # only the real signature can pass
        assert signature.strip() == sign(SECRET, BODY, int(timestamp))
