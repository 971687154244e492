from odoo import fields, models


class OmniNpReturnReason(models.Model):
    """A reason for a return with its subtype, as Nova Poshta lists them (cached per account).

    Nova Poshta's return order needs both a reason and a subtype of it; one record
    is one pair, so the manager picks once.
    """

    _name = "omni.np.return.reason"
    _description = "Nova Poshta Return Reason"
    _order = "name, id"

    account_id = fields.Many2one("omni.np.account", required=True, ondelete="cascade",
                                 index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True)
    reason_ref = fields.Char(required=True, readonly=True)
    subtype_ref = fields.Char(required=True, readonly=True)
    reason_name = fields.Char(readonly=True)
    subtype_name = fields.Char(readonly=True)
    name = fields.Char(required=True, readonly=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("ref_uniq", "unique(account_id, reason_ref, subtype_ref)",
         "A return reason is listed once per Nova Poshta account."),
    ]
