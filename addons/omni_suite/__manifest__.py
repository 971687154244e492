{
    "name": "Omnichannel Suite",
    "summary": "Installs the whole omni suite (Rozetka, Prom.ua, own shop, Nova Poshta, "
    "Checkbox, books, analytics) and holds the tests of the flows that cross them",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "omni",
    "website": "https://github.com/omni-ua/omni",
    "depends": [
        "omni_channel_base",
        "omni_marketplace_rozetka",
        "omni_marketplace_prom",
        "omni_website_sale",
        "omni_delivery_novaposhta",
        "omni_fiscal_checkbox",
        "omni_account",
        "omni_analytics",
    ],
    "external_dependencies": {"python": ["omni_connectors"]},
    "data": [],
    "installable": True,
}
