from odoo import fields, models


class OmniNpSenderContact(models.Model):
    """A contact person of the account's sender, as Nova Poshta lists them."""

    _name = "omni.np.sender.contact"
    _description = "Nova Poshta Sender Contact"
    _order = "name, id"

    account_id = fields.Many2one("omni.np.account", required=True, ondelete="cascade",
                                 index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True)
    ref = fields.Char(required=True, readonly=True)
    name = fields.Char(required=True, readonly=True)
    phone = fields.Char(readonly=True)
    email = fields.Char(readonly=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("ref_uniq", "unique(account_id, ref)",
         "A contact person is listed once per Nova Poshta account."),
    ]
