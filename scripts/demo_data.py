"""Load the demo data into an omni database through the ORM, idempotently.

    python3 scripts/demo_data.py --db omni_demo --urls '{"rozetka": "http://127.0.0.1:8171", ...}'

Run by scripts/demo.py once the addons are installed and the Nova Poshta
simulator listens (the account loads its directory and sender from it).
Everything is found by a stable key (product SKU, channel name, account
name) and only created or pointed at the simulators when missing or
different: a second run changes nothing else (stock, prices and orders the
visitor made stay). Prints one JSON object on stdout: the products with the
quantity each channel should show, and the own shop's channel id and API key.
"""

import argparse
import base64
import contextlib
import datetime
import json
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["TZ"] = "UTC"

_logger = logging.getLogger("omni.demo")

COMPANY = "Затишна Оселя"
WAREHOUSE = "Склад Київ"
CHANNELS = {"rozetka": "Rozetka", "prom": "Prom.ua", "shop": "Власний сайт"}
SHOP_SECRET = "demo-shop-webhook-secret"
SHOP_KEY_NAME = "Демо-сайт"
ROZETKA_LOGIN, ROZETKA_PASSWORD = "shop.manager@example.ua", "Secret-Pass-123"
PROM_TOKEN = "prom-sandbox-token"
NP_KEY = "np-sandbox-key-0001"
#: Rozetka's item ids of the demo products (its own ids: the simulator lists them so)
ROZETKA_ITEM_BASE = 600100000
ROZETKA_COMMISSION = 12.0
CHECKBOX = {"login": "cashier", "password": "secret-pass", "pin": "1234",
            "license_key": "test-license-key"}


def addons_path():
    if os.environ.get("ODOO_ADDONS_PATH"):
        return os.environ["ODOO_ADDONS_PATH"]
    import odoo

    odoo_root = Path(odoo.__file__).resolve().parent.parent
    parts = [ROOT / "addons"]
    parts += [p for p in (odoo_root / "addons", odoo_root / "odoo" / "addons") if p.is_dir()]
    return ",".join(str(p) for p in parts)


def ensure(model, domain, vals, update=None):
    """The record matching ``domain``, created with ``vals`` if missing; ``update``
    is written only where it differs (the simulators' URLs, for instance)."""
    record = model.search(domain, limit=1)
    if not record:
        return model.create({**vals, **(update or {})}), True
    changed = {k: v for k, v in (update or {}).items() if record[k] != v and not (
        hasattr(record[k], "id") and record[k].id == v)}
    if changed:
        record.write(changed)
    return record, False


def load_company(env):
    company = env.ref("base.main_company")
    ukraine = env.ref("base.ua")
    uah = env.ref("base.UAH")
    if not uah.active:
        uah.active = True
    if company.name != COMPANY:
        company.write({"name": COMPANY, "country_id": ukraine.id, "city": "Київ",
                       "street": "вул. Хрещатик, 1", "phone": "+380441234567",
                       "email": "shop@example.ua"})
    if company.chart_template != "ua_psbo":
        _logger.info("loading the Ukrainian chart of accounts")
        env["account.chart.template"].try_loading("ua_psbo", company, install_demo=False)
        env.invalidate_all()
    if company.currency_id != uah:
        company.currency_id = uah
    # no SMS to buyers from a demo (stock_sms would ask at the first validation)
    if "stock_move_sms_validation" in company and company.stock_move_sms_validation:
        company.write({"stock_move_sms_validation": False,
                       "has_received_warning_stock_sms": True})
    return company


def load_warehouse(env, company):
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    if warehouse.name != WAREHOUSE:
        warehouse.name = WAREHOUSE
    return warehouse


def load_products(env, company, warehouse, catalog, product_image):
    Product = env["product.product"].with_context(active_test=False)
    Category = env["product.category"]
    parent, _new = ensure(Category, [("name", "=", "Товари для дому"), ("parent_id", "=", False)],
                          {"name": "Товари для дому"})
    products = Product.browse()
    created = 0
    for item in catalog:
        category, _new = ensure(Category, [("name", "=", item["category"]),
                                           ("parent_id", "=", parent.id)],
                                {"name": item["category"], "parent_id": parent.id})
        product = Product.search([("default_code", "=", item["sku"])], limit=1)
        if not product:
            product = Product.create({
                "name": item["name"],
                "default_code": item["sku"],
                "barcode": item["barcode"],
                "is_storable": True,
                "categ_id": category.id,
                "list_price": float(item["price"]),
                "standard_price": float(item["cost"]),
                "weight": item["weight"],
                "taxes_id": [(6, 0, [])],  # a single-tax FOP: no VAT
                "supplier_taxes_id": [(6, 0, [])],
                "image_1920": base64.b64encode(product_image(item)),
            })
            env["stock.quant"].with_context(inventory_mode=True).create({
                "product_id": product.id, "location_id": warehouse.lot_stock_id.id,
                "inventory_quantity": item["quantity"],
            }).action_apply_inventory()
            created += 1
        products |= product
    _logger.info("products: %d, %d created", len(products), created)
    return products


