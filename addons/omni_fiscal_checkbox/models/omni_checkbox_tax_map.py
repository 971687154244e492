from odoo import fields, models


class OmniCheckboxTaxMap(models.Model):
    _name = "omni.checkbox.tax.map"
    _description = "Checkbox Tax Code"
    _order = "register_id, id"

    register_id = fields.Many2one(
        "omni.checkbox.register", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="register_id.company_id", store=True)
    tax_id = fields.Many2one(
        "account.tax", "Odoo Tax", required=True, ondelete="cascade",
        domain="[('type_tax_use', '=', 'sale'), ('company_id', '=', company_id)]",
    )
    code = fields.Char(
        "Checkbox Tax Code", required=True,
        help="The code (a number) or letter of the tax as set up in the Checkbox account "
        "(Checkbox > Settings > Taxes).",
    )

    _sql_constraints = [
        ("register_tax_uniq", "unique(register_id, tax_id)",
         "An Odoo tax has one Checkbox code per cash register."),
    ]
