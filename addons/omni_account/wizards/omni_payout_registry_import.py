import base64
import logging

from odoo import Command, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class OmniPayoutRegistryImport(models.TransientModel):
    """Read the payer's payout registry (one row per order) for a bank line, then match."""

    _name = "omni.payout.registry.import"
    _description = "Import a Payout Registry"

    statement_line_id = fields.Many2one(
        "account.bank.statement.line", "Payout", required=True, ondelete="cascade"
    )
    route_id = fields.Many2one("omni.money.route", "Money Route", required=True)
    mapping_id = fields.Many2one(
        "account.statement.import.sheet.mapping", "Columns", required=True,
        help="Which columns of the file hold the order reference, the amount and the date "
        "(the route's setting by default).",
    )
    registry_file = fields.Binary(required=True)
    registry_filename = fields.Char()
    payout_reference = fields.Char(
        help="Only the rows whose payout column holds this reference (empty: every row).",
    )

    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        st_line = self.env["account.bank.statement.line"].browse(
            res.get("statement_line_id") or self.env.context.get("active_id"))
        if st_line:
            res["statement_line_id"] = st_line.id
            route = st_line._omni_route()
            if route:
                res.setdefault("route_id", route.id)
                if route.registry_mapping_id:
                    res.setdefault("mapping_id", route.registry_mapping_id.id)
        return res

    def _omni_parse(self):
        """Rows of the registry as the OCA sheet parser reads them (CSV, XLSX, XLS)."""
        self.ensure_one()
        data = base64.b64decode(self.registry_file)
        parser = self.env["account.statement.import.sheet.parser"].with_context(
            journal_id=self.statement_line_id.journal_id.id)
        currency = self.statement_line_id.currency_id.name
        try:
            return parser._parse_lines(self.mapping_id, data, currency)
        except Exception as err:
            _logger.info("Payout registry %s not readable: %s", self.registry_filename, err)
            raise UserError(self.env._(
                "The registry file could not be read with the columns %(mapping)s: %(error)s",
                mapping=self.mapping_id.name, error=str(err))) from err

    def action_import(self):
        self.env["omni.money.route"]._omni_check_accountant()
        self.ensure_one()
        rows = self._omni_parse()
        wanted = (self.payout_reference or "").strip()
        commands = [Command.unlink(line.id)
                    for line in self.statement_line_id.omni_payout_line_ids]
        count = 0
        for seq, row in enumerate(rows, 1):
            if wanted and wanted not in (row.get("description") or "", row.get(
                    "transaction_id") or ""):
                continue
            reference = str(row.get("reference") or "").strip()
            if not reference:
                raise UserError(self.env._(
                    "Row %(row)s of the registry has no order reference.", row=seq))
            count += 1
            commands.append(Command.create({
                "sequence": seq,
                "origin": "registry",
                "reference": reference,
                "reported_amount": float(row.get("amount") or 0.0),
                "reported_date": row["timestamp"].date() if row.get("timestamp") else False,
            }))
        if not count:
            raise UserError(self.env._("The registry has no row for this payout."))
        st_line = self.statement_line_id.sudo()
        st_line.write({"omni_payout_line_ids": commands, "omni_money_route_id": self.route_id.id})
        st_line._omni_match_payout()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.bank.statement.line",
            "res_id": st_line.id,
            "view_mode": "form",
            "views": [(self.env.ref("omni_account.omni_payout_statement_line_view_form").id,
                       "form")],
            "target": "current",
        }
