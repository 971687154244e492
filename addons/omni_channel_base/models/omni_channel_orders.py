from datetime import timedelta

from odoo import api, fields, models

from omni_connectors.core import errors as cerr

from .omni_channel import PRIORITY


class OmniChannel(models.Model):
    """Orders in: polling the channel and storing each order raw, once."""

    _inherit = "omni.channel"

    def _omni_enqueue_import(self, eta=None, hurry=False):
        """One waiting import per channel: its identity key absorbs the others.

        ``hurry``: if the next poll waits for later, it runs now instead.
        """
        if hurry:
            self.env["queue.job"].sudo().search([
                ("identity_key", "in", [channel._omni_job_key("orders") for channel in self]),
                ("state", "=", "pending"),
                ("eta", ">", fields.Datetime.now()),
            ]).write({"eta": False})
        for channel in self:
            channel._omni_delay(
                "orders",
                lambda _, c=channel: _("Import orders from %(channel)s", channel=c.name),
                priority=PRIORITY["orders"],
                eta=eta,
            )._omni_import_orders()

    def _omni_poll_interval_now(self):
        """Seconds until the next check: the short interval while orders come in.

        Oversells happen in a shop that is selling: a sale is known to the
        other channels only once its order is imported. So for
        ``order_poll_busy_minutes`` after a new order the channel is checked
        every ``order_poll_busy_interval`` seconds, and at the quiet interval
        otherwise, which keeps the requests of a quiet day low.
        """
        quiet = self.order_poll_interval
        busy = self.order_poll_busy_interval
        if quiet <= 0 or busy <= 0 or busy >= quiet:
            return quiet
        arrived = self.last_order_arrival
        if arrived and fields.Datetime.now() - arrived < timedelta(
                minutes=max(self.order_poll_busy_minutes, 0)):
            return busy
        return quiet

    def _omni_enqueue_next_poll(self):
        interval = self._omni_poll_interval_now()
        if interval > 0:
            # the next poll; this job has started, so its key does not absorb it
            self._omni_enqueue_import(eta=interval)

    @api.model
    def _cron_import_orders(self):
        """Every minute: import, and restart a polling loop that stopped."""
        self.search([("sync_orders", "=", True)])._omni_enqueue_import()

    def _omni_import_orders(self):
        """Job: fetch new and changed orders, store them raw, map each in its own job."""
        self.ensure_one()
        if not (self.active and self.sync_orders):
            return "order import is off"
        self._omni_lock_or_retry("orders")
        ExternalOrder = self.env["omni.external.order"]
        received = changed = arrived = 0
        partial = ""
        cursor = self.sudo().order_cursor or None
        # polls that find nothing are counted, not logged: the log shows what matters
        found = {"nothing": False}

        def skip_empty(calls):
            return [] if found["nothing"] and all(not c.error for c in calls) else calls

        with self._omni_session(log_filter=skip_empty) as adapter:
            if not adapter.can_fetch_orders:
                # the channel posts its orders to Odoo (the own shop)
                return "the channel sends its orders itself"
            try:
                changed_remotely = adapter.orders_changed(cursor)
            except cerr.OmniConnectorError as err:
                self._omni_note_failure("orders", err)
                raise self._omni_translate_error(err, in_job=True) from err
            if changed_remotely is False:
                found["nothing"] = True
                self._omni_note_success("orders", cursor=cursor, empty=True)
                self._omni_enqueue_next_poll()
                return "nothing changed"
            for page in range(100):  # bounded: 100 pages per run, the next run goes on
                try:
                    batch = adapter.fetch_orders(cursor)
                except cerr.OmniConnectorError as err:
                    if page == 0:
                        self._omni_note_failure("orders", err)
                        raise self._omni_translate_error(err, in_job=True) from err
                    # keep the pages already stored; the next run continues
                    partial = f"; stopped early: {err}"
                    break
                records = ExternalOrder._omni_store(self, batch.orders, adapter=adapter)
                received += len(batch.orders)
                changed += len(records)
                arrived += len(records.filtered(lambda r: r.receive_count == 1))
                records._omni_enqueue_processing()
                cursor = batch.cursor or cursor
                if not batch.has_more:
                    break
            found["nothing"] = not received and not partial
        # the cursor moves in the same transaction as the orders it covers
        news = {"last_arrival": fields.Datetime.now()} if arrived else {}
        self._omni_note_success("orders", cursor=cursor, empty=not received, **news)
        self._omni_enqueue_next_poll()
        return f"{received} received, {changed} new or changed{partial}"

    def action_import_orders_now(self):
        self._omni_check_manager()
        self._omni_enqueue_import(hurry=True)
        return self._omni_notify_queued(self.env._("Order import queued."))
