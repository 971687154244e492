"""What every remote service omni talks to needs, written once.

A sales channel (``omni.channel``), a carrier account (Nova Poshta) and a
cash register (Checkbox) are different things, yet each of them has
credentials that only administrators may read, a session token to share
between jobs, HTTP timeouts and retries, a rate limit, a sync log of every
call, a lock that keeps two jobs of one kind from overlapping, and errors to
show in the user's words. They all ``_inherit`` this mixin, as OCA
connector backends inherit ``connector.backend``.

A model that inherits it declares:

* ``_omni_type_field``: the selection field naming its type, or None when
  the model has one type only, named by ``_omni_backend_type``
  (``"novaposhta"``, ``"checkbox"``);
* ``_omni_client_prefix``: the client factory is the method
  ``<prefix><type>(on_call)``, written by the addon of that type (the base
  never imports a connector);
* ``_omni_job_namespace``: the first part of the identity keys of its jobs.
"""

import logging
import zlib
from contextlib import contextmanager

from psycopg2 import errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from omni_connectors.core import errors as cerr

from .. import log_redaction, tools

_logger = logging.getLogger(__name__)

#: system parameters read by :meth:`OmniBackendMixin._omni_http_options`, with defaults
HTTP_PARAMS = {
    "connect_timeout": 5.0,
    "read_timeout": 30.0,
    "max_retries": 4,
    "backoff_base": 0.5,
    # the longest a retry may wait inside a job, which holds its backend's lock;
    # a longer wait (a Retry-After, a long backoff) reschedules the job instead
    "max_inline_wait": 2.0,
    # the longest Retry-After honoured as sent
    "retry_after_cap": 600.0,
}


