"""Small helpers shared by every omni model; no model of their own."""

import threading
from contextlib import contextmanager

from odoo.service.model import retrying


def same_transaction(env):
    """Whether writes meant for a transaction of their own stay in the current one.

    In Odoo's test runners (a thread marked ``testing``, or the registry in
    test mode for HTTP tests) a test's data lives in one transaction that is
    rolled back at the end, so nothing may be committed beside it. A job run
    by a test in a thread of its own, on a real cursor, is not marked and
    therefore behaves exactly as in production.
    """
    return bool(
        getattr(threading.current_thread(), "testing", False)
        or env.registry.in_test_mode()
        or env.context.get("omni_same_cursor")
    )


@contextmanager
def fresh_env(records):
    """``records`` in a transaction begun now, committed at the end unless the
    work raises; in tests, the one transaction (see :func:`same_transaction`).

    A transaction at REPEATABLE READ sees the database as it was at its first
    query: work done after waiting for a lock (or for another transaction to
    commit) must read in a transaction begun after that wait.
    """
    if same_transaction(records.env):
        yield records
        return
    with records.env.registry.cursor() as cr:
        yield records.with_env(records.env(cr=cr))


def write_outside(records, func):
    """Run ``func(records)`` in a transaction of its own, committed at once.

    Sync results, the sync log, failure notes and session tokens must
    survive a job that fails later and is rolled back. Two jobs recording on
    one row at once are replayed, as Odoo replays requests.
    """
    env = records.env
    if same_transaction(env):
        return func(records)
    with env.registry.cursor() as cr:
        other = records.env(cr=cr)
        return retrying(lambda: func(records.with_env(other)), other)
