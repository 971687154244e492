"""Mask credentials before anything is logged or stored.

Two kinds of masking, both replacing the value with ``***``:

* by name: the value of a JSON key, header, query/form parameter or URL path
  segment whose name looks like a credential (see :data:`DEFAULT_SECRET_KEYS`
  and :func:`is_secret_key`);
* by value: every occurrence of a known secret string (API key, token,
  password), also in its URL-encoded forms. Strings shorter than 4 characters
  are ignored, they would mask too much.

:func:`redact` works on dicts and lists (it returns a redacted deep copy),
JSON text, form or query strings and plain text. :class:`RedactingFilter`
applies the same rules to log records.
"""

import json
import logging
import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LEN = 4

#: Names of keys, headers and parameters whose values are always masked.
#: Compared case-insensitively, ignoring ``-`` and ``_``.
DEFAULT_SECRET_KEYS = (
    "password",
    "passwd",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "apiKey",
    "apikey",
    "x-api-key",
    "authorization",
    "proxy-authorization",
    "x-license-key",
    "x-access-key",
    "license_key",
    "secret",
    "client_secret",
    "pin",
    "pin_code",
    "cookie",
    "set-cookie",
)

# Names at least this long also match as a suffix ("X-Api-Key" ends with
# "apikey", "MarketplacePartnerToken" with "token"); shorter ones ("pin")
# only match exactly.
_SUFFIX_MIN_LEN = 5
# Above this size JSON text is not parsed, only scanned with the text rules.
_JSON_PARSE_LIMIT = 2 * 1024 * 1024

# "Bearer <token>" anywhere in text; other schemes are caught by header name.
_BEARER_RE = re.compile(
    r"(?i)\b(Bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*(?![A-Za-z0-9\-._~+/=])"
)
# A whole header value "<scheme> <credentials>", to keep the scheme visible.
_AUTH_VALUE_RE = re.compile(r"(?i)(Bearer|Basic|Token|Digest)\s+\S+")
# "key": "value" / 'key': 'value' (JSON, Python reprs), also key = "value".
_QUOTED_PAIR_RE = re.compile(
    r"""(?P<q>["'])(?P<key>[A-Za-z_][\w.\-]{0,63})(?P=q)(?P<sep>\s*[:=]\s*)"""
    r"""(?:(?P<vq>["'])(?P<qval>(?:\\.|(?!(?P=vq)).)*)(?P=vq)"""
    r"""|(?P<val>[^\s,{}\[\]'"]+))"""
)
# key=value in query strings, form bodies and free text.
_EQ_PAIR_RE = re.compile(
    r"(?<![\w.\-\[])(?P<key>[A-Za-z_][\w.\-\[\]]{0,63})=(?P<val>[^&\s#;,'\"]+)"
)
# Header lines: "Authorization: Bearer abc".
_HEADER_LINE_RE = re.compile(
    r"(?im)^(?P<key>[A-Za-z][\w\-]{0,63}):[ \t]*(?P<val>\S.*?)[ \t]*$"
)
# URL path segments: /apiKey/<value>/ (Nova Poshta print links).
_PATH_PAIR_RE = re.compile(r"/(?P<key>[A-Za-z_][\w\-]{1,63})/(?P<val>[^/?#\s]+)")


def _norm(name):
    return name.lower().replace("-", "").replace("_", "")


def is_secret_key(name, keys=DEFAULT_SECRET_KEYS):
    """Tell whether a key, header or parameter name designates a credential."""
    if not isinstance(name, str) or not name:
        return False
    normalized = _norm(name)
    for key in keys:
        wanted = _norm(key)
        if normalized == wanted:
            return True
        if len(wanted) >= _SUFFIX_MIN_LEN and normalized.endswith(wanted):
            return True
    return False


