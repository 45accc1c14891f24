"""Organisation features: what standardization must make comparable, and what it must not."""

from __future__ import annotations

import pytest

from matching.features.organisation import BRAND_HEAD_CHARS, address_keys, strip_trade
from matching.features.organisation import features as organisation_features
from matching.features.text import sound_keys
from mdm.domains import get_domain


def _row(name: str, **extra: object) -> dict:
    attributes, _ = get_domain("customer").standardize({"name": name, **extra}, phone_region="CN")
    return organisation_features(attributes)


@pytest.mark.parametrize(
    "address, city, building",
    [
        ("上海滨江大道251号工业园7层", None, "251 binjiang"),
        ("上海闵行区滨江大道251号工业园7层", None, "251 binjiang"),
        ("天津创新路232号科技大厦18层", "天津市", "232 chuangxin"),
        ("南京路36号", "南京", "36 nanjing"),  # a road named after a city keeps its name
        ("北京东路5号", "上海", "5 beijingdong"),
    ],
)
def test_it_drops_a_province_or_city_glued_before_the_street(address, city, building):
    assert address_keys(address, city)[0] == building


def test_it_reads_a_chinese_street_address_as_its_english_spelling():
    assert address_keys("深圳市福田区兴业路808号") == ("808 xingye", None)
    assert address_keys("No. 808 Xingye Road, Futian District", "Shenzhen")[0] == "808 xingye"
    assert address_keys("深圳市福田区兴业路809号")[0] != "808 xingye"


def test_it_does_not_take_the_last_character_of_a_short_brand_for_a_trade():
    assert strip_trade("博拓新") == "博拓新"
    assert strip_trade("宏新方钢管") == "宏新方"
    assert strip_trade("华光新材料") == "华光"


def test_it_reads_chemical_raw_materials_in_both_scripts_as_one_trade():
    english = _row("Shenzhen Chuangyuan Chemical Materials Co., Ltd.")["nm_trade"]
    assert _row("深圳创远化工原料有限公司")["nm_trade"] == english


def test_it_keeps_unknown_latin_trade_words_as_the_trade():
    paints, automation = _row("Fischer Lacke AG"), _row("Fischer Automation AG")
    assert paints["nm_pinyin"] == automation["nm_pinyin"] == ["fischer"]
    assert paints["nm_trade"] == "lacke"
    assert automation["nm_trade"] == "automation"
    assert _row("Xing Cheng An Co., Ltd.")["nm_trade"] is None  # a brand in pinyin syllables


def test_it_lets_an_umlaut_meet_its_written_out_form():
    umlaut, written = _row("Köhler Maschinenbau GmbH"), _row("Koehler Maschinenbau GmbH")
    assert set(umlaut["nm_pinyin"]) & set(written["nm_pinyin"])
    assert umlaut["nm_key"] == written["nm_key"] == "koehler"


@pytest.mark.parametrize("name, brand", [("Ørsted A/S", "ørsted"), ("Æbelø ApS", "æbelø")])
def test_it_reads_a_name_opening_with_a_letter_accents_do_not_fold(name, brand):
    assert _row(name)["nm_pinyin"] == [brand]


def test_it_reads_the_heads_of_a_long_name_only_as_long_as_a_brand_runs():
    """Each head costs its pinyin: every head of a 9,000-character name took minutes."""
    brand = "科创智能机电设备仪器" * 6
    assert _row(f"成都{brand}有限公司")["nm_heads"] == _row(f"成都{brand[:BRAND_HEAD_CHARS + 1]}有限公司")["nm_heads"]


def test_it_tells_a_mobile_from_a_landline():
    assert _row("星晟安", phone="13912345678")["phone_kind"] == "mobile"
    assert _row("星晟安", phone="0592-3126136")["phone_kind"] == "fixed"
    assert _row("星晟安")["phone_kind"] is None


def test_it_compares_a_role_mailbox_only_through_its_domain():
    role, person = _row("星晟安", email="info@xingchengan.cn"), _row("星晟安", email="Zhou.Ping@xingchengan.cn")
    assert role["email"] == "info@xingchengan.cn" and role["mailbox"] is None
    assert role["web_domains"] == ["xingchengan.cn"]
    assert person["mailbox"] == "zhou.ping@xingchengan.cn"
    assert _row("星晟安", email="sales@163.com")["mailbox"] == "sales@163.com"  # free mail: no company domain


def test_it_reads_german_trade_words_as_the_chinese_ones():
    german = _row("Schneider Messtechnik AG")["nm_trade"]
    assert _row("德国施耐德测量技术有限公司")["nm_trade"] == german == "measurement tech"
    assert _row("德国科勒机械制造有限公司")["nm_trade"] == _row("Köhler Maschinenbau GmbH")["nm_trade"]


