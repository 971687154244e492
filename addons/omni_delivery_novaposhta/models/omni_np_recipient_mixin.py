import re

from odoo import api, fields, models

from omni_connectors.core import InvalidPhone, format_phone

_CYRILLIC_NAME = re.compile(r"^[А-ЩЬЮЯҐЄІЇа-щьюяґєії'’ʼ\- ]+$")


class OmniNpRecipientMixin(models.AbstractModel):
    """Who receives a Nova Poshta parcel and where: on the sale order and the picking."""

    _name = "omni.np.recipient.mixin"
    _description = "Nova Poshta Recipient"

    np_delivery_kind = fields.Selection(
        [("branch", "To a branch or locker"), ("door", "To the door")],
        "Nova Poshta Delivery", default="branch",
    )
    np_city_id = fields.Many2one("omni.np.city", "Recipient City")
    np_warehouse_id = fields.Many2one(
        "omni.np.warehouse", "Recipient Branch",
        domain="[('city_id', '=', np_city_id)]",
        help="Branches and parcel lockers of the recipient's city.",
    )
    np_street = fields.Char("Recipient Street")
    np_house = fields.Char("House")
    np_flat = fields.Char("Flat")
    np_last_name = fields.Char("Recipient Last Name")
    np_first_name = fields.Char("Recipient First Name")
    np_middle_name = fields.Char("Recipient Middle Name")
    np_phone = fields.Char("Recipient Phone")

    @api.onchange("np_city_id")
    def _onchange_np_city_id(self):
        if self.np_warehouse_id and self.np_warehouse_id.city_id != self.np_city_id:
            self.np_warehouse_id = False

    @api.onchange("np_phone")
    def _onchange_np_phone(self):
        if self.np_phone:
            try:
                self.np_phone = "+" + format_phone(self.np_phone, "ua12")
            except (InvalidPhone, ValueError):
                return {"warning": {
                    "title": self.env._("Phone"),
                    "message": self.env._("%(phone)s is not a Ukrainian mobile number.",
                                          phone=self.np_phone),
                }}
        return None

    def _np_recipient_problems(self):
        """Why a waybill cannot be made for this recipient, as sentences (empty: fine)."""
        self.ensure_one()
        _ = self.env._
        problems = []
        if not self.np_city_id:
            problems.append(_("choose the recipient's city from the Nova Poshta directory"))
        if self.np_delivery_kind == "door":
            if not (self.np_street and self.np_house):
                problems.append(_("give the recipient's street and house"))
        elif not self.np_warehouse_id:
            problems.append(_("choose the recipient's branch from the Nova Poshta directory"))
        elif self.np_city_id and self.np_warehouse_id.city_id != self.np_city_id:
            problems.append(_("the branch is not in the recipient's city"))
        elif not self.np_warehouse_id.active:
            problems.append(_("the branch %(branch)s is closed", branch=self.np_warehouse_id.name))
        for value, label in ((self.np_last_name, _("last name")),
                             (self.np_first_name, _("first name"))):
            if not value:
                problems.append(_("give the recipient's %(what)s", what=label))
            elif not _CYRILLIC_NAME.match(value.strip()):
                problems.append(_("the recipient's %(what)s \"%(value)s\" must be written in "
                                  "Ukrainian", what=label, value=value))
        if self.np_middle_name and not _CYRILLIC_NAME.match(self.np_middle_name.strip()):
            problems.append(_("the recipient's middle name \"%(value)s\" must be written in "
                              "Ukrainian", value=self.np_middle_name))
        try:
            format_phone(self.np_phone or "", "ua12")
        except (InvalidPhone, ValueError):
            problems.append(_("the recipient's phone \"%(phone)s\" is not a Ukrainian number",
                              phone=self.np_phone or ""))
        return problems

    def _np_recipient_vals(self):
        """The recipient fields, to copy from an order to its picking."""
        return {name: self[name].id if self._fields[name].type == "many2one" else self[name]
                for name in self.env["omni.np.recipient.mixin"]._fields
                if name.startswith("np_")}

    @staticmethod
    def _np_split_name(full_name):
        """"Прізвище Ім'я По батькові" -> (last, first, middle)."""
        parts = (full_name or "").split()
        if not parts:
            return "", "", ""
        if len(parts) == 1:
            return parts[0], "", ""
        return parts[0], parts[1], " ".join(parts[2:])
