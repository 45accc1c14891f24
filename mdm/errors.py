"""The one error hierarchy: every error a user or a client system can cause or fix.

An `MdmError` is the caller's to fix: its `code` is stable (clients and tests match on it)
and unique, its message says what to do; each face maps it to a response by its category
(`InvalidInput` 400, `NotFound` 404, `Conflict` 409, `Unavailable` 503). An
`InternalError` is a bug or a broken invariant, never the caller's doing: a face answers
500 and logs it. docs/errors.md lists every code; a test keeps the two in step.
"""


class MdmError(Exception):
    """Something the caller can fix. Raise a subclass: the categories below and their
    leaves carry the codes."""

    code = "mdm_error"
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InternalError(Exception):
    """A bug or a broken invariant (not an MdmError: no caller can fix it)."""

    code = "internal_error"


# --- categories --------------------------------------------------------------------------


class InvalidInput(MdmError):
    """A value, file, option or declaration the caller gave is not acceptable."""

    code = "invalid_input"


class NotFound(MdmError):
    """The caller named something that does not exist."""

    code = "not_found"
    status = 404


class Conflict(MdmError):
    """The request contradicts the current state or an earlier decision."""

    code = "conflict"
    status = 409


class Unavailable(MdmError):
    """A precondition the operator must set up first (a trained model, an optional part)."""

    code = "unavailable"
    status = 503


# --- declarations, source systems, ingest --------------------------------------------------


class DeclarationError(InvalidInput):
    """A domain, profile or matching declaration is malformed."""

    code = "declaration_error"


class UnknownDomain(NotFound):
    code = "unknown_domain"


class UnknownProfile(NotFound):
    code = "unknown_profile"


class UnknownSourceSystem(NotFound):
    code = "unknown_source_system"


class RowRejected(InvalidInput):
    """One input row cannot be loaded; the import goes on without it."""

    code = "row_rejected"


class RecordsRejected(InvalidInput):
    """Records sent together (an API batch) of which some cannot be loaded: none is stored.
    `errors` maps each rejected record's position to why."""

    code = "records_rejected"

    def __init__(self, message: str, *, errors: dict[int, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class ImportFailed(InvalidInput):
    """The file as a whole cannot be read (not a row problem)."""

    code = "import_failed"


# --- golden records, proposals, rulings -----------------------------------------------------


class GoldenRecordNotFound(NotFound):
    code = "golden_not_found"


class SourceRecordNotFound(NotFound):
    code = "source_record_not_found"


class GoldenRecordError(Conflict):
    """A golden-record change that would break an invariant (not a partition, not active...)."""

    code = "golden_record_invalid"


class StalePlan(Conflict):
    """The records or golden records changed after a plan was made: plan again."""

    code = "stale_plan"


class DecisionConflict(Conflict):
    """The decision contradicts an earlier steward decision."""

    code = "decision_conflict"


class ProposalClosed(Conflict):
    """The proposal was decided already, or its records are no longer live."""

    code = "proposal_closed"


class StaleView(Conflict):
    """A decision names a version of a case or golden record that changed since the
    steward saw it: nothing was applied; look again."""

    code = "stale_view"


class FourEyes(Conflict):
    """An approval the four-eyes rule covers, sent again by the steward who gave the first
    one: a second steward must approve."""

    code = "four_eyes"


class ReasonRequired(InvalidInput):
    """A rejection, split, override or unmerge needs a reason."""

    code = "reason_required"


class AuditChainBroken(Conflict):
    """A history hash chain does not hold (mdm.audit): nothing may vouch for it."""

    code = "audit_chain_broken"


# --- matching --------------------------------------------------------------------------------


class NoTrainedModel(Unavailable):
    code = "no_trained_model"


class NothingToTrain(Conflict):
    code = "nothing_to_train"


class InvalidThresholds(InvalidInput):
    code = "invalid_thresholds"


class BlockingTooLarge(Conflict):
    """A blocking rule would explode: raised before any pair is generated."""

    code = "blocking_too_large"

    def __init__(self, message: str, *, rule: str = "", count: int = 0, cap: int = 0,
                 blocks: list[tuple[str, int]] | None = None):
        super().__init__(message)
        self.rule, self.count, self.cap, self.blocks = rule, count, cap, blocks or []


class ContradictoryRulings(Conflict):
    """Steward rulings contradict each other (a must-link chain joins a cannot-linked pair)."""

    code = "contradictory_rulings"


class StaleKeyIndex(Conflict):
    """The blocking-key index was collected under another model than the active one."""

    code = "stale_key_index"


class BackendUnavailable(Unavailable):
    """The configured matching backend cannot run here (no pyspark, an unknown backend)."""

    code = "backend_unavailable"


# --- access ------------------------------------------------------------------------------------


class Forbidden(MdmError):
    """The user (or system) holds no grant for this action in this domain (mdm.access)."""

    code = "forbidden"
    status = 403


# --- requests to the API ---------------------------------------------------------------------


class Unauthenticated(MdmError):
    """No credentials, or credentials that are not valid (an unknown, revoked or expired token)."""

    code = "unauthenticated"
    status = 401


class BadSignature(Unauthenticated):
    """An inbound webhook whose signature does not verify with the endpoint's secret."""

    code = "bad_signature"


class MethodNotAllowed(InvalidInput):
    code = "method_not_allowed"
    status = 405


class NotAcceptable(InvalidInput):
    code = "not_acceptable"
    status = 406


class PayloadTooLarge(InvalidInput):
    """A request body over the API's limit (MDM_API_MAX_BODY_BYTES) or a batch over its record limit."""

    code = "payload_too_large"
    status = 413


class UnsupportedMediaType(InvalidInput):
    code = "unsupported_media_type"
    status = 415


class IdempotencyKeyReused(InvalidInput):
    """An Idempotency-Key sent again with another request body."""

    code = "idempotency_key_reused"
    status = 422


class Throttled(MdmError):
    """Too many requests from one token or address: retry after the time the reply names."""

    code = "throttled"
    status = 429
