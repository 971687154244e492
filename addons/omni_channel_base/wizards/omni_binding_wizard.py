from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from omni_connectors.core import errors as cerr

from ..models.omni_product_binding import _offer_keys


class OmniBindingWizard(models.TransientModel):
    _name = "omni.binding.wizard"
    _description = "Publish or Match Products on a Channel"

    channel_id = fields.Many2one("omni.channel", required=True)
    mode = fields.Selection(
        [
            ("publish", "Publish the selected products"),
            ("match", "Match the channel's existing offers"),
        ],
        default="publish",
        required=True,
    )
    match_by = fields.Selection(
        [("default_code", "Internal Reference"), ("barcode", "Barcode")],
        default="default_code",
        required=True,
        help="The product field whose value is the offer's SKU on the channel.",
    )
    product_ids = fields.Many2many("product.product", string="Products")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    matched_count = fields.Integer("Matched", readonly=True)
    unmatched_count = fields.Integer("Not Matched", readonly=True)
    duplicate_count = fields.Integer("Duplicates", readonly=True)
    report = fields.Text(readonly=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model == "product.template" and ids:
            res["product_ids"] = [(6, 0, self.env[model].browse(ids).product_variant_ids.ids)]
        elif model == "product.product" and ids:
            res["product_ids"] = [(6, 0, ids)]
        elif model == "omni.channel" and ids:
            res["channel_id"] = ids[0]
            res["mode"] = "match"
        return res

    def _bound_products(self):
        bindings = self.env["omni.product.binding"].with_context(active_test=False).search(
            [("channel_id", "=", self.channel_id.id)]
        )
        return set(bindings.product_id.ids)

    def action_run(self):
        self.ensure_one()
        if self.mode == "publish":
            counts, lines = self._publish()
        else:
            counts, lines = self._match()
        self.write({
            "state": "done",
            "matched_count": counts["matched"],
            "unmatched_count": counts["unmatched"],
            "duplicate_count": counts["duplicate"],
            "report": "\n".join(lines) or self.env._("Nothing to report."),
        })
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _publish(self):
        if not self.product_ids:
            raise UserError(self.env._("Select the products to publish first."))
        Binding = self.env["omni.product.binding"]
        bound_products = self._bound_products()
        counts = defaultdict(int)
        lines = []
        keys = defaultdict(list)
        for product in self.product_ids:
            keys[product[self.match_by] or ""].append(product)
        taken = Binding._omni_find_by_keys(self.channel_id, keys, active_test=False)
        to_create = []
        for key, products in keys.items():
            for product in products:
                if product.id in bound_products:
                    counts["matched"] += 1
                    continue
                if not key:
                    counts["unmatched"] += 1
                    lines.append(self.env._("%(product)s: no value to use as SKU.",
                                            product=product.display_name))
                elif len(products) > 1 or (key in taken and taken[key].product_id != product):
                    counts["duplicate"] += 1
                    lines.append(self.env._("%(product)s: SKU %(sku)s is used more than once.",
                                            product=product.display_name, sku=key))
                else:
                    counts["matched"] += 1
                    to_create.append({"channel_id": self.channel_id.id,
                                      "product_id": product.id, "sku": key})
        self.env["omni.product.binding"].create(to_create)
        return counts, lines

    def _match(self):
        channel = self.channel_id
        try:
            with channel._omni_session() as adapter:
                offers = list(adapter.list_offers())
        except cerr.OmniConnectorError as err:
            raise channel._omni_translate_error(err, in_job=False) from err
        Binding = self.env["omni.product.binding"]
        bound_offers = Binding._omni_match_offers(channel, offers, active_test=False)
        already = {id(offer) for offer in bound_offers.values()}
        domain = [(self.match_by, "!=", False)]
        if self.product_ids:
            domain.append(("id", "in", self.product_ids.ids))
        wanted = {key for offer in offers for key in _offer_keys(offer)}
        products = defaultdict(list)
        for product in self.env["product.product"].search(
            domain + [(self.match_by, "in", list(wanted))]
        ):
            products[product[self.match_by]].append(product)
        bound_products = self._bound_products()
        counts = defaultdict(int)
        lines = []
        to_create = []
        for offer in offers:
            sku = offer.sku or offer.key
            if id(offer) in already:
                counts["matched"] += 1
                continue
            # the product whose value is one of the offer's keys, SKU first
            found = next(
                (products[key] for key in _offer_keys(offer, sku_first=True) if key in products),
                [],
            )
            if len(found) > 1:
                counts["duplicate"] += 1
                lines.append(self.env._(
                    "Offer %(sku)s: %(count)s products share this value.",
                    sku=sku, count=len(found)))
            elif not found:
                counts["unmatched"] += 1
                lines.append(self.env._("Offer %(sku)s (%(name)s): no product found.",
                                        sku=sku, name=offer.name or "-"))
            elif found[0].id in bound_products:
                counts["matched"] += 1
            else:
                counts["matched"] += 1
                bound_products.add(found[0].id)
                to_create.append({"channel_id": channel.id, "product_id": found[0].id,
                                  "sku": sku, "external_id": offer.key})
        self.env["omni.product.binding"].create(to_create)
        return counts, lines
