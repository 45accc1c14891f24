"""Domain errors with stable codes; the API edge turns them into one JSON shape."""


class MdmError(Exception):
    code = "mdm_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DeclarationError(MdmError):
    """A domain or profile declaration is malformed or unknown."""

    code = "declaration_error"


class UnknownSourceSystem(MdmError):
    code = "unknown_source_system"


class RowRejected(MdmError):
    """One input row cannot be loaded; the import goes on without it."""

    code = "row_rejected"


class ImportFailed(MdmError):
    """The file as a whole cannot be read (not a row problem)."""

    code = "import_failed"


class GoldenRecordError(MdmError):
    """A golden-record change that would break an invariant (not a partition, not active...)."""

    code = "golden_record_invalid"


class StalePlan(MdmError):
    """The records or golden records changed after a plan was made: plan again."""

    code = "stale_plan"