def load_novaposhta(env, company, url, delivery_product_name="Доставка Новою Поштою"):
    from odoo import fields

    Account = env["omni.np.account"]
    account, created = ensure(Account, [("name", "=", "Нова Пошта (пісочниця)")],
                              {"name": "Нова Пошта (пісочниця)", "api_key": NP_KEY},
                              {"api_url": url, "print_url": url})
    if created or not account.sender_ref:
        # the sync writes its progress on the account in transactions of its own:
        # a new transaction after each call sees it
        env.cr.commit()
        account._omni_np_sync_directory()
        env.cr.commit()
        account.action_load_sender()
        env.cr.commit()
        kyiv = env["omni.np.city"].search([("name", "=", "Київ")], limit=1)
        branch = kyiv.warehouse_ids.filtered(lambda w: w.kind == "branch")[:1]
        account.write({"sender_city_id": kyiv.id, "sender_warehouse_id": branch.id})
    # the demo moves parcels in minutes: tracking refreshed every minute (2 hours by default)
    cron = env.ref("omni_delivery_novaposhta.ir_cron_omni_np_track", raise_if_not_found=False)
    if cron and (cron.interval_number, cron.interval_type) != (1, "minutes"):
        cron.write({"interval_number": 1, "interval_type": "minutes"})
    soon = fields.Datetime.now() + datetime.timedelta(minutes=1)
    if cron and cron.nextcall > soon:  # planned 2 hours ahead at installation
        cron.nextcall = fields.Datetime.now()
    product, _new = ensure(env["product.product"], [("name", "=", delivery_product_name),
                                                    ("type", "=", "service")],
                           {"name": delivery_product_name, "type": "service",
                            "taxes_id": [(6, 0, [])], "list_price": 0})
    carrier, _new = ensure(env["delivery.carrier"], [("delivery_type", "=", "novaposhta")],
                           {"name": "Нова Пошта", "delivery_type": "novaposhta",
                            "product_id": product.id,
                            "novaposhta_account_id": account.id,
                            "novaposhta_cod_mode": "payment_control"})
    return account, carrier


def load_checkbox(env, url):
    register, _new = ensure(env["omni.checkbox.register"], [("name", "=", "Каса сайту")], {
        "name": "Каса сайту",
        "license_key": CHECKBOX["license_key"],
        "cashier_login": CHECKBOX["login"],
        "cashier_password": CHECKBOX["password"],
        "cashier_pin": CHECKBOX["pin"],
        "is_vat_payer": False,
        "is_default": True,
    }, {"api_url": url})
    return register


def load_channels(env, company, warehouse, products, urls):
    pricelist, _new = ensure(env["product.pricelist"], [("name", "=", "Ціни каналів")],
                             {"name": "Ціни каналів", "currency_id": company.currency_id.id})
    common = {"warehouse_ids": [(6, 0, warehouse.ids)], "pricelist_id": pricelist.id}
    Channel = env["omni.channel"]
    channels = {}
    channels["rozetka"], _new = ensure(
        Channel, [("channel_type", "=", "rozetka"), ("name", "=", CHANNELS["rozetka"])],
        {"name": CHANNELS["rozetka"], "channel_type": "rozetka", **common,
         "rozetka_login": ROZETKA_LOGIN, "rozetka_password": ROZETKA_PASSWORD},
        {"rozetka_api_url": urls["rozetka"]})
    channels["prom"], _new = ensure(
        Channel, [("channel_type", "=", "prom"), ("name", "=", CHANNELS["prom"])],
        {"name": CHANNELS["prom"], "channel_type": "prom", **common, "prom_token": PROM_TOKEN},
        {"api_url": f"{urls['prom']}/api/v1"})
    channels["shop"], _new = ensure(
        Channel, [("channel_type", "=", "shop"), ("name", "=", CHANNELS["shop"])],
        {"name": CHANNELS["shop"], "channel_type": "shop", **common,
         "shop_webhook_secret": SHOP_SECRET},
        {"shop_webhook_url": f"{urls['shop']}/webhook"})
    # Rozetka's commission as a flat share of the order (a category's rate in the
    # seller's contract: 5-20 %); Prom reports its own on each order
    rozetka = channels["rozetka"]
    if "commission_percent" in rozetka and not (rozetka.commission_percent
                                                or rozetka.commission_rule_ids):
        rozetka.commission_percent = ROZETKA_COMMISSION
    Binding = env["omni.product.binding"]
    for channel in channels.values():
        bound = set(Binding.search([("channel_id", "=", channel.id)]).product_id.ids)
        missing = products.filtered(lambda p, bound=bound: p.id not in bound)
        if missing:
            Binding.create([{"channel_id": channel.id, "product_id": p.id} for p in missing])
    # Rozetka updates items by its own id: the demo knows it already (the simulator
    # lists each product under rozetka_item_id), as a channel whose offers were read
    unresolved = Binding.search([("channel_id", "=", channels["rozetka"].id),
                                 ("external_id", "in", (False, ""))])
    for binding in unresolved:
        binding.external_id = str(rozetka_item_id(binding.product_id.default_code))
    return channels


