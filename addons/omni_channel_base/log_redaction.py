"""Mask channel credentials in every log line the server writes.

The connectors never log secrets themselves, but third-party libraries may
(urllib3 logs whole URLs at DEBUG level). A filter on the root handlers
masks credential-looking keys and the literal secrets of the channels this
process has built adapters for.
"""

import logging
import threading

from omni_connectors.core.redact import RedactingFilter

_lock = threading.Lock()
# literal secrets seen by this process; only used to mask log lines
_secrets = set()


def remember_secrets(values):
    values = {value for value in values if value and len(value) >= 4}
    if values - _secrets:
        with _lock:
            _secrets.update(values)


def _current_secrets():
    with _lock:
        return tuple(_secrets)


def install():
    """Attach the filter to every handler of the root logger (once)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter(_current_secrets))
