{
    "name": "Omnichannel Base - Odoo eCommerce as the Own Shop",
    "summary": "Orders of Odoo's own eCommerce carry an own-shop sales channel, "
    "seen in the channel reports; nothing is pushed to it",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "omni",
    "website": "https://github.com/omni-ua/omni",
    "depends": ["omni_channel_base", "website_sale"],
    "data": [
        "views/website_views.xml",
        "views/omni_channel_views.xml",
    ],
    "post_init_hook": "post_init_hook",
    "installable": True,
    "auto_install": True,
}
