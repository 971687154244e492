from decimal import Decimal

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

from omni_connectors.core import CodMethod, OmniConnectorError, Party, Payer, Seat, Shipment

TRACKING_URL = "https://novaposhta.ua/tracking/?cargo_number={number}"
SERVICE_TYPES = [
    ("WarehouseWarehouse", "Branch to branch"),
    ("WarehouseDoors", "Branch to door"),
    ("DoorsWarehouse", "Door to branch"),
    ("DoorsDoors", "Door to door"),
]


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    delivery_type = fields.Selection(
        selection_add=[("novaposhta", "Nova Poshta")],
        ondelete={"novaposhta": lambda recs: recs.write(
            {"delivery_type": "fixed", "fixed_price": 0})},
    )
    novaposhta_account_id = fields.Many2one(
        "omni.np.account", "Nova Poshta Account", ondelete="restrict",
        help="The API key and the sender; several shipping methods may share one account.",
    )
    novaposhta_service_type = fields.Selection(
        SERVICE_TYPES, "Service Type", default="WarehouseWarehouse",
        help="From where to where; a door delivery needs the recipient's street and house.",
    )
    novaposhta_payer = fields.Selection(
        [("recipient", "Recipient"), ("sender", "Sender")], "Delivery Paid By",
        default="recipient",
    )
    novaposhta_cod_mode = fields.Selection(
        [("none", "No cash on delivery"),
         ("payment_control", "Payment control (to the bank account)"),
         ("money_transfer", "Money transfer")],
        "Cash on Delivery", default="payment_control",
        help="For unpaid orders the recipient pays the goods at the branch. Payment control "
        "is the usual way for businesses; when Nova Poshta says the chosen way is not enabled "
        "for the sender, the other one is used.",
    )
    novaposhta_cod_payer = fields.Selection(
        [("recipient", "Recipient"), ("sender", "Sender")], "COD Fee Paid By",
        default="recipient",
    )
    novaposhta_seat_length = fields.Float("Default Length (cm)", default=30)
    novaposhta_seat_width = fields.Float("Default Width (cm)", default=20)
    novaposhta_seat_height = fields.Float("Default Height (cm)", default=10)
    novaposhta_default_weight = fields.Float(
        "Default Weight (kg)", default=0.5, help="Used when the products have no weight."
    )
    novaposhta_label_layout = fields.Selection(
        [("document", "Waybill, A4"), ("marking", "Labels on A4"),
         ("100x100", "Label 100×100 mm (thermal)"), ("85x85", "Label 85×85 mm")],
        "Label Format", default="100x100",
    )
    novaposhta_description = fields.Char(
        "Contents Description", default="Товари", translate=False,
        help="What the parcel holds, printed on the waybill.",
    )

    # ------------------------------------------------------------ base hooks
    def _omni_carrier_code(self):
        if self.delivery_type == "novaposhta":
            return "nova_poshta"
        return super()._omni_carrier_code()

    # ----------------------------------------------------- provider methods
    def novaposhta_rate_shipment(self, order):
        self.ensure_one()
        _ = self.env._
        if not (order.np_city_id and self.novaposhta_account_id.sender_city_id):
            return {"success": False, "price": 0.0, "warning_message": False,
                    "error_message": _("Choose the recipient's Nova Poshta city first.")}
        weight = sum(line.product_id.weight * line.product_uom_qty
                     for line in order.order_line if not line.is_delivery)
        shipment = Shipment(
            sender=Party(city_ref=self.novaposhta_account_id.sender_city_id.ref),
            recipient=Party(city_ref=order.np_city_id.ref),
            weight=Decimal(str(max(weight, self.novaposhta_default_weight, 0.1))),
            declared_value=Decimal(str(round(order.amount_untaxed, 2))),
            description=self.novaposhta_description or "Товари",
            service_type=self._omni_np_service_type(order),
        )
        try:
            with self.novaposhta_account_id._omni_session(record=order) as client:
                quote = client.rate(shipment)
        except OmniConnectorError as err:
            return {"success": False, "price": 0.0, "warning_message": False,
                    "error_message": self.novaposhta_account_id._omni_error_text(err)}
        price = self._compute_currency(order, float(quote.cost), "company_to_pricelist")
        return {"success": True, "price": price, "error_message": False,
                "warning_message": False}

    def novaposhta_send_shipping(self, pickings):
        """One waybill per picking; a picking that has one already gets it back."""
        result = []
        for picking in pickings:
            if picking.np_waybill_ref and picking.carrier_tracking_ref:
                result.append({"exact_price": picking.carrier_price,
                               "tracking_number": picking.carrier_tracking_ref})
                continue
            waybill = self._omni_np_make_waybill(picking)
            result.append({"exact_price": float(waybill.cost or 0),
                           "tracking_number": waybill.number})
        return result

    def novaposhta_get_tracking_link(self, picking):
        return TRACKING_URL.format(number=picking.carrier_tracking_ref)

    def novaposhta_cancel_shipment(self, pickings):
        for picking in pickings.filtered("np_waybill_ref"):
            account = picking.carrier_id.novaposhta_account_id
            ref = picking.np_waybill_ref
            account._omni_np_call(lambda client, ref=ref: client.cancel_waybill(ref),
                                  record=picking)
            picking.write({"np_waybill_ref": False, "np_state": "cancelled",
                           "np_tracking_done": True, "np_ttn_state": False,
                           "np_status_text": False, "np_status_code": False})
            picking.message_post(body=self.env._(
                "Nova Poshta waybill %(number)s deleted.", number=picking.carrier_tracking_ref))

    def novaposhta_tracking_state_update(self, picking):
        """delivery_state's per-picking hook; the batched path is stock.picking's."""
        picking._omni_np_track()

    # ------------------------------------------------------------ waybills
    def _omni_np_service_type(self, record):
        service = self.novaposhta_service_type or "WarehouseWarehouse"
        start = service.removesuffix("Warehouse").removesuffix("Doors")
        if record.np_delivery_kind == "door":
            return f"{start}Doors"
        return f"{start}Warehouse"

    def _omni_np_sender(self):
        account = self.novaposhta_account_id
        _ = self.env._
        problems = []
        if not account:
            problems.append(_("the shipping method has no Nova Poshta account"))
        else:
            if not (account.sender_ref and account.contact_ref and account.sender_phone):
                problems.append(_("load the sender on the Nova Poshta account"))
            if not (account.sender_city_id and account.sender_warehouse_id):
                problems.append(_("choose the sender's city and branch on the account"))
        if problems:
            raise UserError(_("Nova Poshta is not set up: %(problems)s.",
                              problems="; ".join(problems)))
        return Party(
            counterparty_ref=account.sender_ref, contact_ref=account.contact_ref,
            city_ref=account.sender_city_id.ref, warehouse_ref=account.sender_warehouse_id.ref,
            phone=account.sender_phone,
        )

    def _omni_np_weight(self, picking):
        weight = picking.shipping_weight or picking._get_estimated_weight()
        return max(weight or self.novaposhta_default_weight or 0.1, 0.1)

    def _omni_np_shipment(self, picking):
        """The neutral shipment of ``picking``; clear errors before any call."""
        _ = self.env._
        problems = picking._np_recipient_problems()
        if problems:
            raise UserError(_("Nova Poshta waybill for %(picking)s: %(problems)s.",
                              picking=picking.name, problems="; ".join(problems)))
        sender = self._omni_np_sender()
        weight = self._omni_np_weight(picking)
        dims = (self.novaposhta_seat_length or 30, self.novaposhta_seat_width or 20,
                self.novaposhta_seat_height or 10)
        value = picking._omni_np_declared_value()
        warehouse = picking.np_warehouse_id
        if picking.np_delivery_kind != "door" and warehouse.kind == "postomat":
            limits = warehouse._np_limit_problems(weight, *dims, value=value)
            if limits:
                raise UserError(_("The parcel of %(picking)s does not fit the parcel locker: "
                                  "%(problems)s. Choose a branch instead.",
                                  picking=picking.name, problems="; ".join(limits)))
        recipient = Party(
            first_name=picking.np_first_name.strip(), last_name=picking.np_last_name.strip(),
            middle_name=(picking.np_middle_name or "").strip(), phone=picking.np_phone,
            email=picking.partner_id.email or "", city_ref=picking.np_city_id.ref,
            city_name=picking.np_city_id.name, warehouse_ref=warehouse.ref or "",
            warehouse_number=warehouse.number or "", street=picking.np_street or "",
            house=picking.np_house or "", flat=picking.np_flat or "",
        )
        cod = picking.np_cod_amount if self.novaposhta_cod_mode != "none" else 0
        service = self._omni_np_service_type(picking)
        if warehouse.kind == "postomat" and service == "WarehouseWarehouse":
            service = "WarehousePostomat"
        try:
            return Shipment(
                sender=sender, recipient=recipient,
                weight=Decimal(str(round(weight, 3))),
                declared_value=Decimal(str(round(max(value, cod or 0), 2))),
                description=self.novaposhta_description or "Товари",
                places=(Seat(Decimal(str(round(weight, 3))), *(Decimal(str(d)) for d in dims)),),
                cash_on_delivery=Decimal(str(round(cod, 2))) if cod else None,
                cod_method=CodMethod(self.novaposhta_cod_mode)
                if self.novaposhta_cod_mode != "none" else CodMethod.PAYMENT_CONTROL,
                payer=Payer(self.novaposhta_payer or "recipient"),
                cod_payer=Payer(self.novaposhta_cod_payer or "recipient"),
                service_type=service,
                note=picking.origin or "",
            )
        except ValueError as err:
            raise UserError(_("Nova Poshta waybill for %(picking)s: %(error)s",
                              picking=picking.name, error=str(err))) from err

    def _omni_np_make_waybill(self, picking, in_job=False):
        """Create (or find again) the waybill of ``picking``, attach its label, tell the buyer."""
        self.ensure_one()
        shipment = self._omni_np_shipment(picking)
        reference = picking._omni_np_reference()
        account = self.novaposhta_account_id
        layout = self.novaposhta_label_layout or "100x100"

        def work(client):
            waybill = client.create_waybill(shipment, reference)
            warnings = list(getattr(waybill, "warnings", ()) or ())
            try:
                label = client.label([waybill.number], layout=layout)
            except OmniConnectorError as err:
                label = None
                warnings.append(self.env._("The label could not be fetched (%(error)s); "
                                           "print it again later.", error=str(err)))
            return waybill, label, warnings

        if not picking.np_reference:
            picking.np_reference = reference
        waybill, label, warnings = account._omni_np_call(work, record=picking, in_job=in_job)
        picking._omni_np_store_waybill(waybill, label, warnings, layout)
        return waybill

    def _omni_np_label_name(self, number):
        return f"{self._get_delivery_label_prefix()}-{number}.pdf"

    def _omni_np_notify_buyer(self, picking):
        """E-mail (and SMS where Odoo's SMS is set up) with the TTN and the tracking link."""
        template = self.env.ref("omni_delivery_novaposhta.mail_template_np_shipped",
                                raise_if_not_found=False)
        partner = picking.partner_id
        if template and partner.email:
            picking.with_context(np_tracking_url=self.novaposhta_get_tracking_link(picking)) \
                .message_post_with_source(template, subtype_xmlid="mail.mt_comment")
        if hasattr(picking, "_message_sms") and (partner.mobile or partner.phone):
            body = self.env._(
                "Your order %(order)s is sent by Nova Poshta, waybill %(number)s: %(link)s",
                order=picking.origin or picking.name, number=picking.carrier_tracking_ref,
                link=self.novaposhta_get_tracking_link(picking),
            )
            picking._message_sms(body, partner_ids=partner.ids)

    def _omni_np_message(self, picking, waybill, warnings):
        _ = self.env._
        lines = [_("Nova Poshta waybill %(number)s created.", number=waybill.number)]
        if waybill.cost is not None:
            cost = format(waybill.cost, ".2f")
            lines.append(_("Delivery cost: %(cost)s UAH.", cost=cost))
        if getattr(waybill, "cod_method", ""):
            amount = format(picking.np_cod_amount, ".2f")
            lines.append(_("Cash on delivery: %(amount)s UAH (%(how)s).",
                           amount=amount,
                           how=dict(self._fields["novaposhta_cod_mode"]._description_selection(
                               self.env)).get(waybill.cod_method, waybill.cod_method)))
        lines += [_("Nova Poshta warns: %(warning)s", warning=w) for w in warnings]
        return Markup("<br/>").join(lines)
