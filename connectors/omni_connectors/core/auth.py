"""Logins that yield a bearer token, renewed when the remote says it expired.

Rozetka (``POST /sites``, base64 password) and Checkbox (login/password or
PIN sign-in) hand out a token that dies without warning. A subclass of
:class:`TokenAuth` implements :meth:`TokenAuth.login` and, where the channel
signals expiry with HTTP 200, :meth:`TokenAuth.is_expired`; the transport
does the rest::

    class CheckboxPin(TokenAuth):
        def __init__(self, pin, **kw):
            super().__init__(**kw)
            self.pin = pin

        def login(self, transport):
            resp = transport.request(
                "POST", "/api/v1/cashier/signinPinCode",
                json={"pin_code": self.pin}, auth=False, idempotent=True,
            )
            return resp.data["access_token"]

    auth = CheckboxPin(pin, token_cache=(load_token, store_token))
    transport = HttpTransport(url, secrets=[pin, licence_key], auth=auth)

Before a request the transport makes sure a token exists (from the cache,
else by logging in). A request answered as expired is sent once more after
one new login; if the fresh token is refused too, the request fails with
:class:`~omni_connectors.core.errors.AuthError`. Every token is added to the
transport's secrets as soon as it is known and handed to ``on_secret`` (so
that the Odoo side can mask it in server logs).
"""

import logging

from .errors import AuthError

_logger = logging.getLogger(__name__)


class TokenAuth:
    """Base class; subclasses implement :meth:`login`.

    ``token_cache`` is a ``(get, set)`` pair of callables: ``get()`` returns
    a token stored by an earlier process (or a false value), ``set(token)``
    stores a new one, so that a job does not log in every time it runs.
    ``on_secret(token)`` is called with every token obtained; its errors are
    logged, never raised.
    """

    #: header that carries the token
    header = "Authorization"
    #: scheme written before the token ("" for a bare token)
    scheme = "Bearer"

    def __init__(self, *, token_cache=None, on_secret=None):
        self.token = ""
        self._cache_get, self._cache_set = token_cache or (None, None)
        self.on_secret = on_secret

    def login(self, transport):
        """Obtain a new token and return it.

        Call ``transport.request(..., auth=False)``, so that the login itself
        is not authenticated, and raise AuthError for refused credentials.
        """
        raise NotImplementedError

    def apply(self, headers):
        """Add the current token to the request headers (a dict, changed in place)."""
        headers[self.header] = f"{self.scheme} {self.token}" if self.scheme else self.token

    def is_expired(self, response):
        """Whether ``response`` (any status) says the token is no longer valid."""
        return response.status == 401

    def ensure(self, transport):
        """Have a token before the first request: the cached one, else a login."""
        if self.token:
            return
        cached = self._cache_get() if self._cache_get else None
        if cached:
            self._accept(cached, transport)
        else:
            self.refresh(transport)

    def refresh(self, transport):
        """Log in again and keep the new token (also in the cache)."""
        token = self.login(transport)
        if not token or not isinstance(token, str):
            raise AuthError("the login answered no token")
        self._accept(token, transport)
        if self._cache_set:
            self._cache_set(token)

    def _accept(self, token, transport):
        self.token = token
        transport.add_secret(token)
        if self.on_secret is None:
            return
        try:
            self.on_secret(token)
        except Exception as err:
            _logger.warning("on_secret hook failed: %s", type(err).__name__)
