"""Case titles that tell two cases of one applicant apart (issue 15): every process whose cases belong to an
applicant declares `title_detail` in its spec (not only the voucher and the certification), and the cases it opens
(through POST /api/cases, the registration, a campaign) carry it."""

from __future__ import annotations

from datetime import date

import pytest

from processes.registry import specs
from tests.api.test_assessment import cases_of, open_campaign, partner
from tests.api.test_provider_admission import submit
from tests.api.test_window_onboarding import apply as apply_window
from tests.conftest import Stack
from tests.helpers import login, org_body, register_approved

DAY = date(2026, 11, 27)

TWO_CASES = {  # two cases of one applicant that a list must tell apart
    "registration": ({"username": "ent_a", "org": {"industry": "software"}},
                     {"username": "ent_b", "org": {"industry": "wholesale"}}),
    "provider_admission": ({"categories": ["legal"], "service_items": [{}]},
                           {"categories": ["legal", "credit"], "service_items": [{}, {}]}),
    "window_onboarding": ({"platform_name": "银川窗口", "coverage_detail": "兴庆区"},
                          {"platform_name": "银川园区窗口", "coverage_detail": "经开区"}),
    "assessment": ({"year": 2026, "kind": "window"}, {"year": 2026, "kind": "partner"}),
    "voucher": ({"category": "cloud", "budget_fen": 540_000}, {"category": "cloud", "budget_fen": 300_000}),
    "certification": ({"platform_name": "甲平台"}, {"platform_name": "乙平台"}),
}


def test_every_applicants_process_declares_its_title_detail() -> None:
    declared = {t for t, s in specs().items() if s.title_detail is not None}
    assert set(TWO_CASES) <= declared
    for case_type, (a, b) in TWO_CASES.items():
        spec = specs()[case_type]
        first, second = spec.case_title("宁夏某公司", a, DAY), spec.case_title("宁夏某公司", b, DAY)
        assert first.startswith(f"{spec.title}：宁夏某公司（") and first != second, case_type
    assert specs()["provider_admission"].case_title("甲", TWO_CASES["provider_admission"][1], DAY) \
        == "签约服务机构准入申请：甲（法律服务、信用服务·2项服务·2026年11月27日）"
    assert specs()["assessment"].case_title("甲", TWO_CASES["assessment"][0], DAY) == "年度绩效考核：甲（2026年度·窗口平台）"
    assert specs()["registration"].case_title("甲", TWO_CASES["registration"][0], DAY) \
        == "注册审核：甲（ent_a·软件和信息技术服务业·2026年11月27日）"


@pytest.mark.workflow
async def test_the_cases_opened_carry_their_detail(stack: Stack) -> None:
    http = stack.http
    body = org_body("enterprise")
    reg = await http.post("/api/register", json=body)
    assert reg.status_code == 201, reg.text
    op = await login(http, "operator1")
    title = (await http.get(f"/api/cases/{reg.json()['case_id']}", headers=op)).json()["title"]
    assert title.startswith(f"注册审核：{body['org']['name']}（{body['username']}·软件和信息技术服务业·")
    prov, _ = await register_approved(http, "provider")
    admission = await submit(stack, prov)
    assert "项服务·" in admission["title"] and admission["title"].startswith("签约服务机构准入申请：")
    _, window = await apply_window(stack)
    assert window["title"].startswith("窗口平台接入申请：") and "银川市中小企业窗口服务平台" in window["title"] \
        and "兴庆区" in window["title"], window["title"]
    _, org_id, _ = await partner(stack)
    camp = await open_campaign(stack, "partner", [org_id])
    (case,) = cases_of(stack, camp["id"])
    assert case.title.endswith(f"（{camp['year']}年度·合作服务机构）"), case.title
