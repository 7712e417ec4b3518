"""Content builders of the yearly assessments (P5; seed 004 art. 11-13), GB/T 9704 like documents/content_platform.

The result notice, the rectification notice and the revocation decision of one subject are the network's builders
(documents/content_network.py), given the campaign's kind; the campaign's results bulletin (考核结果通报) lists every
subject with its total and rating. Pure: plain data in, an OfficialDocument out.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from documents.content_common import NETWORK_RULES, RATING_LABELS, issuer_name, numbered_table, official, sentence
from documents.content_network import (
    SUBJECT_LABELS,
    assessment_result_notice,
    qualification_revocation,
    rectification_notice,
)
from documents.model import Heading, OfficialDocument, Paragraph

# Campaign kind (rules.assessment.KINDS) -> the network builders' subject kind.
SUBJECT_KIND = {"window": "window_platform", "partner": "service_org", "operating_unit": "operator", "hub": "hub"}


@dataclass(frozen=True)
class ResultRow:
    """One subject's line in the bulletin."""

    name: str
    total: float | None
    rating: str
    supported: bool = False
    revoked: bool = False
    rectifying: bool = False


def _points(total: float | None) -> str:
    return "—" if total is None else f"{total:.2f}".rstrip("0").rstrip(".")


def result_notice(*, number: int, year: int, issued_on: date, assessment_year: int, kind: str, subject_name: str,
                  total: float, rating: str) -> OfficialDocument:
    """One subject's result and what it means (004 art. 11-13); the hub issues it (the bureau for the hub)."""
    return assessment_result_notice(number=number, year=year, issued_on=issued_on, assessment_year=assessment_year,
                                    subject_kind=SUBJECT_KIND[kind],  # type: ignore[arg-type]
                                    results=[(f"{subject_name}（{_points(total)}分）", rating)],
                                    recipients=f"{subject_name}：")


def rectification(*, number: int, year: int, issued_on: date, assessment_year: int, kind: str, subject_name: str,
                  problems: Sequence[str], deadline: date) -> OfficialDocument:
    """限期整改 (004 art. 13) with the deadline computed in working days."""
    return rectification_notice(number=number, year=year, issued_on=issued_on, subject_name=subject_name,
                                subject_kind=SUBJECT_KIND[kind],  # type: ignore[arg-type]
                                assessment_year=assessment_year, problems=problems, deadline=deadline)


def revocation(*, number: int, year: int, issued_on: date, kind: str, subject_name: str, reason: str,
               rectification_doc_number: str | None) -> OfficialDocument:
    """整改后仍达不到要求的，枢纽平台提请…撤销其相应资格 (004 art. 13): the bureau's decision."""
    return qualification_revocation(number=number, year=year, issued_on=issued_on, subject_name=subject_name,
                                    subject_kind=SUBJECT_KIND[kind],  # type: ignore[arg-type]
                                    reason=reason, ground="failed_rectification",
                                    rectification_doc_number=rectification_doc_number)


def results_bulletin(*, number: int, year: int, issued_on: date, assessment_year: int, kind: str,
                     rows: Sequence[ResultRow], indicators: Sequence[tuple[str, float]],
                     excellent_min: float, qualified_min: float) -> OfficialDocument:
    """考核结果通报: the campaign's every subject, its total and rating, the supported and the revoked (004 art. 13)."""
    if kind not in SUBJECT_KIND:
        raise ValueError(f"no assessment of {kind!r}")
    unknown = {r.rating for r in rows} - set(RATING_LABELS)
    if unknown:
        raise ValueError(f"unknown ratings {sorted(unknown)}")
    label = SUBJECT_LABELS[SUBJECT_KIND[kind]]
    issuer = "department" if kind == "hub" else "operator"
    counts = {k: sum(1 for r in rows if r.rating == k) for k in RATING_LABELS}
    weight_sum = sum(w for _, w in indicators) or 1
    method = "、".join(f"{name}（{w * 100 / weight_sum:.0f}%）" for name, w in indicators)

    def note(r: ResultRow) -> str:
        return "撤销资格" if r.revoked else "优先支持" if r.supported else "限期整改" if r.rectifying else ""

    blocks = [
        Paragraph(text=f"根据{NETWORK_RULES}第十一条至第十三条规定，{issuer_name(issuer)}组织开展了{assessment_year}年度"
                       f"{label}绩效考核。现将考核结果通报如下："),
        Heading(level=1, text="一、考核情况"),
        Paragraph(text=sentence(f"本次考核共{len(rows)}个{label}，考核指标为{method or '无'}；综合得分{_points(excellent_min)}分"
                                f"及以上为优秀，{_points(qualified_min)}分及以上为合格，以下为不合格")),
        Paragraph(text=f"考核结果为优秀的{counts['excellent']}个，合格的{counts['qualified']}个，"
                       f"不合格的{counts['failed']}个。"),
        Heading(level=1, text="二、考核结果"),
        numbered_table(["名称", "综合得分", "考核结果", "备注"],
                       [[r.name, _points(r.total), RATING_LABELS[r.rating], note(r)] for r in rows]),
        Heading(level=1, text="三、结果运用"),
        Paragraph(text="考核结果作为动态管理、有序进退和享受扶持奖励政策的重要依据。考核优秀的，提请按照相关政策优先给予支持；"
                       "考核不合格的，限期整改，整改后仍达不到要求的，提请撤销其相应资格。"),
    ]
    return official(kind="assessment_bulletin", issuer=issuer, number=number, year=year,
                    title=f"关于{assessment_year}年度{label}绩效考核结果的通报", recipients=f"各{label}：",
                    blocks=blocks, issued_on=issued_on)
