"""Profiles (in the project's YAML profile format) for the layouts this generator invents.

Only the options mdm/ingest/profiles.py knows are used: domain, key (one column or a list),
records (JSON path), csv_delimiter, deleted {field, equals}, and per attribute a column, a
list of columns (joined with a space), or {field|fields, join, date_format, default, map}.
The SAP layouts are not here: their files name the shipped profiles (sap_kna1, sap_lfa1,
sap_mara, sap_a_businesspartner).
"""

from __future__ import annotations

import yaml

from bench.heldout.vocab import COUNTRIES

CN_COUNTRY_ZH = {"中国": "CN", "中华人民共和国": "CN", **{v["zh"]: k for k, v in COUNTRIES.items()}}
COUNTRY_EN = {"China": "CN", "CHINA": "CN", "People's Republic of China": "CN", "PRC": "CN", "P.R. China": "CN"}
for _code, _c in COUNTRIES.items():
    for _n in _c["names"]:
        COUNTRY_EN[_n] = _code
PAY_ZH = {
    "月结30天": "NT30",
    "月结60天": "NT60",
    "月结90天": "NT90",
    "货到付款": "COD",
    "预付款": "PREPAID",
    "款到发货": "PREPAID",
    "票到30天": "NT30",
}
PAY_EN = {
    "Net 30": "NT30",
    "NET30": "NT30",
    "30 days net": "NT30",
    "Net 60": "NT60",
    "Net 90": "NT90",
    "Prepayment": "PREPAID",
    "Immediate": "COD",
}