@pytest.mark.parametrize(
    "chinese, latin",
    [("施耐德", "Schneider"), ("菲舍尔", "Fischer"), ("舍费尔", "Schaefer"), ("科勒", "Köhler"), ("西门子", "Siemens"),
     ("博世", "Bosch"), ("霍尼韦尔", "Honeywell"), ("艾默生", "Emerson"), ("马丁", "Martin"), ("保时捷", "Porsche"),
     ("康明斯", "Cummins"), ("卡特彼勒", "Caterpillar")],
)
def test_it_gives_a_transliteration_the_sound_keys_of_the_name_it_renders(chinese, latin):
    row, other = _row(f"德国{chinese}自动化有限公司"), _row(f"{latin} Automation GmbH")
    assert set(row["nm_sound"]) & set(other["nm_sound"])


@pytest.mark.parametrize("chinese, latin", [("红木", "Redwood"), ("华为", "Hoffmann"), ("通用", "General")])
def test_it_does_not_give_other_names_one_sound_key(chinese, latin):
    assert not set(sound_keys(chinese)) & set(sound_keys(latin))


def test_it_has_no_sound_key_for_a_single_sound():
    assert sound_keys("华") == () and sound_keys("Eos") == ()


@pytest.mark.parametrize(
    "chinese, latin",
    [("海湾科技有限公司", "Huawei Technologies Co., Ltd."),  # a Chinese company's English name is pinyin
     ("得力贸易有限公司", "Dell Trading Inc."),  # two consonants, no foreign country: too common
     ("博世达科技有限公司", "Bosch GmbH")],
)
def test_it_gives_no_sound_key_where_a_shared_one_would_be_chance(chinese, latin):
    assert not set(_row(chinese)["nm_sound"] or ()) & set(_row(latin)["nm_sound"] or ())


def test_it_reads_a_brand_by_each_common_reading_of_its_characters():
    # 晟 is read cheng and sheng: a company's English name follows the one it uses
    assert set(_row("宏晟集团有限公司")["nm_pinyin"]) >= {"hongcheng", "hongsheng"}
    assert set(_row("宏晟集团有限公司")["nm_pinyin"]) & set(_row("Hongsheng Group Co., Ltd.")["nm_pinyin"])
    assert _row("华为技术有限公司")["nm_pinyin"] == ["huawei"]


def test_it_tells_a_group_from_a_company_of_its_name():
    assert _row("威远集团有限公司")["legal_group"] is True
    assert _row("威远电子科技股份有限公司")["legal_group"] is False
    assert _row("威远电子")["legal_group"] is None


def test_it_lets_an_iban_meet_the_account_number_inside_it():
    def tail(account: str) -> str | None:
        attributes, _ = get_domain("supplier").standardize(
            {"name": "Schulz Verpackung GmbH", "bank_account": account}, phone_region="DE")
        return organisation_features(attributes)["bank_tail"]

    assert tail("DE06 9408 2201 7769 6693 74") == tail("7769669374") is not None
    assert tail("GB88HBUK83213359725623") == tail("59725623")
    assert tail("DE06940822017769669375") != tail("7769669374")
    assert tail("4627144") is None  # too short to tell an account from the end of another


@pytest.mark.parametrize(
    "english, chinese",
    [
        ("Xiamen Shengshi Plastic Products Company Limited", "厦门盛世塑胶制品有限公司"),
        ("Tianjin Yongxin Cable Co., Ltd.", "天津永鑫电缆有限公司"),
        ("Suzhou Dingsheng Electromechanical Co., Ltd.", "苏州鼎盛机电有限公司"),
        ("Xiamen Tongli Supply Chain Management Co., Ltd.", "厦门同力供应链管理有限公司"),
        ("Wuxi Shengshi Hydraulics Co., Ltd", "盛世液压(无锡)有限公司"),
    ],
)
def test_it_reads_common_trades_in_both_scripts_as_one(english, chinese):
    latin, cjk = _row(english), _row(chinese)
    assert latin["nm_mapped"] and cjk["nm_mapped"]
    assert latin["nm_trade"] == cjk["nm_trade"]
    assert set(latin["nm_pinyin"]) & set(cjk["nm_pinyin"])  # the trade is not taken for the brand


def test_it_tells_trades_of_one_brand_apart_across_scripts():
    assert _row("Suzhou Dingsheng Hardware Products")["nm_trade"] != _row("苏州鼎盛机电有限公司")["nm_trade"]
    seiki, kogyo = _row("Hiroshima Seiki Corporation"), _row("Hiroshima Kogyo Corporation")
    assert seiki["nm_mapped"] and kogyo["nm_mapped"] and seiki["nm_trade"] != kogyo["nm_trade"]


def test_it_keeps_a_brands_second_word_apart_from_the_brand_beside_a_known_trade():
    bay, city = _row("Marina Bay Engineering Pte Ltd"), _row("Marina City Engineering Pte Ltd")
    assert bay["nm_trade"] != city["nm_trade"]
