{
    "name": "Omnichannel: Prom.ua",
    "summary": "Prom.ua marketplace channel: orders in, stock and prices out, "
    "statuses and waybills back",
    "version": "18.0.1.1.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "omni",
    "website": "https://github.com/omni-ua/omni",
    "depends": ["omni_channel_base"],
    "external_dependencies": {"python": ["omni_connectors"]},
    "data": [
        "data/queue_job_data.xml",
        "views/omni_channel_views.xml",
        "views/omni_external_order_views.xml",
    ],
    "installable": True,
}