PROFILES = {
    "crm_cn_customer": {
        "_comment": "Chinese CRM customer list (客户列表 export), GB18030 CSV as Excel saves it on a Chinese Windows. "
        "税号 holds whatever the sales rep had: a unified social credit code, an old 9-character "
        "organisation code or a 15-character tax registration number.",
        "domain": "customer",
        "csv_delimiter": ",",
        "key": "客户编号",
        "deleted": {"field": "客户状态", "equals": "已作废"},
        "fields": {
            "name": "客户名称",
            "short_name": "客户简称",
            "name_en": "英文名称",
            "tax_id": "税号",
            "phone": "公司电话",
            "email": "联系人邮箱",
            "website": "公司网址",
            "address": "详细地址",
            "city": "城市",
            "province": "省份",
            "postcode": "邮编",
            "country": {"field": "国家", "map": CN_COUNTRY_ZH, "default": "中国"},
            "contact": "联系人",
            "industry": "所属行业",
            "changed_at": {"field": "最后修改时间", "date_format": "%Y/%m/%d %H:%M"},
        },
    },
    "dyn365_account": {
        "_comment": "Microsoft Dynamics 365 Sales accounts exported to Excel (Export to Excel: the first three "
        "hidden '(Do Not Modify)' columns carry the record id, a checksum and the modification time). "
        "VAT Number is a custom field.",
        "domain": "customer",
        "key": "(Do Not Modify) Account",
        "deleted": {"field": "Status", "equals": "Inactive"},
        "fields": {
            "name": "Account Name",
            "tax_id": "VAT Number",
            "phone": "Main Phone",
            "email": "Email",
            "website": "Website",
            "address": ["Address 1: Street 1", "Address 1: Street 2"],
            "city": "Address 1: City",
            "province": "Address 1: State/Province",
            "postcode": "Address 1: ZIP/Postal Code",
            "country": {"field": "Address 1: Country/Region", "map": COUNTRY_EN},
            "contact": "Primary Contact",
            "industry": "Industry",
            "changed_at": "(Do Not Modify) Modified On",
        },
    },
    "sfdc_account": {
        "_comment": "Salesforce Account extracted with Data Loader 'Export All' (deleted rows included, IsDeleted "
        "true), CSV UTF-8 with BOM. Local_Name__c (Chinese or Japanese legal name) is a custom field; "
        "the profile format has no 'first non-empty of' option, so it is left unmapped.",
        "domain": "customer",
        "csv_delimiter": ",",
        "key": "Id",
        "deleted": {"field": "IsDeleted", "equals": "true"},
        "fields": {
            "name": "Name",
            "tax_id": "Tax_ID__c",
            "phone": "Phone",
            "website": "Website",
            "address": "BillingStreet",
            "city": "BillingCity",
            "province": "BillingState",
            "postcode": "BillingPostalCode",
            "country": {"field": "BillingCountry", "map": COUNTRY_EN},
            "industry": "Industry",
            "changed_at": "LastModifiedDate",
        },
    },
    "srm_cn_supplier": {
        "_comment": "Chinese SRM supplier master from its REST API (GET /api/supplier/page), saved as the JSON "
        "response {code, message, data: {total, rows: [...]}}. Address, contacts and bank accounts are "
        "nested; the first contact and the first bank account are used.",
        "domain": "supplier",
        "records": "data.rows",
        "key": "supplierCode",
        "deleted": {"field": "status", "equals": "淘汰"},
        "fields": {
            "name": "supplierName",
            "short_name": "supplierShortName",
            "name_en": "englishName",
            "tax_id": "creditCode",
            "phone": "telephone",
            "email": "contacts.0.email",
            "contact": "contacts.0.name",
            "address": {"fields": ["address.district", "address.detail"], "join": ""},
            "city": "address.city",
            "province": "address.province",
            "country": {"field": "address.country", "map": CN_COUNTRY_ZH, "default": "中国"},
            "bank_name": "bankAccounts.0.bankName",
            "bank_account": "bankAccounts.0.bankAccount",
            "payment_terms": {"field": "paymentTerm", "map": PAY_ZH},
            "changed_at": {"field": "updateTime", "date_format": "%Y-%m-%d %H:%M:%S"},
        },
    },
    "proc_supplier": {
        "_comment": "Supplier list of a European procurement suite, exported as CSV for Excel with a German "
        "locale: ';' separated, UTF-8 with BOM, dates dd.mm.yyyy. A bank account is either an IBAN or a "
        "domestic account number, never both.",
        "domain": "supplier",
        "csv_delimiter": ";",
        "key": "Supplier Number",
        "deleted": {"field": "Status", "equals": "inactive"},
        "fields": {
            "name": "Supplier Name",
            "short_name": "Display Name",
            "tax_id": "Tax ID",
            "phone": "Primary Phone",
            "email": "Primary Contact Email",
            "contact": "Primary Contact",
            "address": ["Address Line 1", "Address Line 2"],
            "city": "City",
            "province": "State",
            "postcode": "Postal Code",
            "country": "Country Code",
            "bank_name": "Bank Name",
            "bank_account": ["IBAN", "Account Number"],
            "payment_terms": {"field": "Payment Terms", "map": PAY_EN},
            "changed_at": {"field": "Last Updated", "date_format": "%d.%m.%Y"},
        },
    },
    "purch_register": {
        "_comment": "The purchasing team's own supplier register (供应商台账.xlsx), one sheet, Chinese headers. "
        "Cells are typed as people typed them: some bank accounts and phones are numbers.",
        "domain": "supplier",
        "key": "供应商编号",
        "deleted": {"field": "合作状态", "equals": "已停止合作"},
        "fields": {
            "name": "供应商全称",
            "short_name": "简称",
            "tax_id": "税号",
            "bank_name": "开户行",
            "bank_account": "账号",
            "contact": "联系人",
            "phone": "电话",
            "email": "邮箱",
            "address": "地址",
            "payment_terms": {"field": "付款方式", "map": PAY_ZH},
            "changed_at": "录入日期",
        },
    },
    "u8_inventory": {
        "_comment": "用友 U8 存货档案 exported to CSV (GB18030). 规格型号 is filled for about half of the items; "
        "the rest keep the whole specification in 存货名称.",
        "domain": "product",
        "csv_delimiter": ",",
        "key": "存货编码",
        "deleted": {"field": "是否停用", "equals": "是"},
        "fields": {
            "name": "存货名称",
            "spec": "规格型号",
            "unit": "主计量单位",
            "category": {
                "field": "存货分类名称",
                "map": {
                    "紧固件": "FAST",
                    "电子元器件": "ELEC",
                    "轴承": "BEAR",
                    "密封件": "SEAL",
                    "电线电缆": "CABL",
                    "阀门管件": "VALV",
                    "机加工件": "PART",
                    "低值易耗品": "CONS",
                    "化学品": "CHEM",
                    "食堂用品": "FOOD",
                },
            },
            "changed_at": "变更日期",
        },
    },
    "plm_items": {
        "_comment": "PLM item export (tab separated UTF-8 text): one row per item revision, keyed by item number and "
        "revision. Electronic parts carry their approved manufacturer and part number; drawn parts their "
        "drawing number and the drawing's revision.",
        "domain": "product",
        "csv_delimiter": "\t",
        "key": ["Item Number", "Revision"],
        "deleted": {"field": "Lifecycle Phase", "equals": "Obsolete"},
        "fields": {
            "name": "Description",
            "spec": {"fields": ["Drawing Number", "Drawing Rev", "Manufacturer Part Number"]},
            "brand": "Manufacturer",
            "unit": "UOM",
            "category": {
                "field": "Category",
                "map": {
                    "Mechanical/Fastener": "FAST",
                    "Electrical/Passive": "ELEC",
                    "Mechanical/Bearing": "BEAR",
                    "Mechanical/Seal": "SEAL",
                    "Electrical/Cable": "CABL",
                    "Fluid/Valve": "VALV",
                    "Mechanical/Machined Part": "PART",
                    "MRO/Consumable": "CONS",
                    "MRO/Chemical": "CHEM",
                    "MRO/Other": "FOOD",
                },
            },
            "changed_at": {"field": "Last Modified", "date_format": "%Y-%m-%d %H:%M:%S"},
        },
    },
    "shop_sku": {
        "_comment": "Shop / CRM product catalogue from its open API (POST /open/api/sku/list), saved as the JSON "
        "response {code, msg, data: {total, list: [...]}}. Brand and barcode are filled where the "
        "product has them; specs is a list of name/value pairs.",
        "domain": "product",
        "records": "data.list",
        "key": "skuCode",
        "deleted": {"field": "status", "equals": "DELETED"},
        "fields": {
            "name": "skuName",
            "spec": "specs.0.value",
            "brand": "brandName",
            "barcode": "barCode",
            "unit": "unitName",
            "category": {
                "field": "category.name",
                "map": {
                    "紧固件": "FAST",
                    "电子元件": "ELEC",
                    "轴承": "BEAR",
                    "密封件": "SEAL",
                    "电线电缆": "CABL",
                    "阀门": "VALV",
                    "零部件": "PART",
                    "劳保耗材": "CONS",
                    "化工用品": "CHEM",
                    "食品饮料": "FOOD",
                },
            },
            "changed_at": "updatedAt",
        },
    },
}


def profile_yaml(name: str) -> str:
    spec = dict(PROFILES[name])
    comment = spec.pop("_comment")
    body = {"name": name, "description": comment, **spec}
    head = f"# Written by bench.heldout.generate for its own export layout '{name}'.\n"
    return head + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=110)
