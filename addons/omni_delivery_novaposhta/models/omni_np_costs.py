"""What the seller pays Nova Poshta for an order, captured where it arises.

* the waybill's delivery cost (``CostOnSite``) when the sender pays it, stored on
  the picking when the waybill is created, with the payer of that moment;
* the return shipping of a refused or returned parcel, and the forward delivery
  the recipient did not pay (Nova Poshta charges the sender both ways), when
  tracking reports the refusal;
* the fee for transferring the cash collected on delivery when the sender pays
  it: as tracking reports it (``LastAmountReceivedCommissionGM``), else by the
  shipping method's tariff settings.

The order's ``omni_delivery_cost`` and ``omni_cod_fee`` are the sums over its
Nova Poshta pickings; the profit reports and the books read them there.
"""

from odoo import fields, models

from omni_connectors.core import money


def _percent_of(amount, percent):
    return money.quantize_uah(money.to_decimal(amount) * money.to_decimal(percent) / 100)


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    # Nova Poshta's tariffs are data: easy to change when NP changes them
    novaposhta_cod_fee_percent = fields.Float(
        "COD Fee (%)", digits=(16, 4), default=2.0,
        help="Nova Poshta's fee for transferring the cash collected on delivery, as a "
        "percentage of the amount, when the sender pays it and tracking does not report "
        "the fee itself.",
    )
    novaposhta_cod_fee_fixed = fields.Float(
        "COD Fee (fixed, UAH)", digits=(16, 2), default=20.0,
        help="The fixed part of that fee.",
    )
    novaposhta_return_cost_percent = fields.Float(
        "Return Shipping (% of Waybill)", digits=(16, 2), default=100.0,
        help="What the return of a refused parcel costs the sender, as a percentage of "
        "the waybill's delivery cost.",
    )
    novaposhta_refusal_forward = fields.Boolean(
        "Sender Pays Refused Delivery", default=True,
        help="When the recipient refuses a parcel whose delivery they were to pay, the "
        "sender pays that delivery too.",
    )

    def _omni_np_cod_fee(self, amount, status=None):
        """The sender's COD transfer fee for ``amount`` collected, or 0."""
        self.ensure_one()
        if self.novaposhta_cod_payer != "sender":
            return money.quantize_uah(0)
        if status is not None and status.cod_fee is not None:
            return money.quantize_uah(status.cod_fee)
        return _percent_of(amount, self.novaposhta_cod_fee_percent) + money.quantize_uah(
            self.novaposhta_cod_fee_fixed)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    np_payer = fields.Selection(
        [("recipient", "Recipient"), ("sender", "Sender")], "Delivery Paid By",
        readonly=True, copy=False,
    )
    np_waybill_cost = fields.Float("Waybill Cost", readonly=True, copy=False, digits=(16, 2))
    np_seller_cost = fields.Float(
        "Delivery Cost to the Seller", readonly=True, copy=False, digits=(16, 2),
        help="What the seller pays Nova Poshta for this parcel: the delivery when the "
        "sender pays it, and both ways when the parcel was refused.",
    )
    np_cod_fee = fields.Float(
        "COD Fee to the Seller", readonly=True, copy=False, digits=(16, 2),
        help="Nova Poshta's fee for transferring the cash collected, when the sender pays it.",
    )

    def _omni_np_store_waybill(self, waybill, label, warnings, layout):
        res = super()._omni_np_store_waybill(waybill, label, warnings, layout)
        payer = self.carrier_id.novaposhta_payer or "recipient"
        cost = money.quantize_uah(waybill.cost or 0)
        self.write({
            "np_payer": payer,
            "np_waybill_cost": float(cost),
            "np_seller_cost": float(cost) if payer == "sender" else 0.0,
            "np_cod_fee": 0.0,
        })
        self.sale_id._omni_np_update_costs()
        return res

    def _omni_np_cod_collected(self, status):
        res = super()._omni_np_cod_collected(status)
        fee = self.carrier_id._omni_np_cod_fee(status.cod_amount, status)
        if round(self.np_cod_fee - float(fee), 2):
            self.np_cod_fee = float(fee)
            self.sale_id._omni_np_update_costs()
        return res

    def _omni_np_apply_statuses(self, by_number):
        """The transfer fee Nova Poshta reports once it pays the cash out (after the
        parcel was received) replaces the one estimated by the tariff settings."""
        res = super()._omni_np_apply_statuses(by_number)
        waiting = self.browse()
        for picking in self.filtered("np_cod_collected"):
            status = by_number.get(picking.carrier_tracking_ref)
            if status is None:
                continue
            if (status.cod_paid is False and picking.carrier_id.novaposhta_cod_payer == "sender"
                    and picking.carrier_id.novaposhta_cod_mode == "money_transfer"):
                waiting |= picking  # the fee comes with the payout: keep tracking
            if status.cod_fee is None:
                continue
            fee = picking.carrier_id._omni_np_cod_fee(status.cod_amount or 0, status)
            if round(picking.np_cod_fee - float(fee), 2):
                picking.np_cod_fee = float(fee)
                picking.sale_id._omni_np_update_costs()
        waiting.filtered("np_tracking_done").write({"np_tracking_done": False})
        return res

    def _omni_np_refusal_cost(self):
        """Both ways for a refused parcel: the forward delivery the recipient did not
        pay, plus the return."""
        self.ensure_one()
        carrier = self.carrier_id
        waybill = money.quantize_uah(self.np_waybill_cost)
        forward = waybill if (self.np_payer == "sender" or carrier.novaposhta_refusal_forward) \
            else money.quantize_uah(0)
        return forward + _percent_of(waybill, carrier.novaposhta_return_cost_percent)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _omni_on_parcel_refused(self, picking):
        res = super()._omni_on_parcel_refused(picking)
        if picking.carrier_id.delivery_type == "novaposhta" and picking.np_waybill_cost:
            picking.np_seller_cost = float(picking._omni_np_refusal_cost())
            self._omni_np_update_costs()
        return res

    def _omni_np_update_costs(self):
        """The order's delivery cost and COD fee: the sums over its Nova Poshta parcels.

        A channel that delivers itself keeps the cost of its own rule.
        """
        for order in self:
            pickings = order.picking_ids.filtered(
                lambda p: p.carrier_id.delivery_type == "novaposhta" and p.np_waybill_cost)
            if not pickings:
                continue
            vals = {}
            if order.omni_channel_id.delivery_cost_policy != "rule":
                vals["omni_delivery_cost"] = round(sum(pickings.mapped("np_seller_cost")), 2)
            vals["omni_cod_fee"] = round(sum(pickings.mapped("np_cod_fee")), 2)
            currency = order.currency_id
            if any(currency.compare_amounts(order[name], value) for name, value in vals.items()):
                order.write(vals)
