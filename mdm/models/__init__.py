from mdm.models.access import AccessGrant, Department, DepartmentMember
from mdm.models.cases import CaseComment, CaseTask
from mdm.models.feed import ChangeEvent, FeedCounter
from mdm.models.golden import GoldenIdSequence, GoldenRecord
from mdm.models.history import (
    AuditAnchor,
    AuditCheckpoint,
    AuditPrune,
    DeclarationUse,
    DeclarationVersion,
    HistoryStamp,
)
from mdm.models.imports import ImportReject, ImportRun
from mdm.models.matching import MatchKey, MatchModel, MatchRun
from mdm.models.proposals import MergeProposal, PairConstraint
from mdm.models.records import SourceRecord
from mdm.models.requests import MasterDataRequest
from mdm.models.systems import SourceSystem

__all__ = [
    "AccessGrant",
    "AuditAnchor",
    "AuditCheckpoint",
    "AuditPrune",
    "CaseComment",
    "CaseTask",
    "DeclarationUse",
    "DeclarationVersion",
    "Department",
    "DepartmentMember",
    "ChangeEvent",
    "FeedCounter",
    "GoldenIdSequence",
    "GoldenRecord",
    "HistoryStamp",
    "ImportReject",
    "ImportRun",
    "MasterDataRequest",
    "MatchKey",
    "MatchModel",
    "MatchRun",
    "MergeProposal",
    "PairConstraint",
    "SourceRecord",
    "SourceSystem",
]
