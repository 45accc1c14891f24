"""Product model: the same item under other spellings, never a size or material variant.

- spec: canonical token multiset, then same letters/digits or same numbers, then the
  numbers of one contained in the other (a nominal size or tolerance code added). Any
  other difference means another size (M6x20 vs M6x25, 6.8k vs 68k, Φ48×2.5 vs Φ48×3):
  its m is fixed small, because EM cannot learn it from pairs that were blocked on the
  spec, and a model that learnt it from few pairs could let sizes merge.
- barcode: exact is decisive; two different valid barcodes are two products (m fixed).
- material codes in the name (304 / 316L / Q235B / 8.8级): a conflict is evidence against.
- product type words, brand, unit and category.
Term-frequency adjustment on the spec: "M8" is shared by many nuts and washers, "Φ21x3.5"
by few products.
"""

from __future__ import annotations

from matching.models import Any, Comparison, DomainModel, Exact, JaroWinkler, Level, Null, Overlap, Subset

SPEC = Comparison(
    "spec",
    "specification (sizes, values, codes)",
    (
        Level("spec missing", Null("sp_key"), null=True),
        Level("spec exact", Exact("sp_key"), tf="sp_key"),
        Level("same spec characters or numbers", Any(Exact("sp_compact"), Exact("sp_nums"))),
        Level("spec numbers contained in the other", Subset("sp_nums")),
        Level("specs differ (other size or value)", None, m=0.003),
    ),
    ordered=True,
)

BARCODE = Comparison(
    "barcode",
    "barcode (GTIN)",
    (
        Level("barcode missing", Null("barcode"), null=True),
        Level("barcode exact", Exact("barcode")),
        Level("barcodes differ", None, m=0.001),
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

BRAND = Comparison(
    "brand",
    "brand",
    (
        Level("brand missing", Null("brand"), null=True),
        Level("brand exact", Exact("brand")),
        Level("brands differ", None),
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

PRODUCT = DomainModel(
    domain="product",
    version=2,
    comparisons=(SPEC, BARCODE, TYPE, MATERIAL, BRAND, UNIT, CATEGORY),
    blocking={
        "barcode": ("barcode",),
        "spec": ("sp_key",),
        "spec_compact": ("sp_compact",),
        "spec_numbers": ("sp_nums",),
    },
    em_blocking=(("barcode",), ("sp_key",)),
    deterministic=(("barcode",),),
    deterministic_recall=0.6,
    tf_columns=("sp_key",),
)
