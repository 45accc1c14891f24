"""Customer and supplier models: organisations, with look-alikes kept apart.

Design (see matching.features for the columns):
- name: the whole core name, then the brand (exact or by pinyin, so English names and
  homophone typos meet), then brand typos (swapped or dropped characters), then a foreign
  brand and its Chinese transliteration (施耐德 / Schneider, by sound keys). Each of these
  requires the rest of the name to be compatible: no conflicting trade words (华为技术 vs
  华为终端 is a sister company), region or branch (…南京分公司 vs the head office). A pair
  whose brands agree but whose trade, region or branch conflicts lands in a look-alike
  level, and a group against a company of its brand in a level of its own: random-pair
  sampling would rate "same brand" as strong evidence, but among real data such a pair is
  usually a sister company or a subsidiary sharing a switchboard, a building and a mail
  domain. Their weights are fitted to the pairs whose tax ids say one company or two,
  given the rest of their evidence (Level.fitted, SEPARATOR). A short name against the
  full one and a misspelt trade word have levels of their own, learned.
- tax id: exact is decisive; so is one registration under two ids (a PRC organisation
  code and the unified social credit code that embeds it, a French SIREN, SIRET and VAT id);
  a near miss where one side fails the check character is a typo; ids of two numberings
  of one country (a VAT id and a Steuernummer) are not compared; any other difference,
  ids of two countries included, is strong evidence against (m fixed small), and a
  conflict: no chain of other pairs joins two such records (clustering.Conflicts).
- country and legal form: two countries, or two legal forms, are evidence against,
  learned (m by EM) like any level; two countries are a conflict, as two tax ids are.
- location: phone, street address, postcode and city describe one fact, where the company
  sits, so they form one comparison with ordered levels instead of four independent ones
  that would count the same evidence up to four times.
- internet: e-mail address, then shared company mail/web domain (free-mail domains are
  ignored by the features).
- contact person (by pinyin), and for suppliers the bank account (an IBAN also against
  the national account number that ends it).
- source systems: two records of one system are less often one company (SOURCE_SYSTEM).

The customer and supplier declarations (customer.py, supplier.py) are made of these.
"""

from __future__ import annotations

from matching.declarations import (
    All,
    Any,
    BothNull,
    Comparison,
    Damerau,
    Differ,
    EitherFalse,
    EitherTrue,
    Exact,
    Level,
    Not,
    Null,
    Overlap,
    Separator,
    Subset,
)

# trade words unknown to the lexicon cannot be compared across scripts: no conflict then
_TRADE_OK = Any(Null("nm_trade"), Exact("nm_trade"), All(Differ("nm_script"), EitherFalse("nm_mapped")))
# a name without a region sits in its record's city: against the city another name
# carries (长江机电 in Beijing / 宁波长江机电) it is another company's place
_REGION_OK = Any(BothNull("nm_region"), Exact("nm_region"),
                 All(Null("nm_region"), Any(Null("nm_place"), Exact("nm_place"))))
_BRANCH_OK = Any(BothNull("nm_branch"), Exact("nm_branch"))
_COMPATIBLE = All(_TRADE_OK, _REGION_OK, _BRANCH_OK)
_BRAND_SAME = Any(Exact("nm_brand"), Overlap("nm_pinyin", 1), All(Differ("nm_script"), Overlap("nm_heads", 1)))
_BRAND_TYPO = Any(Exact("nm_sorted"), All(Damerau("nm_brand", 1), EitherTrue("nm_long")))
_TRANSLITERATED = All(Differ("nm_script"), Overlap("nm_sound", 1))

NAME = Comparison(
    "name",
    "company name: core, brand, brand typos, look-alikes",
    (
        Level("name missing", Null("nm_core"), null=True),
        Level("name exact (legal form and region stripped)", All(Exact("nm_core"), _COMPATIBLE)),
        Level("same brand (or its pinyin) and trade", All(_BRAND_SAME, _COMPATIBLE, Not(Null("nm_trade")))),
        # a group's name carries no trade words (威远集团): against a company of its brand
        # that has them (威远电子科技) it is parent and subsidiary more often than one company
        Level("same brand, a group and a company not named one", All(_BRAND_SAME, _COMPATIBLE, Differ("legal_group")),
              fitted=True),
        Level("same brand (or its pinyin), one name without trade words", All(_BRAND_SAME, _COMPATIBLE)),
        Level("brand with a typo (swapped or dropped character)", All(_BRAND_TYPO, _COMPATIBLE)),
        Level("brand transliterated (same sounds in the other script)", All(_TRANSLITERATED, _COMPATIBLE)),
        # two neighbouring characters swapped anywhere in a Chinese name (成兴都业电气 /
        # 成都兴业电气): the same characters, one transposition apart
        Level("whole name with two neighbouring characters swapped",
              All(Exact("nm_full_sorted"), Damerau("nm_full", 1))),
        # a short name against the full one (宏尚智能 / 宏尚智能科技), a misspelt trade word
        # (Systems / Sysrems): the same company as a rule, but a sister's name can look so
        # too; their weights are learned
        Level("same brand, one trade inside the other",
              All(_BRAND_SAME, Subset("nm_trade_set"), _REGION_OK, _BRANCH_OK)),
        Level("same brand, trade words with a typo",
              All(_BRAND_SAME, Damerau("nm_trade_text", 2), _REGION_OK, _BRANCH_OK)),
        Level(
            "same brand, other trade, region or branch (look-alike)",
            Any(_BRAND_SAME, _BRAND_TYPO, _TRANSLITERATED),
            fitted=True,
        ),
        Level("names differ", None),
    ),
)

