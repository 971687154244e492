from odoo import fields, models

#: delivery fields whose change on Rozetka after import the manager must see
DELIVERY_FIELDS = ("delivery_city", "delivery_warehouse", "delivery_warehouse_ref",
                   "delivery_address", "recipient_name", "recipient_phone")


class OmniExternalOrder(models.Model):
    _inherit = "omni.external.order"

    rozetka_status_name = fields.Char("Rozetka Status", readonly=True)

    def _omni_order_vals(self, order):
        vals = super()._omni_order_vals(order)
        if self.channel_id.channel_type != "rozetka":
            return vals
        # recipient name parts, branch number and callback_off are the base's fields
        vals["rozetka_status_name"] = order.remote_status_name
        if self.sale_order_id:
            self._rozetka_note_delivery_changes(vals)
        return vals

    def _rozetka_note_delivery_changes(self, vals):
        """Delivery data changed on Rozetka after import: kept here, and told on the order.

        The new values replace the old ones on this record (the carrier reads them
        from here); once the parcel has left, the change cannot follow it, so the
        order is flagged for the manager.
        """
        labels = {name: self._fields[name].get_description(self.env)["string"]
                  for name in DELIVERY_FIELDS}
        changes = [
            self.env._("%(field)s: %(old)s → %(new)s", field=labels[name],
                       old=self[name] or "-", new=vals.get(name) or "-")
            for name in DELIVERY_FIELDS
            if (vals.get(name) or False) != (self[name] or False)
        ]
        if not changes:
            return
        sale = self.sale_order_id
        body = self.env._("Delivery changed on Rozetka: %(changes)s",
                          changes="; ".join(changes))
        sale.message_post(body=body)
        shipped = sale.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing")
        if shipped:
            activity_type = self.env.ref(
                "omni_channel_base.mail_activity_omni_attention", raise_if_not_found=False)
            if activity_type:
                self.activity_schedule(
                    activity_type_id=activity_type.id,
                    user_id=(self.channel_id.user_id or self.env.user).id,
                    note=self.env._("The parcel has already left. %(body)s", body=body),
                )
