import logging
from datetime import timedelta

from odoo import api, fields, models

from .. import tools

_logger = logging.getLogger(__name__)


class OmniSyncEvent(models.Model):
    """One HTTP call to a remote service, as sent and as answered (secrets masked).

    The service is any record of a model inheriting ``omni.backend.mixin``:
    a sales channel, a carrier account, a cash register.
    """

    _name = "omni.sync.event"
    _description = "Sync Log Entry"
    _order = "id desc"
    _rec_name = "endpoint"

    backend_model = fields.Char("Service Model", index=True, readonly=True)
    backend_id = fields.Many2oneReference(
        "Service Record", model_field="backend_model", index=True, readonly=True
    )
    backend_name = fields.Char("Service", compute="_compute_backend_name")
    channel_id = fields.Many2one(
        "omni.channel",
        ondelete="cascade",
        index=True,
        readonly=True,
        help="Set when the service is a sales channel.",
    )
    company_id = fields.Many2one("res.company", index=True, readonly=True)
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

    @api.depends("backend_model", "backend_id")
    def _compute_backend_name(self):
        for event in self:
            name = ""
            if event.backend_model in self.env and event.backend_id:
                backend = self.env[event.backend_model].sudo().browse(event.backend_id).exists()
                name = backend.display_name if backend else ""
            event.backend_name = name

    @api.model
    def _omni_log_calls(self, backend, calls, record=None):
        """Keep ``calls`` (``CallRecord``) made to ``backend``, even if the job fails later."""
        job_uuid = self.env.context.get("job_uuid")
        company = backend._omni_company()
        vals_list = []
        for call in calls:
            failed = bool(call.error) or not call.status or call.status >= 400
            vals_list.append({
                "backend_model": backend._name,
                "backend_id": backend.id,
                "channel_id": backend.id if backend._name == "omni.channel" else False,
                "company_id": company.id or False,
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
            tools.write_outside(self.sudo(), lambda model: model.create(vals_list))
        except Exception:  # the log must never break the sync it describes
            _logger.exception("Could not write %s sync log entries", len(vals_list))

    @api.model
    def _cron_cleanup(self):
        """Delete entries older than each channel's retention (30 days for other services)."""
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
