import re

from odoo import models

from omni_connectors.core import InvalidPhone, format_phone

_NUMBER = re.compile(r"№\s*(\d+)|(?:відділення|поштомат|branch|postomat)\D{0,20}?(\d+)",
                     re.IGNORECASE)
_NP_SERVICES = ("nova_poshta", "novaposhta", "nova poshta", "нова пошта", "np")


class OmniExternalOrder(models.Model):
    _inherit = "omni.external.order"

    def _omni_np_is_novaposhta(self):
        service = (self.delivery_service or "").strip().lower()
        if service:
            return service in _NP_SERVICES or "nova" in service or "нова пошта" in service
        return bool(self.delivery_warehouse_ref or self.delivery_city_ref)

    def _omni_np_carrier(self):
        return self.env["delivery.carrier"].search([
            ("delivery_type", "=", "novaposhta"),
            ("company_id", "in", [False, self.channel_id.company_id.id]),
        ], limit=1)

    @staticmethod
    def _omni_np_branch_number(text):
        match = _NUMBER.search(text or "")
        if match:
            return match.group(1) or match.group(2)
        stripped = (text or "").strip()
        return stripped if stripped.isdigit() else ""

    def _omni_np_match_place(self):
        """(city, warehouse, reason): by ref, else by city and branch number, else why not."""
        _ = self.env._
        City = self.env["omni.np.city"]
        Warehouse = self.env["omni.np.warehouse"]
        if self.delivery_warehouse_ref:
            warehouse = Warehouse.search([("ref", "=", self.delivery_warehouse_ref)], limit=1)
            if warehouse:
                return warehouse.city_id, warehouse, ""
        city = City.browse()
        if self.delivery_city_ref:
            city = City.search([("ref", "=", self.delivery_city_ref)], limit=1)
        if not city and self.delivery_city:
            cities = City.search([("name", "=ilike", self.delivery_city.strip())], limit=2)
            if len(cities) > 1:
                return cities[:0], Warehouse, _(
                    "several Nova Poshta cities are called %(city)s", city=self.delivery_city)
            city = cities
        if not city:
            return city, Warehouse, _("the city %(city)s is not in the Nova Poshta directory",
                                      city=self.delivery_city or "?")
        if self.delivery_method == "courier" or not (self.delivery_warehouse
                                                     or self.delivery_warehouse_ref):
            return city, Warehouse, ""
        number = self._omni_np_branch_number(self.delivery_warehouse)
        warehouse = Warehouse.search(
            [("city_id", "=", city.id), ("number", "=", number)], limit=1) if number else \
            Warehouse
        if not warehouse:
            return city, warehouse, _(
                "the branch \"%(branch)s\" of %(city)s is not in the Nova Poshta directory",
                branch=self.delivery_warehouse or "", city=city.name)
        return city, warehouse, ""

    def _omni_prepare_delivery_vals(self, partner):
        vals = super()._omni_prepare_delivery_vals(partner)
        if not self._omni_np_is_novaposhta():
            return vals
        _ = self.env._
        reasons = []
        carrier = self._omni_np_carrier()
        if carrier:
            vals["carrier_id"] = carrier.id
        else:
            reasons.append(_("no Nova Poshta shipping method is set up"))
        city, warehouse, reason = self._omni_np_match_place()
        if reason:
            reasons.append(reason)
        last, first, middle = self.env["omni.np.recipient.mixin"]._np_split_name(
            self.recipient_name or partner.name)
        vals.update({
            "np_city_id": city.id or False,
            "np_warehouse_id": warehouse.id or False,
            "np_delivery_kind": "door" if self.delivery_method == "courier" else "branch",
            "np_last_name": last, "np_first_name": first, "np_middle_name": middle,
        })
        if self.delivery_method == "courier":
            vals["np_street"] = self.delivery_address or False
        phone = self.recipient_phone or partner.mobile or partner.phone or ""
        try:
            vals["np_phone"] = "+" + format_phone(phone, "ua12")
        except (InvalidPhone, ValueError):
            vals["np_phone"] = phone or False
            reasons.append(_("the recipient's phone \"%(phone)s\" is not a Ukrainian number",
                             phone=phone))
        if not (first and last):
            reasons.append(_("the recipient's name \"%(name)s\" lacks a first or last name",
                             name=self.recipient_name or ""))
        vals["np_attention"] = bool(reasons)
        vals["np_attention_reason"] = "; ".join(reasons) or False
        return vals
