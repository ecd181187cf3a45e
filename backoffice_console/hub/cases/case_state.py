"""The case state machine (pure): which outcomes may follow which, and what they require.

    open --> accepted      forwarded to the back office; approval pending -> approved | rejected
         --> completed     handled on the spot (final)
         --> needs_more    more material needed (reason required); may reopen -> open
         --> not_eligible  refused (reason required, final)

A case leaves `open` once; `closed_at` is set when it does and cleared only by
reopening a `needs_more` case. An accepted case changes only through its approval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from shared.protocol.cases import MAX_REASON


class CaseState(StrEnum):
    """Where a case stands."""

    OPEN = "open"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    NEEDS_MORE = "needs_more"
    NOT_ELIGIBLE = "not_eligible"


class Approval(StrEnum):
    """The back office's later decision on an accepted (forwarded) case."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    CaseState.OPEN: frozenset(
        {CaseState.ACCEPTED, CaseState.COMPLETED, CaseState.NEEDS_MORE, CaseState.NOT_ELIGIBLE}
    ),
    CaseState.NEEDS_MORE: frozenset({CaseState.OPEN, CaseState.NOT_ELIGIBLE}),
    CaseState.ACCEPTED: frozenset(),
    CaseState.COMPLETED: frozenset(),
    CaseState.NOT_ELIGIBLE: frozenset(),
}
"""Legal outcome changes; anything else is refused."""

REASON_REQUIRED: frozenset[CaseState] = frozenset({CaseState.NEEDS_MORE, CaseState.NOT_ELIGIBLE})
"""Outcomes that must say why (the resident is told what is missing or why not)."""


class IllegalTransition(ValueError):
    """A refused change; the message says why (it never quotes a reason text)."""


@dataclass(frozen=True)
class CaseStatus:
    """The state part of a case, as stored in the `cases` row."""

    state: CaseState = CaseState.OPEN
    approval: Approval | None = None
    reason: str | None = None
    closed_at: dt.datetime | None = None

    @property
    def closed(self) -> bool:
        """Whether the case has left `open` (a needs_more case may still reopen)."""
        return self.state is not CaseState.OPEN


def _clean_reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise IllegalTransition(f"reason longer than {MAX_REASON} characters")
    return text or None


def transition(
    status: CaseStatus, target: CaseState, reason: str | None, now: dt.datetime
) -> CaseStatus:
    """The status after setting outcome `target`; raises `IllegalTransition`."""
    if target not in TRANSITIONS[status.state]:
        raise IllegalTransition(f"a case that is {status.state.value} cannot become {target.value}")
    text = _clean_reason(reason)
    if target in REASON_REQUIRED and text is None:
        raise IllegalTransition(f"{target.value} needs a reason")
    if target is CaseState.OPEN:
        return CaseStatus(CaseState.OPEN, None, None, None)
    approval = Approval.PENDING if target is CaseState.ACCEPTED else None
    return CaseStatus(target, approval, text, now)


def decide(status: CaseStatus, approval: Approval, reason: str | None) -> CaseStatus:
    """The status after the back office's decision; only a pending accepted case takes one."""
    if status.state is not CaseState.ACCEPTED or status.approval is not Approval.PENDING:
        raise IllegalTransition("only an accepted case awaiting approval can be decided")
    if approval is Approval.PENDING:
        raise IllegalTransition("a decision is approved or rejected")
    text = _clean_reason(reason)
    if approval is Approval.REJECTED and text is None:
        raise IllegalTransition("a rejection needs a reason")
    return replace(status, approval=approval, reason=text or status.reason)
