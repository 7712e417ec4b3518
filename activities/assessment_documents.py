"""Document builders of the yearly assessments: gather a case's data for the pure content builders."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from db.models import Case, Document
from documents import content_assessment as content
from rules.calendar import SHANGHAI
from workflows.types import DraftDocumentInput


def _day(inp: DraftDocumentInput) -> date:
    return inp.at.astimezone(SHANGHAI).date()


def result(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    day = _day(inp)
    return content.result_notice(number=1, year=day.year, issued_on=day, assessment_year=int(case.data["year"]),
                                 kind=str(case.data["kind"]), subject_name=case.applicant,
                                 total=float(inp.params["total"]), rating=str(inp.params["rating"]))


def rectification_notice(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    day = _day(inp)
    return content.rectification(number=1, year=day.year, issued_on=day, assessment_year=int(case.data["year"]),
                                 kind=str(case.data["kind"]), subject_name=case.applicant,
                                 problems=[str(p) for p in inp.params.get("problems") or ["考核得分未达到合格标准"]],
                                 deadline=date.fromisoformat(str(inp.params["deadline"])))


def revocation_decision(s: Session, case: Case, inp: DraftDocumentInput) -> Any:
    day = _day(inp)
    notice = s.exec(select(Document).where(Document.case_id == case.id,
                                           Document.kind == "assessment_rectification_notice")).first()
    return content.revocation(number=1, year=day.year, issued_on=day, kind=str(case.data["kind"]),
                              subject_name=case.applicant,
                              reason=str(inp.params.get("reason") or "整改后仍达不到要求"),
                              rectification_doc_number=notice.doc_number if notice else None)


ASSESSMENT_BUILDERS = {
    "assessment_result": result,
    "assessment_rectification_notice": rectification_notice,
    "assessment_revocation_decision": revocation_decision,
}
