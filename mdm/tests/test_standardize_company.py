"""mdm.standardize.company: company names; table-driven, no database."""

from __future__ import annotations

import pytest

from mdm.standardize import MSG_COMPANY_NO_WORDS, NameLines, NameRoles, Standardized, name_roles, standardize
from mdm.standardize.text import _clean


@pytest.mark.parametrize(
    ("raw", "value", "core", "distinct", "legal_form", "region", "branch"),
    [
        ("华为技术有限公司", "华为技术有限公司", "华为技术", "华为", "co_ltd", None, None),
        # 终端 (devices) is not an industry word: it tells Huawei's device company apart.
        ("华为终端有限公司", "华为终端有限公司", "华为终端", "华为终端", "co_ltd", None, None),
        ("华为 技术 有限 公司", "华为 技术 有限 公司", "华为技术", "华为", "co_ltd", None, None),
        (
            "深圳市腾讯计算机系统有限公司",
            "深圳市腾讯计算机系统有限公司",
            "腾讯计算机系统",
            "腾讯",
            "co_ltd",
            "深圳",
            None,
        ),
        ("广东省深圳市华为技术有限公司", "广东省深圳市华为技术有限公司", "华为技术", "华为", "co_ltd", "深圳", None),
        ("阿里巴巴（中国）有限公司", "阿里巴巴(中国)有限公司", "阿里巴巴", "阿里巴巴", "co_ltd", "中国", None),
        ("阿里巴巴【中国】有限公司", "阿里巴巴(中国)有限公司", "阿里巴巴", "阿里巴巴", "co_ltd", "中国", None),
        (
            "百度在线网络技术（北京）有限公司",
            "百度在线网络技术(北京)有限公司",
            "百度在线网络技术",
            "百度在线",
            "co_ltd",
            "北京",
            None,
        ),
        ("ＡＢＣ　Ｃｏ．，Ｌｔｄ．", "ABC Co.,Ltd.", "abc", "abc", "co_ltd", None, None),
        ("Siemens AG", "Siemens AG", "siemens", "siemens", "joint_stock", None, None),
        ("SAP SE", "SAP SE", "sap", "sap", "joint_stock", None, None),
        ("Bosch GmbH & Co. KG", "Bosch GmbH & Co. KG", "bosch", "bosch", "gmbh_co_kg", None, None),
        ("Robert Bosch GmbH", "Robert Bosch GmbH", "robertbosch", "robertbosch", "gmbh", None, None),
        ("Apple Inc.", "Apple Inc.", "apple", "apple", "inc", None, None),
        ("Foo Holdings Limited", "Foo Holdings Limited", "fooholdings", "foo", "co_ltd", None, None),
        ("Acme Corp.", "Acme Corp.", "acme", "acme", "corp", None, None),
        ("Acme LLC", "Acme LLC", "acme", "acme", "llc", None, None),
        (
            "Société Générale S.A.",
            "Société Générale S.A.",
            "societegenerale",
            "societegenerale",
            "joint_stock",
            None,
            None,
        ),
        ("Foo Co., Ltd. (joint stock)", "Foo Co., Ltd. (joint stock)", "foo", "foo", "joint_stock", None, None),
        (
            "Foo Import & Export Co., Ltd.",
            "Foo Import & Export Co., Ltd.",
            "fooimportexport",
            "foo",
            "co_ltd",
            None,
            None,
        ),
        (
            "Shenzhen Huawei Technologies Co., Ltd.",
            "Shenzhen Huawei Technologies Co., Ltd.",
            "huaweitechnologies",
            "huawei",
            "co_ltd",
            "shenzhen",
            None,
        ),
        ("Alibaba (China) Co., Ltd.", "Alibaba (China) Co., Ltd.", "alibaba", "alibaba", "co_ltd", "china", None),
        ("Foo Co., Ltd. Shanghai Branch", "Foo Co., Ltd. Shanghai Branch", "foo", "foo", "co_ltd", None, "shanghai"),
        (
            "上海振华重工（集团）股份有限公司",
            "上海振华重工(集团)股份有限公司",
            "振华重工",
            "振华",
            "group_joint_stock",
            "上海",
            None,
        ),
        (
            "中国平安保险（集团）股份有限公司",
            "中国平安保险(集团)股份有限公司",
            "中国平安保险",
            "中国平安",
            "group_joint_stock",
            None,
            None,
        ),
        ("美的集团股份有限公司", "美的集团股份有限公司", "美的", "美的", "group_joint_stock", None, None),
        ("海尔集团有限公司", "海尔集团有限公司", "海尔", "海尔", "group", None, None),
        ("美的集团", "美的集团", "美的", "美的", "group", None, None),
        (
            "招商银行股份有限公司深圳分行",
            "招商银行股份有限公司深圳分行",
            "招商银行",
            "招商",
            "joint_stock",
            None,
            "深圳",
        ),
        ("招商银行南山支行", "招商银行南山支行", "招商银行", "招商", None, None, "南山"),
        ("华为技术有限公司上海分公司", "华为技术有限公司上海分公司", "华为技术", "华为", "co_ltd", None, "上海"),
        ("华为技术有限公司（北京分公司）", "华为技术有限公司(北京分公司)", "华为技术", "华为", "co_ltd", None, "北京"),
        ("某某电子有限公司第三分厂", "某某电子有限公司第三分厂", "某某电子", "某某", "co_ltd", None, "第三"),
        ("某某机械厂办事处", "某某机械厂办事处", "某某机械厂", "某某机械厂", None, None, "办事处"),
        ("珠海格力电器股份有限公司", "珠海格力电器股份有限公司", "格力电器", "格力", "joint_stock", "珠海", None),
        # A region is only stripped when a distinctive name remains.
        ("北京银行", "北京银行", "北京银行", "北京银行", None, None, None),
        (
            "上海电气集团股份有限公司",
            "上海电气集团股份有限公司",
            "上海电气",
            "上海电气",
            "group_joint_stock",
            None,
            None,
        ),
        ("北京科技有限公司", "北京科技有限公司", "北京科技", "北京科技", "co_ltd", None, None),
        ("中国建设银行股份有限公司", "中国建设银行股份有限公司", "中国建设银行", "中国建设", "joint_stock", None, None),
        (
            "XX会计师事务所（特殊普通合伙）",
            "XX会计师事务所(特殊普通合伙)",
            "xx会计师事务所",
            "xx会计师事务所",
            "llp",
            None,
            None,
        ),
        ("某某投资合伙企业（有限合伙）", "某某投资合伙企业(有限合伙)", "某某投资", "某某", "partnership", None, None),
        ("张三五金店（个体工商户）", "张三五金店(个体工商户)", "张三五金店", "张三五金店", "sole", None, None),
        ("株式会社日立製作所", "株式会社日立製作所", "日立制作所", "日立制作所", "kk", None, None),
        ("トヨタ自動車株式会社", "トヨタ自動車株式会社", "トヨタ自动车", "トヨタ自动车", "kk", None, None),
        # A foreign company's Chinese name starts with its country: the country is its region,
        # unless too little would be left (日本电气 is NEC, 瑞士达 a Chinese brand).
        ("德国施耐德测量技术有限公司", "德国施耐德测量技术有限公司", "施耐德测量技术", "施耐德测量", "co_ltd",
         "德国", None),
        ("德國科勒機械製造有限公司", "德國科勒機械製造有限公司", "科勒机械制造", "科勒", "co_ltd", "德国", None),
        ("日本电气株式会社", "日本电气株式会社", "日本电气", "日本", "kk", None, None),
        ("瑞士达科技有限公司", "瑞士达科技有限公司", "瑞士达科技", "瑞士达", "co_ltd", None, None),
        # Traditional characters: the display keeps them, the matching keys are simplified.
        ("台灣積體電路製造股份有限公司", "台灣積體電路製造股份有限公司", "积体电路制造", "积体电路", "joint_stock",
         "台湾", None),
        # The core never becomes empty: it falls back to the whole folded name.
        ("有限公司", "有限公司", "有限公司", "有限公司", None, None, None),
        ("Company Limited", "Company Limited", "companylimited", "companylimited", None, None, None),
        ("（北京）", "(北京)", "北京", "北京", None, "北京", None),
        ("华为😀技术有限公司", "华为😀技术有限公司", "华为技术", "华为", "co_ltd", None, None),
        # a bracket after the legal form that is a region or a branch stays one
        ("Foo Ltd (HK)", "Foo Ltd (HK)", "foo", "foo", "co_ltd", "hong kong", None),
        (
            "招商银行股份有限公司（深圳分行）",
            "招商银行股份有限公司(深圳分行)",
            "招商银行",
            "招商",
            "joint_stock",
            None,
            "深圳",
        ),
        # 有线 (cable) in a name is no typo of 有限公司
        ("有线电视公司", "有线电视公司", "有线电视", "有线电视", "company", None, None),
    ],
)
def test_it_splits_company_names(
    raw: str, value: str, core: str, distinct: str, legal_form: str | None, region: str | None, branch: str | None
) -> None:
    parts = {"core": core, "distinct": distinct, "legal_form": legal_form, "region": region, "branch": branch}
    assert standardize("company_name", raw) == Standardized(value, parts)


