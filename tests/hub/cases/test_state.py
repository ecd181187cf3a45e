"""Property tests of the case state machine: legal transitions only, reasons enforced."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from backoffice_console.hub.cases.case_state import (
    REASON_REQUIRED,
    TRANSITIONS,
    Approval,
    CaseState,
    CaseStatus,
    IllegalTransition,
    decide,
    transition,
)

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
FINAL = {CaseState.COMPLETED, CaseState.NOT_ELIGIBLE}
reasons = st.one_of(st.none(), st.just(""), st.just("   "), st.text(min_size=1, max_size=20))


class CaseMachine(RuleBasedStateMachine):
    """Random outcome and approval requests against a model of the rules."""

    def __init__(self) -> None:
        super().__init__()
        self.status = CaseStatus()
        self.history: list[CaseState] = [CaseState.OPEN]

    @rule(wanted=st.sampled_from(list(CaseState)), reason=reasons)
    def set_outcome(self, wanted: CaseState, reason: str | None) -> None:
        before = self.status
        has_reason = bool((reason or "").strip())
        legal = wanted in TRANSITIONS[before.state] and (
            has_reason or wanted not in REASON_REQUIRED
        )
        try:
            after = transition(before, wanted, reason, NOW)
        except IllegalTransition:
            assert not legal
            assert self.status == before  # refused: nothing changed
            return
        assert legal
        assert after.state is wanted
        assert (after.approval is Approval.PENDING) == (wanted is CaseState.ACCEPTED)
        assert (after.closed_at is None) == (wanted is CaseState.OPEN)
        self.status = after
        self.history.append(wanted)

    @rule(approval=st.sampled_from(list(Approval)), reason=reasons)
    def decide(self, approval: Approval, reason: str | None) -> None:
        before = self.status
        has_reason = bool((reason or "").strip())
        legal = (
            before.state is CaseState.ACCEPTED
            and before.approval is Approval.PENDING
            and approval is not Approval.PENDING
            and (has_reason or approval is Approval.APPROVED)
        )
        try:
            after = decide(before, approval, reason)
        except IllegalTransition:
            assert not legal
            return
        assert legal
        assert after.state is CaseState.ACCEPTED and after.approval is approval
        assert after.closed_at == before.closed_at
        self.status = after

    @invariant()
    def closed_cases_stay_closed(self) -> None:
        # Once final, always final; an accepted case never changes state again.
        for i, state in enumerate(self.history):
            if state in FINAL or state is CaseState.ACCEPTED:
                assert all(s is state for s in self.history[i:])
        if self.status.state in REASON_REQUIRED:
            assert self.status.reason
        if self.status.state is not CaseState.ACCEPTED:
            assert self.status.approval is None


CaseMachine.TestCase.settings = settings(max_examples=80, deadline=None, stateful_step_count=12)
TestCaseMachine = CaseMachine.TestCase


def test_needs_more_reopens_and_clears_closed_at() -> None:
    more = transition(CaseStatus(), CaseState.NEEDS_MORE, "户口簿缺页", NOW)
    assert more.closed and more.closed_at == NOW and more.reason == "户口簿缺页"
    again = transition(more, CaseState.OPEN, None, NOW)
    assert again == CaseStatus()


def test_reason_rules_and_limits() -> None:
    with pytest.raises(IllegalTransition, match="needs a reason"):
        transition(CaseStatus(), CaseState.NOT_ELIGIBLE, "  ", NOW)
    with pytest.raises(IllegalTransition, match="longer"):
        transition(CaseStatus(), CaseState.COMPLETED, "x" * 501, NOW)
    done = transition(CaseStatus(), CaseState.COMPLETED, None, NOW)
    with pytest.raises(IllegalTransition, match="cannot become"):
        transition(done, CaseState.OPEN, None, NOW)
    accepted = transition(CaseStatus(), CaseState.ACCEPTED, None, NOW)
    with pytest.raises(IllegalTransition, match="rejection needs a reason"):
        decide(accepted, Approval.REJECTED, None)
    assert decide(accepted, Approval.REJECTED, "材料不符").reason == "材料不符"
