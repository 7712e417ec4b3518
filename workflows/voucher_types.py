"""Typed inputs and results of the voucher workflow, its messages and its activities (Pydantic, no tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class VoucherStartInput(BaseModel):
    case_id: str
    at: datetime


class VoucherStarted(BaseModel):
    """The policy version in force on the submission day (the case keeps it) and its periods."""

    policy: str
    policy_title: str
    bidding_working_days: int
    expiry_reminder_days: list[int]
    supervision_fee_bp: int
    # The version's own order (rules.voucher.PolicyVersion); the defaults are the 2017/2019 order older runs had.
    department_reviews: bool = True
    contract_before_application: bool = False
    deposit: bool = False


class BiddingInput(BaseModel):
    case_id: str
    working_days: int = 0
    at: datetime


class BiddingOpened(BaseModel):
    closes_at: datetime


class BidsClosed(BaseModel):
    bid_ids: list[int] = Field(default_factory=list)


class ChooseBidInput(BaseModel):
    case_id: str
    bid_id: int
    at: datetime


class ChosenBid(BaseModel):
    ok: bool
    reason: str = ""
    provider_org_id: int | None = None
    provider_name: str = ""
    amount_fen: int = 0


class ApplyInput(BaseModel):
    """voucher.apply: compute the amount with rules and reserve it in the fund, atomically."""

    case_id: str
    contract_amount_fen: int
    at: datetime
    # Patch "voucher-reserve-projects" (issue 12): the workflow's view of the voucher, written into case.result with the
    # reservation's outcome in the reservation's own transaction (before: a `voucher_project` activity after it), and
    # the status message a waitlisted application's case then takes (before: a `set_case_status` activity).
    voucher: dict[str, Any] | None = None
    waitlisted_message: str | None = None


class FundOpInput(BaseModel):
    """release | void | lower | settle | state, on one case's reservation."""

    case_id: str
    op: str
    amount_fen: int | None = None
    at: datetime


class FundResult(BaseModel):
    ok: bool = True
    state: str = ""
    reason: str = ""
    amount_fen: int = 0
    limited_by: list[str] = Field(default_factory=list)
    year: int = 0
    promoted: list[str] = Field(default_factory=list)
    dropped: list[str] = Field(default_factory=list)


def reservation_view(got: FundResult, contract_amount_fen: int) -> dict[str, Any]:
    """What a reservation's outcome adds to the voucher's projection (case.result["voucher"]); the workflow and, since
    patch "voucher-reserve-projects", the reservation activity write the same fields."""
    return {"status": got.state, "amount_fen": got.amount_fen, "computed_fen": got.amount_fen,
            "contract_amount_fen": contract_amount_fen, "fund_year": got.year, "limited_by": list(got.limited_by)}


class FundChanged(BaseModel):
    """Signal to a waiting case: its reservation state changed (promoted or dropped)."""

    state: str


class IssueInput(BaseModel):
    case_id: str
    at: datetime


class IssuedVoucher(BaseModel):
    voucher_no: str
    valid_until: date
    amount_fen: int


class WithdrawRequest(BaseModel):
    """Update: the enterprise withdraws its demand or application before the service is delivered."""

    reason: str
    actor: str


class WithdrawResult(BaseModel):
    status: str


class VoidRequest(BaseModel):
    """Signal: the operator (or the department) voids the voucher for fraud (003 art. 11(1))."""

    reason: str
    actor: str
    responsible_person: str = ""  # recorded as bad credit apart from the enterprise (003 art. 11(1))
    role: str = "department"  # who voids: the operator (003 art. 11(1)) issues the decision itself


class VoidCaseInput(BaseModel):
    """Record a fraud void: the provider loses its signed status, the enterprise is blacklisted."""

    case_id: str
    reason: str
    actor: str
    provider_org_id: int | None = None
    at: datetime
    responsible_person: str = ""


class VoucherProjection(BaseModel):
    """Write case.result["voucher"] (merged) with the workflow's view of the voucher."""

    case_id: str
    voucher: dict[str, Any]
    at: datetime


class StatisticsInput(BaseModel):
    """The monthly statistics workflow: the month it reports next, continued as new each month."""

    year: int
    month: int


class StatisticsDraftInput(BaseModel):
    year: int
    month: int
    at: datetime


class NextReport(BaseModel):
    """When the report of (year, month) is due: 09:00 Shanghai on the first working day of the month after."""

    report_at: datetime


class ConfirmCategoryInput(BaseModel):
    """The operator's confirmed (or corrected) category at the demand review (000 二 ratios follow it)."""

    case_id: str
    category: str | None = None  # None: the enterprise's category is confirmed as filed
    actor: str
    at: datetime


# Activity names, referenced by string so workflows never import activity code.
VOUCHER_START = "voucher_start"
OPEN_BIDDING = "voucher_open_bidding"
CLOSE_BIDDING = "voucher_close_bidding"
CHOOSE_BID = "voucher_choose_bid"
RESERVE_FUND = "voucher_reserve_fund"
FUND_OP = "voucher_fund_op"
ISSUE_VOUCHER = "voucher_issue"
PROJECT_VOUCHER = "voucher_project"
VOID_CASE = "voucher_void_case"
DRAFT_STATISTICS = "voucher_draft_statistics"
NEXT_REPORT_AT = "voucher_next_report_at"
CONFIRM_CATEGORY = "voucher_confirm_category"
