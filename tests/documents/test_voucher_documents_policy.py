"""The voucher documents drafted from stored cases cite the policy version each case runs under (issue 15): the
monthly statistics count each version's vouchers with their own articles, the void decision of a 2017 voucher cites
000 六、使用规定 and is the operating unit's document when the operator voided it (003 art. 11(1))."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, delete

from activities.voucher_documents import voucher_void_decision
from activities.voucher_statistics import _builder_args, statistics_params
from db.models import Case
from documents import content
from tests.documents.test_content import text_of
from workflows.types import DraftDocumentInput
from workflows.voucher_types import StatisticsDraftInput

YEAR, MONTH = 2031, 5  # a month no other test issues vouchers in


def _case(n: int, policy: str, **voucher: object) -> Case:
    at = datetime(YEAR, MONTH, 2, tzinfo=UTC)
    return Case(id=f"VC-POLICY-{n}", type="voucher", status="issued", title="t", applicant="银川市示例科技有限公司",
                city="yinchuan", policy_version=policy, data={"category": "cloud", "title": "云服务"},
                result={"voucher": {"provider_name": "宁夏向量信息技术有限公司", "contract_amount_fen": 600000,
                                    **voucher}}, created_at=at, updated_at=at)


@pytest.fixture
def cases(engine: Engine) -> Iterator[Engine]:
    with Session(engine) as s:
        s.add(_case(1, "2017", amount_fen=180000, issued_on=f"{YEAR}-{MONTH:02d}-03", voucher_no="FWQ-1"))
        s.add(_case(2, "2017", amount_fen=150000, issued_on=f"{YEAR}-{MONTH:02d}-04", voucher_no="FWQ-2"))
        s.add(_case(3, "2016", amount_fen=300000, issued_on=f"{YEAR}-{MONTH - 1:02d}-04",
                    settled_on=f"{YEAR}-{MONTH:02d}-20", settled_fen=300000, voucher_no="FWQ-3"))
        s.commit()
    yield engine
    with Session(engine) as s:
        s.exec(delete(Case).where(Case.id.startswith("VC-POLICY-")))  # type: ignore[attr-defined,call-overload]
        s.commit()


def test_the_monthly_statistics_count_each_voucher_under_its_own_policy(cases: Engine) -> None:
    with Session(cases) as s:
        p = statistics_params(s, year=YEAR, month=MONTH)
    assert {k: v for k, v in p["by_policy"].items()} == {"2017": [2, 330000, 0, 0], "2016": [0, 0, 1, 300000]}
    inp = StatisticsDraftInput(year=YEAR, month=MONTH, at=datetime(YEAR, MONTH + 1, 2, 1, tzinfo=UTC))
    doc = content.monthly_voucher_statistics(number=1, year=YEAR, issued_on=date(YEAR, MONTH + 1, 2),
                                             policy_in_force="2017", **_builder_args(inp, p))
    text = text_of(doc)
    assert "按2017年版办法（宁非公经发〔2017〕101号）办理的发放2张、结算0张，依据" in text
    assert "按2016年版办法（宁非公经发〔2016〕73号）办理的发放0张、结算1张，依据" in text
    assert "“五、申领流程”“七、结算”" in text and "第十条、第十一条第（四）项" in text


def test_the_void_decision_of_a_2017_voucher_voided_by_the_operator(cases: Engine) -> None:
    with Session(cases) as s:
        case = s.get(Case, "VC-POLICY-1")
        assert case is not None
        at = datetime(YEAR, MONTH, 10, 2, tzinfo=UTC)
        doc = voucher_void_decision(s, case, DraftDocumentInput(
            key="k", case_id=case.id, kind="voucher_void_decision", issuer="operator",
            params={"reason": "恶意串通", "by": "operator"}, at=at))
        text = text_of(doc)
        assert doc.issuer_code == "宁中小服发" and "“六、使用规定”" in text and "2016〕73号" not in text
        assert "告知宁夏回族自治区工业和信息化厅" in text
        by_department = voucher_void_decision(s, case, DraftDocumentInput(
            key="k", case_id=case.id, kind="voucher_void_decision", issuer="department",
            params={"reason": "恶意串通", "by": "department"}, at=at))
        assert by_department.issuer_code == "宁工信发"