@pytest.mark.parametrize(
    "variants",
    [
        [
            "华为技术有限公司",
            "华为技术有限责任公司",
            "深圳市华为技术有限公司",
            "华为技术（深圳）有限公司",
            "  华为技术有限公司\u200b",
        ],
        ["ABC Co., Ltd.", "ＡＢＣ　Ｃｏ．，Ｌｔｄ．", "abc company limited", "ABC Ltd", "ABC Co.,Ltd", "ABC Limited"],
        ["Huawei Technologies Co., Ltd.", "Shenzhen Huawei Technologies Co., Ltd.", "HUAWEI TECHNOLOGIES CO LTD"],
        ["鸿海精密工业股份有限公司", "鴻海精密工業股份有限公司"],
        ["株式会社三和精機", "三和精机株式会社", "日本三和精机株式会社"],
        # legal forms written out in full, or with a typo
        ["Zimmermann Antriebstechnik AG", "Zimmermann Antriebstechnik Aktiengesellschaft"],
        ["Meijer Verpakkingen B.V.", "Meijer Verpakkingen Besloten Vennootschap"],
        ["Dupont SA", "Dupont Société Anonyme", "Dupont S.A."],
        ["Kestrel Systems Ltd", "Kestrel Systems Limitted", "Kestrel Systems Compnay"],
        ["远创供应链管理有限公司", "远创供应链管理有线公司", "远创供应链管理有限公斯"],
        # a status before the name, a remark or a department after its legal form
        ["宇安商贸有限责任公司", "宇安商贸有限责任公司(新)", "宇安商贸有限公司（老客户）", "*停用*宇安商贸有限公司",
         "作废-宇安商贸有限公司", "宇安商贸有限公司-行政部"],
        ["Acme Trading GmbH", "Acme Trading GmbH (alt)", "BLOCKED - Acme Trading GmbH"],
        # Singaporean and Indian forms spelt out, or cut short by a field's length
        ["Straits Bay Trading Pte. Ltd.", "Straits Bay Trading Pte. Limited.", "Straits Bay Trading Pte"],
        ["Bharat Balaji Exports Pvt. Ltd.", "Bharat Balaji Exports Private Limited", "Bharat Balaji Exports Private"],
        ["Schäfer Kunststofftechnik GmbH & Co. KG", "Schäfer Kunststofftechnik GmbH &"],
        # a space shifted into the legal form
        ["Ashford Industrial Ltd", "Ashford IndustrialL td", "Ashford Industrial L td"],
        ["Redwood Controls Inc.", "Redwood ControlsI nc."],
        ["Kumho Industrial Co., Ltd.", "Kumho Industrial Co.,L td."],
        ["Ironline Fasteners LLC", "Ironline FastenersL LC"],
    ],
)
def test_it_gives_name_variants_the_same_core(variants: list[str]) -> None:
    assert len({standardize("company_name", name).parts["core"] for name in variants}) == 1