# A record without a country leaves a bare number's country a guess (DE715215267 in one
# system, 715215267 in a register that holds no country, read as a PRC organisation code
# whose check it passes by chance): the same number without its country prefix is then
# one registration. Two records that both name their country keep their numberings apart.
_NUMBER_SAME = All(Exact("tax_number"), Null("country"))

TAX_ID = Comparison(
    "tax_id",
    "tax id (unified social credit code, VAT id)",
    (
        # ids of two numberings of one country (a German VAT id and a Steuernummer, a British
        # VAT number and a company number) are nothing to compare, not a conflict; ids of two
        # countries are two companies (a company is registered in one)
        Level(
            "tax id missing, or ids of two kinds (not comparable)",
            Any(Null("tax_id"), All(Differ("tax_space"), Differ("tax_id"), Any(Null("tax_reg"), Differ("tax_reg")),
                                    Any(Null("tax_country"), Exact("tax_country")), Not(_NUMBER_SAME))),
            null=True,
        ),
        Level("tax id exact", Exact("tax_id")),
        Level("same registration under two ids (organisation code, SIREN)", Any(Exact("tax_reg"), _NUMBER_SAME)),
        # a typo in the registration an id embeds: an organisation code against the USCC
        # that carries it with an O for a 0, a VAT id with two digits swapped against the
        # SIRET (the whole ids differ by more than two edits)
        Level("tax id typo (check fails, ≤ 2 edits)",
              All(Any(Damerau("tax_id", 2), Damerau("tax_reg", 2)), EitherFalse("tax_valid"))),
        # two codes of one numbering that both pass the check digit differ only by a typo the
        # check misses (about 1 in 31 typos) or a re-registration: rare among true matches.
        # Two companies, then: no chain of other pairs joins them (Level.conflict)
        Level("tax ids differ", None, m=0.001, conflict=True),
    ),
    ordered=True,
)

# A mobile is a person's, a landline the company's: one system holding the contact's mobile
# and another the switchboard is not a conflict. Two numbers of one kind that differ are.
_PHONE_NA = Any(Null("phone"), Differ("phone_kind"))
_UNIT_OK = Any(Null("addr_unit"), Exact("addr_unit"))

LOCATION = Comparison(
    "location",
    "where the company sits: phone, address, postcode, city as one fact",
    (
        Level(
            "phone, address, postcode and city missing",
            All(Null("phone"), Null("addr_building"), Null("postcode"), Null("city")),
            null=True,
        ),
        Level("same phone and address", All(Exact("phone"), Exact("addr_building"), _UNIT_OK)),
        Level("same phone", All(Exact("phone"), Null("addr_building"))),
        Level("same address and unit", All(Exact("addr_building"), _UNIT_OK, _PHONE_NA)),
        # a company that moved keeps its phone; so may a sister company sharing the switchboard
        Level("same phone, other address or unit", Exact("phone")),
        # one system holds the subscriber number alone, another with area or country code
        Level("same subscriber number, area code on one side only", Exact("phone_local")),
        # an office building houses many companies, and a group's companies take other floors
        # of one building: sharing it with another floor or another number is no evidence
        # either way. Random pairs (u) cannot see that, so the weight is set.
        Level("same building, other unit or phone", Exact("addr_building"), m=0.01, weight=0.0),
        Level("same postcode", All(Exact("postcode"), _PHONE_NA)),
        # nothing else to compare is not the same as something that differs: a record with
        # only the switchboard against one with only the contact's mobile still agrees on the city
        Level("same city, phone and address not comparable", All(Exact("city"), _PHONE_NA, Null("addr_building"))),
        Level("same city, phone or address differs", Exact("city")),
        # two companies of one name in two cities share a mail domain, often a switchboard
        # too: random pairs cannot see that, so the weight is fitted to the pairs tax ids
        # label, as the look-alike's (Level.fitted)
        Level("different place", None, fitted=True),
    ),
)

