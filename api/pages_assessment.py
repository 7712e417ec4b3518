"""Assessment pages (P5) over the assessment service (api/services/assessment.py).

  /assessment                         hub (bureau): the year's campaigns with progress; open a campaign
  /assessment/campaigns/{id}          one campaign: progress, results table, rating distribution, results bulletin
  /assessment/indicators/{kind}       the kind's indicator set (versions; provisional defaults); the assessor edits it
  /public/assessments                 anyone: the published results (subject, total, rating, supported, revoked)
The subject's self-report, the scoring, the decisions and the rectification are tasks on the generic task page.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from api.deps import RowId, require
from api.pages_common import LoginPageDep, Page, PageDep, PageRoute, flash, redirect, submit_and_return, text, validation_zh
from api.services import assessment as service
from forms.assessment import CampaignForm, IndicatorSetForm
from rules.assessment import KIND_LABELS, KINDS
from rules.calendar import SHANGHAI

router = APIRouter(route_class=PageRoute, include_in_schema=False)
RATINGS = {"excellent": "优秀", "qualified": "合格", "failed": "不合格"}



def _year(page: Page, raw: str = "") -> int:
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else page.now.astimezone(SHANGHAI).year



@router.get("/assessment")
def campaigns_page(page: LoginPageDep, year: str = "") -> Response:
    require(page.me, "operator", "department")
    y = _year(page, year)
    items = service.list_campaigns(page.session, page.me, year=y)["items"]
    sets = [service.indicators_json(page.session, k) for k in KINDS]
    return page.render("assessment_campaigns.html", year=y, items=items, sets=sets, kinds=KIND_LABELS,
                       settings=service.settings_json(page.session))


@router.post("/assessment/campaigns")
async def open_campaign(page: LoginPageDep) -> Response:
    require(page.me, "operator", "department")
    form = page.posted
    year, kind, due = text(form, "year", 10), text(form, "kind", 30), text(form, "self_report_due", 10)
    back = f"/assessment?year={year}" if year.isdigit() else "/assessment"
    try:
        body = CampaignForm(year=int(year) if year.isdigit() else 0, kind=kind,
                            self_report_due=date.fromisoformat(due) if due else None)
    except (ValidationError, ValueError) as exc:
        flash(page.request, "未开展：" + (validation_zh(exc) if isinstance(exc, ValidationError) else "日期格式应为 年-月-日"),
              "error")
        return redirect(back)
    return await submit_and_return(page, back=back, failed="未开展：",
                                   done=f"已开展{body.year}年度{KIND_LABELS.get(kind, kind)}绩效考核，已向考核对象发送自评待办",
                                   act=lambda: service.open_campaign(page.session, page.engine, page.me, body, now=page.now))


@router.get("/assessment/campaigns/{campaign_id}")
def campaign_page(campaign_id: RowId, page: LoginPageDep) -> Response:
    require(page.me, "operator", "department")
    camp = service.get_campaign(page.session, page.me, campaign_id)
    total = max(1, sum(camp["cases"]["ratings"].values()))
    bars = [(RATINGS[k], v, round(v * 100 / total)) for k, v in camp["cases"]["ratings"].items()]
    return page.render("assessment_campaign.html", camp=camp, bars=bars, ratings=RATINGS, kinds=KIND_LABELS)


@router.post("/assessment/campaigns/{campaign_id}/bulletin")
async def bulletin(campaign_id: RowId, page: LoginPageDep) -> Response:
    require(page.me, "operator", "department")
    documents_dir = Path(page.request.app.state.settings.data_dir) / "documents"
    return await submit_and_return(page, back=f"/assessment/campaigns/{campaign_id}", failed="未生成：",
                                   done="已生成考核结果通报", act=lambda: service.draft_bulletin(
                                       page.session, page.me, campaign_id, now=page.now, documents_dir=documents_dir))


@router.get("/assessment/indicators/{kind}")
def indicators_page(kind: str, page: LoginPageDep) -> Response:
    require(page.me, "operator", "department")
    current = service.get_indicators(page.session, page.me, kind)
    lines = "\n".join(f"{i['key']},{i['name']},{i['weight']:g}" for i in current["indicators"])
    may_edit = page.me.role == ("department" if kind == "hub" else "operator")
    return page.render("assessment_indicators.html", ind=current, kind=kind, lines=lines, may_edit=may_edit)


@router.post("/assessment/indicators/{kind}")
async def save_indicators(kind: str, page: LoginPageDep) -> Response:
    back = f"/assessment/indicators/{kind}"
    rows = []
    for n, line in enumerate(text(page.posted, "lines", 20000).splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in re.split(r"[,，]", line)]
        try:
            rows.append({"key": parts[0], "name": parts[1], "weight": float(parts[2]) if len(parts) > 2 else 1})
        except (IndexError, ValueError):
            flash(page.request, f"未保存：第{n}行应为“指标代码,指标名称,权重”", "error")
            return redirect(back)
    try:
        body = IndicatorSetForm(indicators=rows, excellent_min=float(text(page.posted, "excellent_min", 10) or 90),
                                qualified_min=float(text(page.posted, "qualified_min", 10) or 60))
    except (ValidationError, ValueError) as exc:
        flash(page.request, "未保存：" + (validation_zh(exc) if isinstance(exc, ValidationError) else "分数线应为数字"),
              "error")
        return redirect(back)
    return await submit_and_return(page, back=back, failed="未保存：", done="已保存新版考核指标，自此后开展的考核适用",
                                   act=lambda: service.put_indicators(page.session, page.me, kind, body, now=page.now))


@router.get("/public/assessments")
def public_page(page: PageDep, year: str = "", kind: str = "") -> Response:
    y = _year(page, year) if year else None
    k = kind if kind in KINDS else None
    result = service.public_results(page.session, year=y, kind=k)
    return page.render("public_assessments.html", items=result["items"], total=result["total"], ratings=RATINGS,
                       kinds=KIND_LABELS, filters={"year": y or "", "kind": k or ""})
