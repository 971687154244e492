import base64

from odoo import fields, models

STATES = {
    "CREATED": "opening",
    "OPENING": "opening",
    "OPENED": "opened",
    "CLOSING": "closing",
    "CLOSED": "closed",
}


class OmniCheckboxShift(models.Model):
    _name = "omni.checkbox.shift"
    _description = "Cash Register Shift"
    _order = "id desc"
    _rec_name = "display_name"

    register_id = fields.Many2one(
        "omni.checkbox.register", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="register_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    remote_id = fields.Char("Checkbox Shift", required=True, readonly=True, index=True)
    serial = fields.Integer("Number", readonly=True)
    state = fields.Selection(
        [("opening", "Opening"), ("opened", "Open"), ("closing", "Closing"),
         ("closed", "Closed")],
        required=True, default="opening", readonly=True,
    )
    opened_at = fields.Datetime(readonly=True)
    closed_at = fields.Datetime(readonly=True)
    receipt_ids = fields.One2many("omni.fiscal.receipt", "shift_id", "Receipts")
    z_report_id = fields.Char("Z-Report", readonly=True)
    z_fiscal_code = fields.Char("Z-Report Fiscal Code", readonly=True)
    z_sales = fields.Monetary("Sales (Z-Report)", readonly=True)
    z_returns = fields.Monetary("Returns (Z-Report)", readonly=True)
    z_sell_count = fields.Integer("Sale Receipts (Z-Report)", readonly=True)
    z_return_count = fields.Integer("Return Receipts (Z-Report)", readonly=True)
    z_report_text = fields.Text("Z-Report Text", readonly=True)

    _sql_constraints = [
        ("register_remote_uniq", "unique(register_id, remote_id)",
         "A Checkbox shift is kept once per register."),
    ]

    def _compute_display_name(self):
        for shift in self:
            number = shift.serial or shift.remote_id[:8]
            shift.display_name = f"{shift.register_id.name} #{number}"

    @staticmethod
    def _omni_state(status):
        return STATES.get(getattr(status, "value", status), "opening")

    def _omni_store_z_report(self, report, text):
        """Keep the Z-report's totals and its printed text (also as an attachment)."""
        self.ensure_one()
        self.write({
            "state": "closed",
            "z_report_id": report.id,
            "z_fiscal_code": report.fiscal_code,
            "z_sales": float(report.sales),
            "z_returns": float(report.returns),
            "z_sell_count": report.sell_receipts_count,
            "z_return_count": report.return_receipts_count,
            "z_report_text": text,
        })
        if text:
            self.env["ir.attachment"].create({
                "name": f"Z-{report.serial or report.id}.txt",
                "res_model": self.register_id._name,
                "res_id": self.register_id.id,
                "mimetype": "text/plain",
                "datas": base64.b64encode(text.encode()),
            })