def rozetka_item_id(sku):
    return ROZETKA_ITEM_BASE + int(sku.rsplit("-", 1)[1])


def shop_key(env, channel, state_path):
    """The own shop's API key: kept in a file beside the filestore (mode 0600), a
    new one made only when that file is missing or its key no longer works."""
    Key = env["omni.shop.key"]
    with contextlib.suppress(OSError, ValueError):
        key = json.loads(state_path.read_text())["key"]
        if Key._omni_authenticate(channel.id, key):
            return key
    Key.search([("channel_id", "=", channel.id), ("name", "=", SHOP_KEY_NAME)]).write(
        {"active": False})
    _record, key = Key._omni_generate(channel, SHOP_KEY_NAME)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps({"key": key}))
    state_path.chmod(0o600)
    return key


def counters(env, channels):
    """The highest order ids, TTN and fiscal number Odoo knows: the simulators start
    afresh at each run and must not hand out one of them again."""
    cr = env.cr
    out = {}
    for name in ("rozetka", "prom"):
        cr.execute("SELECT max(external_id::bigint) FROM omni_external_order"
                   " WHERE channel_id = %s AND external_id ~ '^[0-9]{1,18}$'",
                   [channels[name].id])
        out[name] = cr.fetchone()[0] or 0
    cr.execute("SELECT max(carrier_tracking_ref::bigint) FROM stock_picking"
               " WHERE carrier_tracking_ref ~ '^[0-9]{14}$'")
    out["ttn"] = cr.fetchone()[0] or 0
    cr.execute("SELECT max(substring(fiscal_code FROM '^TEST-([0-9]+)$')::bigint)"
               " FROM omni_fiscal_receipt")
    out["fiscal"] = cr.fetchone()[0] or 0
    return out


def load(env, urls, state_path):
    from omni_sandbox.demo import catalog, product_image

    items = catalog()
    company = load_company(env)
    warehouse = load_warehouse(env, company)
    admin = env.ref("base.user_admin")
    if env["res.lang"]._lang_get("uk_UA") and admin.lang != "uk_UA":
        admin.lang = "uk_UA"
    if admin.tz != "Europe/Kyiv":
        admin.tz = "Europe/Kyiv"
    products = load_products(env, company, warehouse, items, product_image)
    # each step committed: the sync log of the calls to the simulators is written in a
    # transaction of its own, which must see the records it refers to
    env.cr.commit()
    load_novaposhta(env, company, urls["novaposhta"])
    env.cr.commit()
    load_checkbox(env, urls["checkbox"])
    channels = load_channels(env, company, warehouse, products, urls)
    key = shop_key(env, channels["shop"], state_path)
    env.cr.commit()
    by_sku = {p.default_code: p for p in products}
    offers = []
    for item in items:
        product = by_sku[item["sku"]].with_context(warehouse_id=warehouse.id)
        offers.append({"sku": item["sku"], "name": item["name"], "barcode": item["barcode"],
                       "rozetka_item_id": rozetka_item_id(item["sku"]),
                       "price": str(product.list_price),
                       "quantity": max(0, int(product.free_qty))})
    return {
        "company": company.name,
        "counters": counters(env, channels),
        "offers": offers,
        "channels": {name: channel.id for name, channel in channels.items()},
        "shop_api_key": key,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--urls", required=True, help="JSON: simulator name -> base URL")
    parser.add_argument("--state", help="file keeping the shop's API key")
    parser.add_argument("--chart-only", action="store_true",
                        help="only the company and its chart of accounts (before the "
                        "addons that refer to the journals are installed)")
    args = parser.parse_args(argv)
    urls = json.loads(args.urls)

    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.tools import config

    config.parse_config([f"--addons-path={addons_path()}", "-d", args.db,
                         "--log-level=warn", "--without-demo=all"])
    logging.getLogger("omni.demo").setLevel(logging.INFO)
    state = Path(args.state or Path(config["data_dir"]) / "omni_demo" / f"{args.db}.json")
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        if args.chart_only:
            result = {"company": load_company(env).name}
        else:
            result = load(env, urls, state)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
