"""The base of every client of a remote service.

omni talks to three kinds of remote service, each with its own contract on
this base: sales channels (:class:`~omni_connectors.core.adapter.ChannelAdapter`),
carriers (:class:`~omni_connectors.core.carrier.CarrierClient`) and fiscal
registers (:class:`~omni_connectors.core.fiscal.FiscalClient`). The Odoo side
obtains a client from the addon of the record's type (the backend mixin's
client factory) and only ever calls the methods of its contract.

Rules every client follows, whatever its kind:

* every HTTP call goes through its one :class:`~.transport.HttpTransport`
  (``self.transport``): timeouts, retries, rate limit, redacted
  :class:`~.transport.CallRecord` s for the sync log. Keys, tokens and
  passwords are handed to the transport as ``secrets`` (or obtained through
  ``auth``) so that no record or log line shows them;
* failures are raised as :mod:`omni_connectors.core.errors`, whose
  ``retryable`` and ``retry_after`` tell the caller whether and when to try
  again; :meth:`test_connection` alone reports them in its result instead;
* a client keeps no state that another process would need: tokens go
  through the ``token_cache`` of :class:`~.auth.TokenAuth`, cursors are
  returned to the caller, idempotency references (a waybill's reference, a
  receipt's UUID) are chosen and stored by the caller before the first
  attempt, so that any process can repeat the call safely;
* money is :class:`decimal.Decimal` in hryvnias in every neutral class; a
  client converts to the remote's units (kopecks, strings) at its edge;
* a client is used by one thread at a time (one per job); nothing here
  imports Odoo.
"""

import abc

from .models import ConnectionInfo


class BaseClient(abc.ABC):
    """Holds the transport (and optional auth) of one account of a remote service.

    ``auth`` (a :class:`~.auth.TokenAuth`) is installed on the transport when
    the transport has none, so every request is authenticated; giving a
    transport that already has another auth is an error. Subclasses that
    build their transport themselves may set ``self.transport`` without
    calling this constructor.
    """

    #: the client's HttpTransport (set by the constructor or by the subclass)
    transport = None
    #: the TokenAuth of the account, when it logs in for a token
    auth = None

    def __init__(self, transport, *, auth=None):
        if transport is None:
            raise ValueError("a client needs a transport")
        if auth is not None:
            current = getattr(transport, "auth", None)
            if current is not None and current is not auth:
                raise ValueError("the transport already has another auth")
            transport.auth = auth
        self.transport = transport
        self.auth = auth if auth is not None else getattr(transport, "auth", None)

    @abc.abstractmethod
    def test_connection(self) -> ConnectionInfo:
        """Check credentials and reachability with one cheap call.

        Never raises for a remote failure: returns ``ConnectionInfo(ok=False,
        message=...)`` with the error's text.
        """

    def close(self):
        """Release the transport's connections (the client is not used afterwards)."""
        session = getattr(self.transport, "session", None)
        if session is not None:
            session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
