"""The fact sheet's example payloads (docs/apis/rozetka.md section 6), as sent on the wire."""

LOGIN = {
    "success": True,
    "content": {
        "id": 4412, "access_token": "q7Tn2LmVx9RkPa81ZcYwHs5dBe3GfJu0Kio4",
        "permissions": ["order_edit", "correspondence"], "roles": ["default_owner"],
        "seller": {"fio": "Коваленко Олена Петрівна", "email": "shop.manager@example.ua",
                   "wizard": False,
                   "first_phone": {"id": 901, "phone_number": "+380671234567",
                                   "confirmed": True}},
        "market": {"id": 20871, "logo": None, "business_model": "b2c", "title": "Затишна Оселя",
                   "title_translit": "zatyshna-oselia",
                   "market_url": "https://rozetka.com.ua/seller/zatyshna-oselia",
                   "war_block": False, "status": 6, "status_label": "Активний",
                   "status_description": "",
                   "status_transfer_reason": {"label": "", "description": ""},
                   "fulfillment_available": False},
        "raising": None, "needInterview": False, "lang": "uk", "poll_link": ""},
}

ORDER = {
    "id": 905812347, "created": "2025-11-03 09:14:27", "changed": "2025-11-03 09:14:27",
    "amount": "1298.00", "amount_with_discount": "1198.00", "cost": "1298.00",
    "cost_with_discount": "1198.00", "status": 1, "status_group": 1,
    "items_photos": [{"id": 412907733,
                      "url": "https://content.rozetka.com.ua/goods/images/preview/1.jpg",
                      "item_name": "Плед флісовий 150x200 сірий",
                      "item_url": "https://rozetka.com.ua/412907733/p412907733/",
                      "item_price": "599.00"}],
    "seller_comment": [], "seller_comment_created": "", "current_seller_comment": "",
    "comment": "Подзвоніть, будь ласка, після 18:00", "user_phone": "380671234567",
    "user_title": {"first_name": "Олена", "last_name": "Бондаренко", "second_name": "Іванівна",
                   "full_name": "Бондаренко Олена Іванівна"},
    "recipient_phone": "380671234567",
    "recipient_title": {"first_name": "Олена", "last_name": "Бондаренко",
                        "second_name": "Іванівна", "full_name": "Бондаренко Олена Іванівна"},
    "from_warehouse": 0, "ttn": "", "total_quantity": 2, "mk_created": False,
    "can_copy": False, "created_type": 4, "is_viewed": False, "callback_off": 0,
    "is_fulfillment": False, "duplicate_order_id": None, "is_delivery_edit_available": True,
    "can_prolong": False, "is_review_request_send": 0,
    "review_request_status": "Запит на відгук не відправлено",
    "delivery": {"delivery_service_id": 5, "delivery_service_name": "Нова Пошта",
                 "delivery_method_id": 1, "recipient_title": "Бондаренко Олена Іванівна",
                 "recipient_first_name": "Олена", "recipient_last_name": "Бондаренко",
                 "recipient_second_name": "Іванівна", "recipient_phone": "380671234567",
                 "another_recipient": False, "place_id": 58213, "pickup_rz_id": "np-58213",
                 "pickup_type": 0, "place_street": "вул. Січових Стрільців",
                 "place_number": "17", "place_house": "24", "place_flat": None, "cost": None,
                 "reserve_date": "2025-11-10", "delivery_date": None, "email": None,
                 "city": {"id": 1, "name": "Киев", "name_ua": "Київ", "title": "Київ",
                          "region_title": "Київська обл.", "status": 1},
                 "ref_id": "7b422fc5-e1b8-11e3-8c4a-0050568002cf", "name_logo": "nova-pochta"},
    "purchases": [{"id": 300114562, "item_id": 412907733,
                   "item_name": "Плед флісовий 150x200 сірий", "price": "649.00",
                   "price_with_discount": "599.00", "cost": "1298.00",
                   "cost_with_discount": "1198.00", "quantity": 2, "kit_id": 0, "status": 1,
                   "conf_details": None, "ttn": None, "order_status": None,
                   "is_additional_item": False,
                   "item": {"id": 412907733, "name": "Плед флисовый 150x200 серый",
                            "name_ua": "Плед флісовий 150x200 сірий", "article": "PL-150-GR",
                            "price_offer_id": "10457", "price": "649.00",
                            "catalog_category": {"id": 4654321, "name": "Пледи",
                                                 "parent_id": 4654000},
                            "url": "https://rozetka.com.ua/412907733/p412907733/"}}],
    "payment": {"payment_method_id": 1, "payment_method_name": "Оплата під час отримання товару",
                "payment_type": "cash", "payment_type_title": "Готівкова",
                "payment_status": None, "credit": None},
}

ORDER_SEARCH = {
    "success": True,
    "content": {
        "orders": [ORDER],
        "_meta": {"totalCount": 1, "pageCount": 1, "currentPage": 1, "perPage": 20},
        "totalFields": {"amount": "1298.00", "amount_with_discount": "1198.00",
                        "cost": "1298.00", "cost_with_discount": "1198.00"},
    },
}

ORDER_DETAIL = {
    "success": True,
    "content": {"id": 905812347, "created": "2025-11-03 09:14:27",
                "changed": "2025-11-03 09:20:02", "amount": "1298.00",
                "amount_with_discount": "1198.00", "cost": "1298.00",
                "cost_with_discount": "1198.00", "status": 26, "status_group": 1,
                "user_phone": "380671234567", "ttn": "", "comment": "",
                "status_data": {"id": 26, "name": "Обрабатывается менеджером",
                                "name_uk": "Обробляється менеджером",
                                "name_en": "Processed by the manager", "status_group": 1,
                                "status": 1, "color": "#00A046"},
                "status_available": [
                    {"id": 311, "parent_id": 26, "child_id": 2, "delivery_type": 0,
                     "market_group": 0},
                    {"id": 312, "parent_id": 26, "child_id": 18, "delivery_type": 0,
                     "market_group": 0}]},
}

MASS_UPDATE_PARTIAL = {
    "success": False,
    "errors": {"412908002": {"reason": [
        {"id": 2, "value": ["Ціна відрізняється від поточної більш ніж у 1,5 раза"]}]}},
}

SESSION_EXPIRED = {"success": False, "errors": {
    "message": "session_expired", "code": 6001,
    "description": "Сесія закінчилася, авторизуйтеся повторно", "details": None}}

TTN_MISSING = {"success": False, "errors": {
    "message": "check_correctness_of_data", "code": 1005,
    "description": "Перевірте правильність введених даних",
    "details": {"ttn": ["Необхідно заповнити «ТТН»."]}}}