class Redactor:
    """Reusable masking rules for a fixed set of secrets and key names."""

    def __init__(self, secrets=(), keys=DEFAULT_SECRET_KEYS):
        self.keys = tuple(keys)
        self._key_cache = {}
        variants = set()
        for secret in secrets or ():
            if not isinstance(secret, str) or len(secret) < MIN_SECRET_LEN:
                continue
            variants.update({secret, quote(secret, safe=""), quote_plus(secret)})
        ordered = sorted(variants, key=len, reverse=True)
        self._secret_re = (
            re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None
        )

    def is_secret_key(self, name):
        if not isinstance(name, str):
            return False
        hit = self._key_cache.get(name)
        if hit is None:
            hit = self._key_cache[name] = is_secret_key(name, self.keys)
        return hit

    def redact(self, value):
        """Return ``value`` with credentials masked; containers are copied."""
        if isinstance(value, dict):
            return {
                self._literal(k) if isinstance(k, str) else k: self._redact_item(k, v)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return type(value)(self.redact(v) for v in value)
        if isinstance(value, (bytes, bytearray)):
            return self.redact_text(bytes(value).decode("utf-8", errors="replace"))
        if isinstance(value, str):
            return self.redact_text(value)
        return value

    def _redact_item(self, key, value):
        if not self.is_secret_key(key) or value in (None, ""):
            return self.redact(value)
        if isinstance(value, str):
            match = _AUTH_VALUE_RE.fullmatch(value.strip())
            if match:
                return f"{match.group(1)} {MASK}"
        return MASK

    def _literal(self, text):
        if self._secret_re is None:
            return text
        return self._secret_re.sub(MASK, text)

    def redact_text(self, text):
        """Mask credentials in JSON, form/query or free text."""
        if not text:
            return text
        stripped = text.lstrip()
        if stripped[:1] in ("{", "[") and len(text) <= _JSON_PARSE_LIMIT:
            try:
                parsed = json.loads(text)
            except ValueError:
                pass
            else:
                if isinstance(parsed, (dict, list)):
                    masked = self.redact(parsed)
                    if masked == parsed:
                        return text
                    return json.dumps(masked, ensure_ascii=False)
        return self._redact_free_text(text)

    def _redact_free_text(self, text):
        text = self._literal(text)
        text = _BEARER_RE.sub(lambda m: f"{m.group(1)} {MASK}", text)
        text = _QUOTED_PAIR_RE.sub(self._sub_quoted, text)
        text = _HEADER_LINE_RE.sub(self._sub_header, text)
        text = _EQ_PAIR_RE.sub(self._sub_eq, text)
        return self._sub_paths(text)

    def _sub_quoted(self, match):
        if not self.is_secret_key(match.group("key")):
            return match.group(0)
        quote_char, key, sep = match.group("q"), match.group("key"), match.group("sep")
        head = f"{quote_char}{key}{quote_char}{sep}"
        if match.group("vq"):
            return f"{head}{match.group('vq')}{MASK}{match.group('vq')}"
        return f"{head}{MASK}"

    def _sub_header(self, match):
        if not self.is_secret_key(match.group("key")) or match.group("val") == MASK:
            return match.group(0)
        value = match.group("val")
        scheme = _AUTH_VALUE_RE.fullmatch(value)
        masked = f"{scheme.group(1)} {MASK}" if scheme else MASK
        return f"{match.group('key')}: {masked}"

    def _sub_eq(self, match):
        if not self.is_secret_key(match.group("key")):
            return match.group(0)
        return f"{match.group('key')}={MASK}"

    def _sub_paths(self, text):
        # Segments are scanned one by one, not pair by pair: in
        # "/orders[]/REF/type/pdf/apiKey/KEY" the pairs would be misaligned.
        parts, done, pos = [], 0, 0
        while True:
            match = _PATH_PAIR_RE.search(text, pos)
            if match is None:
                break
            if self.is_secret_key(match.group("key")) and match.group("val") != MASK:
                parts.append(text[done : match.start("val")])
                parts.append(MASK)
                done = pos = match.end("val")
            else:
                pos = match.end("key")  # the value may be the next key
        parts.append(text[done:])
        return "".join(parts)


def redact(text_or_obj, secrets=(), keys=DEFAULT_SECRET_KEYS):
    """Mask credentials in a dict, list, JSON/form/query string or plain text.

    ``secrets`` are literal values to mask wherever they appear; ``keys`` are
    the names whose values are masked. Containers are deep-copied, never
    changed in place.
    """
    return Redactor(secrets, keys).redact(text_or_obj)


class RedactingFilter(logging.Filter):
    """Logging filter that masks credentials in every record it sees.

    ``secrets`` is an iterable of secret strings or a callable returning one,
    called for each record so that newly configured keys are picked up.
    Attach it to a handler to cover every logger writing to that handler.
    """

    def __init__(
        self,
        secrets: Iterable[str] | Callable[[], Iterable[str]] = (),
        keys=DEFAULT_SECRET_KEYS,
        name="",
    ):
        super().__init__(name)
        self._secrets = secrets
        self._keys = tuple(keys)

    def _redactor(self):
        secrets = self._secrets() if callable(self._secrets) else self._secrets
        return Redactor(tuple(secrets or ()), self._keys)

    def filter(self, record):
        redactor = self._redactor()
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # broken format: the handler reports it
            return True
        masked = redactor.redact_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redactor.redact_text(record.exc_text)
        return True