INTERNET = Comparison(
    "internet",
    "e-mail address and company mail or web domain",
    (
        Level("e-mail and domains missing", All(Null("email"), Null("web_domains")), null=True),
        Level("e-mail exact (a person's, not info@ or sales@)", Exact("mailbox")),
        # group companies on one domain each have their info@ and sales@: weaker than a person's
        Level("same role mailbox (info@, sales@, ...)", Exact("email")),
        Level("same company domain", Overlap("web_domains", 1)),
        Level("e-mail or domain differs", None),
    ),
    ordered=True,
)

CONTACT = Comparison(
    "contact",
    "contact person (pinyin)",
    (
        Level("contact missing", Null("contact"), null=True),
        Level("contact exact", Exact("contact")),
        Level("contacts differ", None),
    ),
)

COUNTRY = Comparison(
    "country",
    "country of the company",
    (
        Level("country missing", Null("country"), null=True),
        Level("same country", Exact("country")),
        # a group's companies abroad share its name and mail domain: fitted like a look-alike;
        # a company sits in one country, so no chain of other pairs joins two (Level.conflict)
        Level("countries differ", None, fitted=True, conflict=True),
    ),
)

# AG and GmbH, 集团 and 股份有限公司 of one name are usually two companies of a group; but a
# translated name often carries another form than the original (Co., Ltd. for 股份有限公司
# or 株式会社), while a group (集团) and a company of its name are parent and subsidiary
# far more often than one company: its own level. Both are fitted to the pairs tax ids
# label (Level.fitted), as the same name's companies share phones and domains.
LEGAL_FORM = Comparison(
    "legal_form",
    "legal form (co_ltd, joint_stock, gmbh, group, ...)",
    (
        Level("legal form missing", Null("legal_form"), null=True),
        Level("same legal form", Exact("legal_form")),
        Level("a group and a company not named one", Differ("legal_group"), fitted=True),
        # an English name of a Chinese company (or a Chinese one of a foreign company) says
        # Co., Ltd. for 股份有限公司 as often as not: two forms across scripts are a
        # translation more than another company. Its own level, fitted as the next.
        Level("two legal forms across scripts (a translation)", Differ("nm_script"), fitted=True),
        Level("legal forms differ", None, fitted=True),
    ),
)

BANK = Comparison(
    "bank_account",
    "bank account number",
    (
        Level("bank account missing", Null("bank_account"), null=True),
        Level("bank account exact", Exact("bank_account")),
        Level("same account number (an IBAN and the account inside it)", Exact("bank_tail")),
        Level("bank accounts differ", None),
    ),
    ordered=True,
)

# Brands and street addresses repeat across a country ("金泰", "人民路1号"): blocked on
# alone, their blocks grow with the square of the population (at 1M customer records the
# brand-pinyin rule alone would generate over 60M pairs), so they are paired within a
# city. A pair they alone would have found in two cities, or with no city on one side,
# shares no tax id, phone, e-mail or core name either: on the sample sets, under 1% of the
# true pairs, most of them movers that score below the review band anyway.
BLOCKING = {
    "tax_id": ("tax_id",),
    "registration": ("tax_reg",),
    "phone": ("phone",),
    "name_core": ("nm_core",),
    "brand": ("nm_brand", "city"),
    "brand_pinyin": ("nm_key", "city"),
    "brand_sorted": ("nm_sorted", "city"),
    "email": ("email",),
    "name_swapped": ("nm_full_sorted",),
    "address": ("addr_building", "city"),
    # the same keys within a postcode: a mistyped or differently written city (Eatin / Eaton,
    # 厦门 / Xiamen unmapped) leaves the pair to these. A postcode is no wider than its city,
    # so their blocks are no larger than the city rules'.
    "brand_pinyin_postcode": ("nm_key", "postcode"),
    "brand_sorted_postcode": ("nm_sorted", "postcode"),
    "address_postcode": ("addr_building", "postcode"),
}
EM_BLOCKING = (("tax_id",), ("nm_core",), ("phone",))
# an exact tax id (or one registration under two ids) is one company, two valid ids that
# differ are two: the pairs at these levels are the labels the look-alike's weight is fitted to
SEPARATOR = Separator(
    "tax_id",
    same=("tax id exact", "same registration under two ids (organisation code, SIREN)"),
    different=("tax ids differ",),
    calibrates=True,
)
DETERMINISTIC = (("tax_id",), ("nm_core", "phone"), ("email",))