@pytest.mark.parametrize(
    ("raw", "legal_form"),
    [
        ("Schäfer Kunststofftechnik G.m.b.H. & Co. KG", "gmbh_co_kg"),
        ("Straits Bay Trading Pte. Limited.", "co_ltd"),
        ("Redwood ControlsI nc.", "inc"),
    ],
)
def test_it_reads_the_legal_form_however_it_is_written(raw: str, legal_form: str) -> None:
    assert standardize("company_name", raw).parts["legal_form"] == legal_form


def test_it_keeps_a_word_that_ends_with_a_legal_form():
    assert standardize("company_name", "Acme Zinc").parts["core"] == "acmezinc"


@pytest.mark.parametrize("raw", ["😀", "***", "（）"])
def test_it_rejects_company_names_without_letters(raw: str) -> None:
    result = standardize("company_name", raw)
    assert result.value is None
    assert result.problems == (MSG_COMPANY_NO_WORDS.format(raw=f"'{_clean(raw)}'"),)
    assert not result.fatal


# --- a name over several columns ---------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "roles"),
    [
        (("上海铭骏食品有限公司", "行政部"), NameRoles("上海铭骏食品有限公司", contacts=("行政部",))),
        (("ACME Corp", "c/o Finance"), NameRoles("ACME Corp", contacts=("c/o Finance",))),
        (("ACME Corp", "Procurement Department"), NameRoles("ACME Corp", contacts=("Procurement Department",))),
        (("华为技术有限公司", "Huawei Technologies Co., Ltd."),
         NameRoles("华为技术有限公司", translations=("Huawei Technologies Co., Ltd.",))),
        (("Siemens AG", "formerly Siemens & Halske"), NameRoles("Siemens AG", aliases=("Siemens & Halske",))),
        (("Siemens AG", "Siemens Healthineers"), NameRoles("Siemens AG", aliases=("Siemens Healthineers",))),
        (("北京华为技术有限公司", "上海分公司"), NameRoles("北京华为技术有限公司上海分公司")),
        (("ABC Trading Co., Ltd.", "Shanghai Branch"), NameRoles("ABC Trading Co., Ltd. Shanghai Branch")),
        (("Bosch Rexroth", "AG"), NameRoles("Bosch Rexroth AG")),
        (("Müller Präzisionstechnik GmbH & Co.", "KG"), NameRoles("Müller Präzisionstechnik GmbH & Co. KG")),
        (("Internationale Handelsgesellschaft", "mbH"), NameRoles("Internationale Handelsgesellschaft mbH")),
        (("Zhengzhou Guangan Pharmaceutical Te", "chnology Co., Ltd."),  # cut at the width, in a word
         NameRoles("Zhengzhou Guangan Pharmaceutical Technology Co., Ltd.")),
        (("", "深圳市腾讯计算机系统有限公司", "", ""), NameRoles("深圳市腾讯计算机系统有限公司")),
    ],
)
def test_standardization_decides_what_each_line_of_a_name_is(lines, roles) -> None:
    assert name_roles(NameLines(lines, 35)) == roles
