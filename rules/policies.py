"""The seed documents as policy versions with their status and validity dates (000, 002, 003, 004).

A case runs under the version in force (or, for a draft, the version in use) on the day it was submitted, and its
documents cite that version by its title and number. Status, from the documents themselves:
- 002 is a draft for comment (征求意见稿, "关于征求《…（征求意见稿）》意见的函"): in use here, not formally in force;
- 004 art. 17: "本办法自2018年3月6日施行，有效期至2020年3月6日";
- 003 art. 12: in force from its issue (2016-06-24), no end date;
- 000 names 宁非公经发〔2017〕101号 without a date (the voucher rules keep their own versions, rules/voucher.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from rules.errors import RuleViolation

Status = Literal["draft", "not_yet_in_force", "in_force", "expired"]
STATUS_ZH: dict[str, str] = {"draft": "征求意见稿", "not_yet_in_force": "尚未施行", "in_force": "现行有效",
                             "expired": "已超过有效期"}


class PolicyError(RuleViolation):
    """No such policy version."""


@dataclass(frozen=True)
class PolicyDocument:
    """One seed document as a version: its title, number, whether it is a draft, and its validity dates."""

    code: str
    title: str  # with its book-title marks
    number: str  # 文号, "" for a draft
    seed: str
    draft: bool = False
    effective_from: date | None = None
    effective_until: date | None = None  # last day in force (inclusive)

    def status_on(self, day: date) -> Status:
        """The document's status on `day`: a draft stays a draft; otherwise by its validity dates."""
        if self.draft:
            return "draft"
        if self.effective_from is not None and day < self.effective_from:
            return "not_yet_in_force"
        if self.effective_until is not None and day > self.effective_until:
            return "expired"
        return "in_force"

    def citation(self) -> str:
        """How a document cites it: title and number (a draft says so in its title)."""
        return f"{self.title}（{self.number}）" if self.number else self.title

    def as_dict(self, day: date) -> dict[str, object]:
        status = self.status_on(day)
        return {"code": self.code, "title": self.title, "number": self.number, "seed": self.seed,
                "status": status, "status_label": STATUS_ZH[status], "draft": self.draft,
                "effective_from": self.effective_from.isoformat() if self.effective_from else None,
                "effective_until": self.effective_until.isoformat() if self.effective_until else None}


CERTIFICATION_2018_DRAFT = PolicyDocument(
    code="002-draft",
    title="《宁夏回族自治区中小企业公共服务示范平台认定管理办法（征求意见稿）》",
    number="",
    seed="002",
    draft=True,
)
NETWORK_2018 = PolicyDocument(
    code="004-2018",
    title="《宁夏回族自治区中小企业公共服务平台网络运营管理暂行办法》",
    number="宁非公经发〔2018〕23号",
    seed="004",
    effective_from=date(2018, 3, 6),  # 004 art. 17
    effective_until=date(2020, 3, 6),  # 004 art. 17: 有效期至2020年3月6日
)
VOUCHER_2016 = PolicyDocument(
    code="003-2016",
    title="《宁夏回族自治区小微企业服务补贴券业务管理暂行办法》",
    number="宁非公经发〔2016〕73号",
    seed="003",
    effective_from=date(2016, 6, 24),  # 003 art. 12: 自发布之日起施行
)

POLICY_DOCUMENTS: dict[str, PolicyDocument] = {
    p.code: p for p in (CERTIFICATION_2018_DRAFT, NETWORK_2018, VOUCHER_2016)}

# The version each process runs under (the one seed that governs it); a case records it when it starts.
PROCESS_POLICY: dict[str, str] = {
    "certification": CERTIFICATION_2018_DRAFT.code,  # 002
    "provider_admission": VOUCHER_2016.code,  # 003 art. 4, 8 (with 000 四)
    "window_onboarding": NETWORK_2018.code,  # 004 art. 8-10
}


def policy(code: str) -> PolicyDocument:
    """A version by its code."""
    try:
        return POLICY_DOCUMENTS[code]
    except KeyError:
        raise PolicyError("unknown_policy", f"no policy version {code!r}; known: {', '.join(POLICY_DOCUMENTS)}") \
            from None


def policy_for(process: str) -> PolicyDocument:
    """The version a new case of `process` runs under."""
    try:
        return POLICY_DOCUMENTS[PROCESS_POLICY[process]]
    except KeyError:
        raise PolicyError("unknown_policy", f"no policy version for {process!r}") from None
