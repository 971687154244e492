{
    "name": "Omnichannel Analytics",
    "summary": "What each channel really earns: profit and loss per channel, order and "
    "product after commission, delivery, acquiring and returns; RFM, refusal risk, "
    "customer value, ABC and reorder advice",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "omni",
    "website": "https://github.com/omni-ua/omni",
    "depends": ["omni_channel_base", "sale_stock", "stock_account", "mail"],
    "external_dependencies": {"python": ["omni_connectors"]},
    "data": [
        "security/omni_analytics_security.xml",
        "security/ir.model.access.csv",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "report/omni_pnl_report_views.xml",
        "report/omni_product_performance_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/omni_channel_views.xml",
        "views/product_views.xml",
        "views/omni_repurchase_views.xml",
        "wizards/omni_reorder_advice_views.xml",
        "views/omni_analytics_menus.xml",
    ],
    "installable": True,
}
