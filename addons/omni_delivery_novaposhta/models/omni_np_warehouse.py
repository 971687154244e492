from odoo import api, fields, models


class OmniNpWarehouse(models.Model):
    """A branch, cargo branch, mini branch or parcel locker, with its limits."""

    _name = "omni.np.warehouse"
    _description = "Nova Poshta Branch"
    _order = "city_name, number_int, id"
    _rec_names_search = ["name", "number", "city_name", "warehouse_index"]

    name = fields.Char(required=True, index="trigram", readonly=True)
    ref = fields.Char(required=True, index=True, readonly=True)
    number = fields.Char(index=True, readonly=True)
    number_int = fields.Integer(compute="_compute_number_int", store=True)
    city_id = fields.Many2one("omni.np.city", index=True, readonly=True,
                              ondelete="set null")
    city_ref = fields.Char(readonly=True)
    city_name = fields.Char(index="trigram", readonly=True)
    kind = fields.Selection(
        [("branch", "Branch"), ("cargo", "Cargo branch"), ("mini", "Mini branch"),
         ("postomat", "Parcel locker")],
        default="branch", required=True, readonly=True,
    )
    short_address = fields.Char(readonly=True)
    warehouse_index = fields.Char("Digital Address", readonly=True)
    place_max_weight = fields.Float("Max Weight per Place (kg)", readonly=True)
    total_max_weight = fields.Float("Max Total Weight (kg)", readonly=True)
    max_width = fields.Float("Max Width (cm)", readonly=True)
    max_height = fields.Float("Max Height (cm)", readonly=True)
    max_length = fields.Float("Max Length (cm)", readonly=True)
    max_declared_cost = fields.Float("Max Declared Value", readonly=True)
    active = fields.Boolean(default=True, readonly=True)
    sync_run = fields.Integer(readonly=True, index=True)

    _sql_constraints = [("ref_uniq", "unique(ref)", "This Nova Poshta branch is already known.")]

    @api.depends("number")
    def _compute_number_int(self):
        for warehouse in self:
            digits = "".join(ch for ch in warehouse.number or "" if ch.isdigit())[:9]
            warehouse.number_int = int(digits) if digits else 0

    @api.depends("name", "city_name")
    def _compute_display_name(self):
        for warehouse in self:
            warehouse.display_name = warehouse.name

    def _np_limit_problems(self, weight, length, width, height, value=None):
        """What breaks this locker's or branch's limits, as sentences (empty: fits)."""
        self.ensure_one()
        _ = self.env._
        problems = []
        if self.place_max_weight and weight > self.place_max_weight:
            problems.append(_("the parcel weighs %(weight)s kg, %(branch)s takes at most "
                              "%(limit)s kg", weight=round(weight, 2), branch=self.name,
                              limit=self.place_max_weight))
        for size, limit, label in ((width, self.max_width, _("width")),
                                   (height, self.max_height, _("height")),
                                   (length, self.max_length, _("length"))):
            if limit and size > limit:
                problems.append(_("the %(what)s %(size)s cm exceeds %(limit)s cm",
                                  what=label, size=size, limit=limit))
        if value is not None and self.max_declared_cost and value > self.max_declared_cost:
            problems.append(_("the declared value %(value)s exceeds %(limit)s",
                              value=value, limit=self.max_declared_cost))
        return problems
