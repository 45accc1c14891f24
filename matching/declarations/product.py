"""Product model: the same item under other spellings, never a size, value or maker variant.

Every column comes from the reading of the name, the spec and the brand together
(matching.features.product_text), since most product masters keep all of it in the name.

- spec: the main value (resistance, capacitance, bearing number, thread and length, O-ring
  or seal size, cable cores x section, valve DN, drawing number) with the details that
  tell its variants apart (kind, package, tolerance, voltage, dielectric, a bearing's
  seal and clearance, PN, drawing revision, material or grade, a chemical's grade), as
  one comparison: each detail alone is shared by many items, all of them by few. A value
  read two ways ("820": 820 Ω as written, 82 Ω as code) agrees when one reading does.
  Another value (27 Ω vs 270 Ω) or another detail (SS304 vs SS316, 1% vs 5%) is another
  product.
- maker: Chinese and English names are one maker (data/product_makers.txt); a maker the
  lexicon does not know is compared only within its script (斯凯孚 / SKF otherwise).
- barcode: exact is decisive; two valid barcodes that differ are two products.
- source systems: two records of one system are less often one item (SOURCE_SYSTEM).
- look-alikes: two records of one system sharing a spec that it holds several times are
  as likely two items of other makers (LOOKALIKES), fitted to the pairs whose makers say.
The weights come from the data: u from random pairs; m by EM, the spec on random pairs
(no blocking rule may hide it), the rest on pairs of one main value; the prior from the
share of matches among the blocked pairs (DomainModel.prior_from_blocks). Levels that
differ are conflicts: no chain of pairs puts two such records in one golden record.
"""

from __future__ import annotations

from matching.declarations import (
    RANDOM_PAIRS,
    SOURCE_SYSTEM,
    All,
    Any,
    AtLeast,
    Comparison,
    Differ,
    DomainModel,
    Exact,
    Level,
    Not,
    Null,
    Overlap,
    Separator,
)

DETAILS = ("px_kind", "px_package", "px_tolerance", "px_voltage", "px_dielectric", "px_variant", "px_pressure",
           "px_revision", "px_grade")
# no detail that both records give differs; materials: one that both name
_COMPATIBLE = All(*(Any(Null(c), Exact(c)) for c in DETAILS), Any(Null("px_material"), Overlap("px_material", 1)))

# The main value and the details are one comparison, because they are strong only
# together: a value code, a package and a tolerance each are shared by many items, all
# three by few. Every level reads the blocking key too, so that EM does not train this
# comparison on the pairs blocked on it (whose main values agree by construction).
MAIN = Comparison(
    "spec",
    "the main value (resistance, capacitance, bearing number, thread, size, DN, drawing number) with "
    "the details that tell its variants apart (kind, package, tolerance, voltage, dielectric, seal, "
    "PN, revision, material)",
    (
        Level("spec missing", Null("px_main"), null=True),
        Level("same value, kind and details", Exact("px_sig")),
        Level("same value, no detail differs", All(Exact("px_block"), Exact("px_main"), _COMPATIBLE)),
        Level("value agrees in one reading, no detail differs",
              All(Exact("px_block"), Overlap("px_vals", 1), _COMPATIBLE)),
        # EM cannot learn how rare this is among matches: on pairs of one family the
        # variants of one value (27 Ω 1% / 5%, SS304 / SS316) are the closest pairs there
        # are, and it takes them for the matches. Among true matches it takes a misread
        # or a mistyped detail: rare, so m is fixed small.
        Level("same value, a detail differs (another variant)", All(Exact("px_block"), Overlap("px_vals", 1)),
              m=0.01, conflict=True),
        Level("values differ (another size or value)", None, conflict=True),
    ),
    ordered=True,
)

BARCODE = Comparison(
    "barcode",
    "barcode (GTIN)",
    (
        Level("barcode missing", Null("barcode"), null=True),
        # few records have a barcode, and fewer pairs two: too few for EM, whose m for
        # "exact" underflowed on pairs of one family. m is set (a barcode is one item's),
        # u comes from random pairs as everywhere.
        Level("barcode exact", Exact("barcode"), m=0.99),
        Level("barcodes differ", None, m=0.01, conflict=True),
    ),
)

MAKER = Comparison(
    "maker",
    "maker (brand), from the brand column or the text",
    (
        Level("maker missing", Null("px_maker"), null=True),
        Level("maker exact", Exact("px_maker")),
        # a name the maker lexicon does not know may be one of its makers in the other
        # script (斯凯孚 / SKF): no evidence either way
        Level("makers in other scripts (not comparable)", Differ("px_maker_script"), m=0.05, weight=0.0),
        Level("makers differ", None, conflict=True),
    ),
)

# Items that differ only in their maker share every spec feature, and the text names the
# maker only sometimes. A source system holds an item once, as a rule, so two of its
# records that share a spec it holds several times (engine._tf_tables counts the items
# that carry a value so) are as likely two of those items as one item held twice: an
# exact spec says less for them. How much less is fitted to the pairs whose makers say
# one item or two (SEPARATOR), given the rest of their evidence (Level.fitted), as random
# pairs cannot tell. Records of two systems keep the spec's weight: there, a record has
# one twin at most among the items, which the clustering's one-per-system rule picks.
_ITEMS = "px_sig_items"
LOOKALIKES = Comparison(
    "lookalikes",
    "how many items of one system carry the spec both records give (items of other makers alike in every "
    "spec feature)",
    (
        Level("other systems, or a spec not shared or of one item",
              Any(Null("px_sig"), Null("source_system"), Not(Exact("px_sig")), Not(Exact("source_system")),
                  Not(AtLeast(_ITEMS, 2))), null=True),
        Level("one system, a spec of 3 items or more", AtLeast(_ITEMS, 3), fitted=True),
        Level("one system, a spec of 2 items", None, fitted=True),
    ),
)

# a maker both records name says one item or two: the labels the look-alikes are fitted to
SEPARATOR = Separator("maker", same=("maker exact",), different=("makers differ",))

UNIT = Comparison(
    "unit",
    "base unit",
    (
        Level("unit missing", Null("unit"), null=True),
        Level("unit exact", Exact("unit")),
        Level("units differ", None),
    ),
)

MODEL = DomainModel(
    domain="product",
    version=7,
    comparisons=(MAIN, MAKER, BARCODE, UNIT, LOOKALIKES, SOURCE_SYSTEM),
    blocking={
        "barcode": ("barcode",),
        "main value": ("px_block",),
    },
    # the spec is trained on random pairs, everything else on pairs of one value too
    em_blocking=(("px_block",), (RANDOM_PAIRS,)),
    deterministic=(("barcode",),),
    deterministic_recall=0.6,
    prior_from_blocks=True,
    features="product",
    tf_columns=("px_sig",),
    separator=SEPARATOR,
)
