import logging
import threading
from datetime import timedelta

from odoo import api, fields, models
from odoo.modules import module as odoo_module
from odoo.service.model import retrying

_logger = logging.getLogger(__name__)


class OmniSyncEvent(models.Model):
    """One HTTP call to a channel, as sent and as answered (secrets masked)."""

    _name = "omni.sync.event"
    _description = "Sync Log Entry"
    _order = "id desc"
    _rec_name = "endpoint"

    channel_id = fields.Many2one("omni.channel", ondelete="cascade", index=True)
    company_id = fields.Many2one(related="channel_id.company_id", store=True)
    direction = fields.Selection(
        [("out", "Odoo → channel"), ("in", "Channel → Odoo")], default="out", required=True
    )
    method = fields.Char("HTTP Method")
    endpoint = fields.Char()
    url = fields.Char("URL")
    status_code = fields.Integer("HTTP Status")
    state = fields.Selection(
        [("ok", "Success"), ("error", "Error")], required=True, default="ok", index=True
    )
    error = fields.Text()
    duration_ms = fields.Integer("Duration (ms)")
    attempt = fields.Integer(default=1)
    request_body = fields.Text()
    response_body = fields.Text()
    job_uuid = fields.Char("Job", index=True)
    res_model = fields.Char("Record Model")
    res_id = fields.Many2oneReference("Record", model_field="res_model")

    @api.model
    def _omni_write_outside(self, records, func):
        """Run ``func(records)`` in its own transaction, committed at once.

        Sync results and logs must survive a job that fails later and is
        rolled back; in tests the test transaction is used instead.
        """
        if (
            odoo_module.current_test
            or getattr(threading.current_thread(), "testing", False)
            or self.env.registry.in_test_mode()
            or self.env.context.get("omni_same_cursor")
        ):
            return func(records)
        with self.env.registry.cursor() as cr:
            env = records.env(cr=cr)
            # two jobs recording on one row at once: replay, as Odoo does for requests
            return retrying(lambda: func(records.with_env(env)), env)

    @api.model
    def _omni_log_calls(self, channel, calls, record=None):
        job_uuid = self.env.context.get("job_uuid")
        vals_list = []
        for call in calls:
            failed = bool(call.error) or not call.status or call.status >= 400
            vals_list.append({
                "channel_id": channel.id,
                "direction": "out",
                "method": call.method,
                "endpoint": call.endpoint,
                "url": call.url,
                "status_code": call.status or 0,
                "state": "error" if failed else "ok",
                "error": call.error or False,
                "duration_ms": int(call.duration_ms or 0),
                "attempt": call.attempt,
                "request_body": call.request_body,
                "response_body": call.response_body,
                "job_uuid": job_uuid,
                "res_model": record._name if record else False,
                "res_id": record.id if record else False,
            })
        try:
            self._omni_write_outside(self.sudo(), lambda model: model.create(vals_list))
        except Exception:  # the log must never break the sync it describes
            _logger.exception("Could not write %s sync log entries", len(vals_list))

    @api.model
    def _cron_cleanup(self):
        """Delete entries older than each channel's retention."""
        for channel in self.env["omni.channel"].with_context(active_test=False).search([]):
            limit = fields.Datetime.now() - timedelta(days=channel.event_retention_days or 30)
            self.env.cr.execute(
                "DELETE FROM omni_sync_event WHERE channel_id = %s AND create_date < %s",
                [channel.id, limit],
            )
        self.env.cr.execute(
            "DELETE FROM omni_sync_event WHERE channel_id IS NULL AND create_date < %s",
            [fields.Datetime.now() - timedelta(days=30)],
        )

    def action_open_job(self):
        """The queue job that made this call (its retries, its error, its result)."""
        self.ensure_one()
        job = self.env["queue.job"].search([("uuid", "=", self.job_uuid)], limit=1)
        if not job:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": "queue.job",
            "res_id": job.id,
            "view_mode": "form",
        }

    def action_open_record(self):
        self.ensure_one()
        if not (self.res_model and self.res_id):
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
