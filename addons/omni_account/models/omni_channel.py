from odoo import fields, models


class OmniChannel(models.Model):
    _inherit = "omni.channel"

    omni_billing_partner_id = fields.Many2one(
        "res.partner", "Marketplace Partner", check_company=True,
        help="The marketplace as a partner in the books: a commission it bills apart is "
        "owed to it. Created from the channel's name when first needed.",
    )

    def _omni_billing_partner(self):
        self.ensure_one()
        if not self.omni_billing_partner_id:
            self.sudo().omni_billing_partner_id = self.env["res.partner"].sudo().create({
                "name": self.name, "is_company": True, "company_id": False,
            })
        return self.omni_billing_partner_id
