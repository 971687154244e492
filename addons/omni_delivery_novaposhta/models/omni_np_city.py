from odoo import fields, models


class OmniNpCity(models.Model):
    """A city of Nova Poshta's directory (the ref a waybill's CityRecipient takes)."""

    _name = "omni.np.city"
    _description = "Nova Poshta City"
    _order = "name, area"
    _rec_names_search = ["name", "area"]

    name = fields.Char(required=True, index="trigram")
    ref = fields.Char(required=True, index=True, readonly=True)
    area = fields.Char("Region", readonly=True)
    settlement_type = fields.Char(readonly=True)
    np_city_id = fields.Char("Nova Poshta City Id", readonly=True)
    active = fields.Boolean(default=True, readonly=True)
    sync_run = fields.Integer(readonly=True, index=True)
    warehouse_ids = fields.One2many("omni.np.warehouse", "city_id", "Branches")

    _sql_constraints = [("ref_uniq", "unique(ref)", "This Nova Poshta city is already known.")]

    def _compute_display_name(self):
        for city in self:
            city.display_name = f"{city.name} ({city.area})" if city.area else city.name
