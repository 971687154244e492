"""The seller's own shop: webhook adapter, signatures and the YML price-list feed."""

from .adapter import ShopAdapter
from .feed import FLAVOURS, FeedCategory, FeedOffer, FeedShop, build_feed, validate_feed
from .signing import SignatureError, sign, signed_headers, verify

__all__ = [
    "FLAVOURS",
    "FeedCategory",
    "FeedOffer",
    "FeedShop",
    "ShopAdapter",
    "SignatureError",
    "build_feed",
    "sign",
    "signed_headers",
    "validate_feed",
    "verify",
]