class OmniBackendMixin(models.AbstractModel):
    _name = "omni.backend.mixin"
    _description = "Remote Service (credentials, session, log, limits)"

    _omni_type_field = None
    _omni_backend_type = None
    _omni_client_prefix = "_omni_client_"
    _omni_job_namespace = None
    #: administrator-only text fields that are settings, not secrets
    _omni_public_system_fields = ()
    #: who may press the backend's buttons (sync now, test connection...)
    _omni_manager_group = "sales_team.group_sale_manager"

    rate_limit = fields.Float(
        "Requests per Second",
        digits=(16, 2),
        help="The most requests per second sent to this service, counted across every "
        "Odoo worker and job runner. 0 = the connector's own limit.",
    )

    # ------------------------------------------------------------- identity
    def _omni_type(self):
        self.ensure_one()
        if self._omni_type_field:
            return self[self._omni_type_field]
        return self._omni_backend_type or self._name.replace(".", "_")

    def _omni_type_label(self):
        self.ensure_one()
        if not self._omni_type_field:
            return self._description
        field = self._fields[self._omni_type_field]
        return dict(field._description_selection(self.env)).get(
            self._omni_type(), self._omni_type()
        )

    def _omni_company(self):
        return self["company_id"] if "company_id" in self._fields else self.env.company

    def _omni_responsible(self):
        return self["user_id"] if "user_id" in self._fields else self.env.user

    def _omni_in_responsible_lang(self):
        """The record in the language of its responsible, who reads its messages.

        Jobs run as whoever queued them (often the scheduler, in English).
        """
        self.ensure_one()
        lang = self._omni_responsible().lang or self.env.user.lang
        return self.with_context(lang=lang) if lang else self

    # ---------------------------------------------------------- credentials
    @api.model
    def _omni_public_fields(self):
        """Administrator-only text fields that are settings, not secrets.

        Extend with ``super()`` (several addons may add fields to one model);
        the class attribute ``_omni_public_system_fields`` is the model's own list.
        """
        return set(self._omni_public_system_fields)

    @api.model
    def _omni_secret_fields(self):
        """Credential fields: the administrator-only text fields, whatever the connector."""
        public = self._omni_public_fields()
        return [
            name
            for name, field in self._fields.items()
            if field.type == "char"
            and field.groups == "base.group_system"
            and name not in public
        ]

    def _omni_secrets(self):
        """Literal secrets to mask in the sync log and the server log."""
        self.ensure_one()
        creds = self.sudo()
        tokens = self.env["omni.channel.token"].sudo().search(
            [("backend_model", "=", self._name), ("backend_id", "=", self.id)]
        )
        return [creds[name] for name in self._omni_secret_fields() if creds[name]] + [
            token for token in tokens.mapped("token") if token
        ]

    def _omni_remember_secrets_of(self, vals_list):
        log_redaction.remember_secrets(
            str(vals[name])
            for vals in vals_list
            for name in self._omni_secret_fields()
            if vals.get(name)
        )

    def _register_hook(self):
        """Know every backend's secrets from the start, to mask them in logs."""
        res = super()._register_hook()
        if self._abstract or not self._table:
            return res
        self.env.cr.execute("SELECT 1 FROM pg_tables WHERE tablename = %s", [self._table])
        if self.env.cr.fetchone():
            for backend in self.with_context(active_test=False).sudo().search([]):
                log_redaction.remember_secrets(backend._omni_secrets())
        return res

    @api.model_create_multi
    def create(self, vals_list):
        self._omni_remember_secrets_of(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._omni_remember_secrets_of([vals])
        return super().write(vals)

    def unlink(self):
        """Tokens and sync log entries point at any backend: remove them with it."""
        ids = self.ids
        res = super().unlink()
        for table in ("omni_channel_token", "omni_sync_event"):
            self.env.cr.execute(
                SQL(
                    "DELETE FROM %s WHERE backend_model = %s AND backend_id = ANY(%s)",
                    SQL.identifier(table), self._name, ids,
                )
            )
        return res

    # ------------------------------------------------------------ sessions
    def _omni_token_cache(self, name="session"):
        """``(get, set)`` for a connector's ``TokenAuth(token_cache=...)``.

        The token is kept in the database, so every job and worker reuses one
        session; a new one is stored in a transaction of its own (a job that
        fails later keeps it) and masked in the server log at once.
        """
        self.ensure_one()
        model, backend_id = self._name, self.id

        def get():
            self.env.cr.execute(
                "SELECT token FROM omni_channel_token"
                " WHERE backend_model = %s AND backend_id = %s AND name = %s",
                [model, backend_id, name],
            )
            row = self.env.cr.fetchone()
            if row:
                log_redaction.remember_secrets([row[0]])
            return row[0] if row else None

        def store(token_model, token):
            token_model.env.cr.execute(
                """
                INSERT INTO omni_channel_token (backend_model, backend_id, name, token, date)
                VALUES (%s, %s, %s, %s, now() AT TIME ZONE 'UTC')
                ON CONFLICT (backend_model, backend_id, name)
                DO UPDATE SET token = EXCLUDED.token, date = EXCLUDED.date
                """,
                [model, backend_id, name, token],
            )

        def set_(token):
            log_redaction.remember_secrets([token])
            self._omni_write_outside(
                self.env["omni.channel.token"].sudo(), lambda tokens: store(tokens, token)
            )

        return get, set_

    @staticmethod
    def _omni_on_secret(secret):
        """For ``TokenAuth(on_secret=...)``: mask a secret obtained at run time in logs."""
        log_redaction.remember_secrets([secret])

    # ---------------------------------------------------------------- HTTP
    def _omni_http_options(self):
        """Timeouts and retries for every client, tunable without code (system parameters).

        ``omni_channel_base.<name>`` for each name of :data:`HTTP_PARAMS`.
        """
        params = self.env["ir.config_parameter"].sudo()

        def get(name):
            default = HTTP_PARAMS[name]
            value = params.get_param(f"omni_channel_base.{name}", default)
            try:
                return type(default)(value)
            except (TypeError, ValueError):
                return default

        return {
            "timeout": (get("connect_timeout"), get("read_timeout")),
            "max_retries": get("max_retries"),
            "backoff_base": get("backoff_base"),
            "max_inline_wait": get("max_inline_wait"),
            "retry_after_cap": get("retry_after_cap"),
        }

    def _omni_rate_limiter(self, default_rate=0.0, burst=1):
        """A rate limit that holds across every worker and job runner.

        The budget is a row of ``omni.backend.rate`` per backend (a GCRA
        "theoretical arrival time"): each request reserves its slot with one
        atomic UPSERT in a transaction of its own, then waits for the slot
        outside any lock. Returns None when the backend has no limit.
        """
        self.ensure_one()
        rate = self.rate_limit or default_rate
        if not rate or rate <= 0:
            return None
        from omni_connectors.core.ratelimit import SharedRateLimiter

        key = f"{self._name}:{self.id}"
        Rate = self.env["omni.backend.rate"].sudo()

        def reserve(rate_per_second, bucket):
            return Rate._omni_take_slot(key, rate_per_second, bucket)

        return SharedRateLimiter(reserve, rate, burst=burst)

    def _omni_build_client(self, on_call=None):
        """The backend's client, built by the method of its type's addon."""
        self.ensure_one()
        log_redaction.remember_secrets(self._omni_secrets())
        method = getattr(self, f"{self._omni_client_prefix}{self._omni_type()}", None)
        if method is None:
            raise UserError(
                self.env._(
                    "No connector is installed for %(type)s.", type=self._omni_type_label()
                )
            )
        return method(on_call)

    @contextmanager
    def _omni_session(self, record=None, log_filter=None):
        """Yield a client whose every HTTP call is written to the sync log.

        The log is written even when the work fails, in its own transaction,
        so a rolled-back job still leaves its trace. ``record``: the Odoo
        record the calls are about (an order, a picking), linked from the log.
        ``log_filter(calls)`` may leave out calls not worth a log entry (a
        poll that found nothing); it is not applied when the work failed, so
        every failure is logged.
        """
        self.ensure_one()
        calls = []
        client = self._omni_build_client(on_call=calls.append)
        try:
            yield client
        except BaseException:
            log_filter = None
            raise
        finally:
            if calls and log_filter is not None:
                calls = log_filter(calls)
            if calls:
                self.env["omni.sync.event"]._omni_log_calls(self, calls, record=record)

    # --------------------------------------------------------------- errors
    def _omni_error_messages(self):
        """``[(connector error class, message)]``, most specific first, in the user's words.

        Each message has ``%(name)s`` (the record) and ``%(error)s`` (the
        service's own words). A model overrides this to name itself as a
        sentence in its language needs ("the channel ...", "Nova Poshta ...").
        """
        _ = self.env._
        return [
            (cerr.AuthError, _("%(name)s refused the credentials: %(error)s")),
            (cerr.RateLimitError, _("%(name)s asked to slow down: %(error)s")),
            (cerr.TransportError, _("%(name)s cannot be reached: %(error)s")),
            (cerr.ValidationError, _("%(name)s refused the data: %(error)s")),
            (cerr.PayloadError, _("%(name)s answered something unreadable: %(error)s")),
            (Exception, _("%(name)s failed: %(error)s")),
        ]

    def _omni_error_text(self, err):
        """A connector error in the user's language, with the service's own words kept."""
        text = next(text for cls, text in self._omni_error_messages() if isinstance(err, cls))
        return text % {"name": self.display_name, "error": str(err)}

    def _omni_translate_error(self, err, in_job):
        """Turn a connector error into Odoo's: retry in jobs, a message on buttons.

        A job is retried when the service asks for a later retry (rate limit,
        unreachable, failing on its side), after the wait the service named,
        within the ``retry_after_cap`` setting.
        """
        # in a job the message lands on the card and the job list: the responsible's words
        message = (self._omni_in_responsible_lang() if in_job else self)._omni_error_text(err)
        if in_job and getattr(err, "retryable", False):
            seconds = getattr(err, "retry_after", None)
            if seconds:
                cap = self._omni_http_options()["retry_after_cap"]
                seconds = max(1, int(min(float(seconds), cap) + 0.999))
            return RetryableJobError(message, seconds=seconds or None)
        return UserError(message)

    # ---------------------------------------------------------------- locks
    def _omni_lock_key(self, kind):
        """The advisory lock key of one kind of work on one backend of this model."""
        return zlib.crc32(f"{self._name}:{kind}".encode()) & 0x7FFFFFFF

    def _omni_try_lock(self, kind):
        """Serialize one kind of work per backend across every process.

        A transaction-level advisory lock: released at commit or rollback,
        never blocks users editing the record.
        """
        self.ensure_one()
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [self._omni_lock_key(kind), self.id]
        )
        return self.env.cr.fetchone()[0]

    def _omni_lock_or_retry(self, kind):
        if not self._omni_try_lock(kind):
            raise RetryableJobError(
                f"Another {kind} job of {self._name} {self.id} is running",
                seconds=1,
                ignore_retry=True,
            )

    def _omni_lock_waiters(self, kind):
        """How many other transactions wait for this backend's lock of ``kind``."""
        self.ensure_one()
        self.env.cr.execute(
            """
            SELECT count(*) FROM pg_locks
             WHERE locktype = 'advisory' AND NOT granted AND pid != pg_backend_pid()
               AND classid = %s AND objid = %s AND objsubid = 2
            """,
            [self._omni_lock_key(kind), self.id],
        )
        return self.env.cr.fetchone()[0]

    def _omni_lock_wait(self, kind, timeout):
        """Take the lock of ``kind``, waiting at most ``timeout`` seconds for its holder.

        Returns "free" (taken at once), "waited" (taken after its holder
        ended), "queued" (not taken: another transaction already waits for
        it and comes next) or "busy" (still held after ``timeout``).

        Whoever waited must not trust what its transaction read before: at
        REPEATABLE READ the snapshot was taken before the wait, so it misses
        what the holder wrote (see :meth:`_omni_fresh_env`).
        """
        if self._omni_try_lock(kind):
            return "free"
        if self._omni_lock_waiters(kind):
            return "queued"
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute("SET LOCAL lock_timeout = %s", [f"{max(1, int(timeout * 1000))}ms"])
                cr.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [self._omni_lock_key(kind), self.id]
                )
                cr.execute("SET LOCAL lock_timeout = 0")
        except errors.LockNotAvailable:
            return "busy"
        return "waited"

    @contextmanager
    def _omni_fresh_env(self):
        """These records in a transaction started now, for work done under a lock.

        A transaction at REPEATABLE READ sees the database as it was at its
        first query, which for a job is before it took its lock: it would plan
        from data older than what the previous holder of the lock wrote (and
        send a channel an older quantity after a newer one). Reading in a
        transaction begun after the lock was taken sees all of it. Committed
        at the end unless the work raises. In tests, the one transaction.
        """
        with tools.fresh_env(self) as records:
            yield records

    # --------------------------------------------------------------- rights
    def _omni_check_manager(self):
        """Refuse the backend's actions to users who may not run them, whatever the view shows."""
        if self.env.su or self.env.user.has_group(self._omni_manager_group):
            return
        group = self.env.ref(self._omni_manager_group, raise_if_not_found=False)
        raise AccessError(
            self.env._(
                "Only %(group)s may do this on %(name)s.",
                group=group.full_name if group else self._omni_manager_group,
                name=", ".join(self.mapped("display_name")),
            )
        )

    # ----------------------------------------------------------------- jobs
    def _omni_job_key(self, kind, suffix=""):
        """Identity key of this backend's job of ``kind``: one waiting job absorbs the others."""
        self.ensure_one()
        return f"{self._omni_job_namespace or self._name}:{self.id}:{kind}{suffix}"

    def _omni_delay(self, kind, description, *, priority=10, eta=None, suffix="",
                    record=None):
        """``with_delay`` for this backend's work, the one way omni queues a job.

        ``description`` is a callable taking the translation function, so
        the job reads in the language of the backend's responsible. The job
        runs as the system, not as whoever caused it: a click or a stock move
        by a user with few rights (or no e-mail address to sign messages
        with) queues work that still has every right it needs.
        """
        self.ensure_one()
        _ = self._omni_in_responsible_lang().env._
        target = record if record is not None else self
        return target.with_user(SUPERUSER_ID).with_delay(
            priority=priority,
            eta=eta or None,
            identity_key=self._omni_job_key(kind, suffix),
            description=description(_),
        )

    # -------------------------------------------------------- transactions
    @api.model
    def _omni_write_outside(self, records, func):
        """Run ``func(records)`` in a transaction of its own (see :func:`tools.write_outside`)."""
        return tools.write_outside(records, func)
