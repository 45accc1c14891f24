"""Product model: the same item under other spellings, never a size or material variant.

- spec: canonical token multiset, then same letters/digits or same numbers, then the
  numbers of one contained in the other (a nominal size or tolerance code added). Any
  other difference means another size (M6x20 vs M6x25, 6.8k vs 68k, Φ48×2.5 vs Φ48×3):
  its m is fixed small, because EM cannot learn it from pairs that were blocked on the
  spec, and a model that learnt it from few pairs could let sizes merge.
- barcode: exact is decisive; two different valid barcodes are two products (m fixed).
- material codes in the name (304 / 316L / Q235B / 8.8级): a conflict is evidence against.
- capacitor dielectric (X7R / C0G): a conflict is another product; agreement adds nothing.
- brand: another maker's item of the same spec is another product (m fixed small); a
  Chinese and a Latin brand whose pinyin differs cannot be compared (weight 0).
- product type words, unit and category.
- source systems: two records of one system are less often one item (SOURCE_SYSTEM).
Another size, barcode, dielectric or maker is another product whatever else agrees: those
levels are conflicts, so no chain of pairs puts two such records in one golden record.
Term-frequency adjustment on the spec: "M8" is shared by many nuts and washers, "Φ21x3.5"
by few products.
"""

from __future__ import annotations

from matching.declarations import (
    SOURCE_SYSTEM,
    Any,
    Comparison,
    Differ,
    DomainModel,
    Exact,
    JaroWinkler,
    Level,
    Null,
    Overlap,
    Subset,
)

SPEC = Comparison(
    "spec",
    "specification (sizes, values, codes)",
    (
        Level("spec missing", Null("sp_key"), null=True),
        Level("spec exact", Exact("sp_key"), tf="sp_key"),
        Level("same spec characters or numbers", Any(Exact("sp_compact"), Exact("sp_nums"))),
        Level("spec numbers contained in the other", Subset("sp_nums")),
        Level("specs differ (other size or value)", None, m=0.003, conflict=True),
    ),
    ordered=True,
)

BARCODE = Comparison(
    "barcode",
    "barcode (GTIN)",
    (
        Level("barcode missing", Null("barcode"), null=True),
        Level("barcode exact", Exact("barcode")),
        Level("barcodes differ", None, m=0.001, conflict=True),
    ),
)

TYPE = Comparison(
    "type",
    "product type words of the name",
    (
        Level("type missing", Null("pd_type"), null=True),
        Level("type exact", Exact("pd_type")),
        Level("type Jaro-Winkler ≥ 0.88", JaroWinkler("pd_type", 0.88)),
        Level("types differ", None),
    ),
    ordered=True,
)

MATERIAL = Comparison(
    "material",
    "material and grade codes in the name",
    (
        Level("material missing", Null("pd_material"), null=True),
        Level("material exact", Exact("pd_material")),
        Level("materials overlap", Overlap("pd_material", 1)),
        Level("materials differ (another grade or material)", None, m=0.01),
    ),
    ordered=True,
)

DIELECTRIC = Comparison(
    "dielectric",
    "capacitor dielectric (X7R, C0G)",
    (
        Level("dielectric missing", Null("pd_dielectric"), null=True),
        # most capacitors of a value and voltage share one dielectric (X7R), so agreement
        # tells little that the spec has not; random pairs would rate it as rare
        Level("dielectric exact", Exact("pd_dielectric"), m=0.95, weight=0.0),
        # X7R against C0G is another product, like a grade conflict; random pairs of
        # capacitors rarely show one, so u is set with m
        Level("dielectrics differ (another material)", None, m=0.01, weight=-6.5, conflict=True),
    ),
)

BRAND = Comparison(
    "brand",
    "brand",
    (
        Level("brand missing", Null("brand"), null=True),
        Level("brand exact", Exact("brand")),
        # 斯凯孚 / SKF: one brand in two scripts whose pinyin differs, or two brands; no
        # dictionary tells which, so no evidence either way
        Level("brands in other scripts (not comparable)", Differ("pd_brand_script"), m=0.05, weight=0.0),
        # another maker's item of the same spec is another product. EM cannot learn how
        # rare this is among true matches: the spec-blocked pairs it trains on are full of
        # such look-alikes, and it took them for matches (m about 0.37). A true match with
        # two brands is a brand typo or a distributor's name: rare, so m is fixed small.
        Level("brands differ (another maker)", None, m=0.02, conflict=True),
    ),
)

UNIT = Comparison(
    "unit",
    "base unit",
    (
        Level("unit missing", Null("unit"), null=True),
        Level("unit exact", Exact("unit")),
        Level("units differ", None),
    ),
)

CATEGORY = Comparison(
    "category",
    "category code",
    (
        Level("category missing", Null("category"), null=True),
        Level("category exact", Exact("category")),
        Level("categories differ", None),
    ),
)

MODEL = DomainModel(
    domain="product",
    version=5,
    comparisons=(SPEC, BARCODE, TYPE, MATERIAL, DIELECTRIC, BRAND, UNIT, CATEGORY, SOURCE_SYSTEM),
    blocking={
        "barcode": ("barcode",),
        "spec": ("sp_key",),
        "spec_compact": ("sp_compact",),
        "spec_numbers": ("sp_nums",),
    },
    em_blocking=(("barcode",), ("sp_key",)),
    deterministic=(("barcode",),),
    deterministic_recall=0.6,
    features="product",
    tf_columns=("sp_key",),
)
