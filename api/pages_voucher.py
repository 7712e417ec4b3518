"""Service-voucher pages (P1) over the voucher service (api/services/voucher.py).

  /voucher                       enterprise: its voucher cases; publish a service demand (create_case)
  /voucher/demands               provider: open demands of its categories, with a bid form (POST …/{id}/bid)
  /voucher/my-bids               provider: its bids, the vouchers it won and their contracts
  /voucher/contracts/{case_id}   provider: one won contract (status, voucher, documents)
  /voucher/fund                  operator/department/admin: the year's fund; admin sets the total; statistics;
                                 the policy versions' settings (admin saves them at POST /voucher/policies/{code})
  /cases/{case_id}/withdraw      enterprise: withdraw its voucher case (the form is on the case page)
  /cases/{case_id}/void          operator (003 art. 11(1); the department too): void a voucher for fraud (case page)
Role, scope and validation are the service's: the pages call its functions and word its errors in Chinese.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from api.deps import Year, in_thread, require
from api.error_messages import say
from api.errors import ApiError
from api.pages_common import LoginPageDep, Page, PageRoute, flash, redirect, safe_next, submit_and_return, text, validation_zh
from api.pages_forms import parse_yuan
from api.pages_i18n import CASE_STATUS, yuan
from api.services import cases as case_service
from api.services import voucher as service
from api.services.priority import standing
from api.views import case_json
from db.models import Case
from forms.voucher import VoucherDemandForm
from rules.calendar import SHANGHAI
from rules.voucher import CATEGORIES

router = APIRouter(route_class=PageRoute, include_in_schema=False)

BID_STATUS = {"submitted": "已报价", "chosen": "已中选", "lost": "未中选", "rejected": "未中选", "withdrawn": "已撤回"}
VOUCHER_STATUS = {"reserved": "已预留资金", "waitlisted": "候补排队", "issued": "已发券", "in_service": "服务中",
                  "settled": "已结算", "void": "已作废", "rejected": "未通过", "applying": "申领中",
                  "withdrawn": "已撤回", "lapsed": "候补失效"}


def status_label(status: str) -> str:
    return CASE_STATUS.get(status) or status


def _year(page: Page) -> int:
    return page.now.astimezone(SHANGHAI).year


# --- enterprise ------------------------------------------------------------------------------------------------


def _render_enterprise(page: Page, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                       error: str = "", status: int = 200) -> Response:
    page.session.expire_all()
    found, total = case_service.listing(page.session, page.me, type="voucher", limit=200, offset=0)
    result = {"items": [case_json(c) for c in found], "total": total}
    rows = []
    for item in result["items"]:
        case = page.session.get(Case, item["id"])
        data = case.data if case is not None else {}
        voucher = (case.result or {}).get("voucher", {}) if case is not None else {}
        rows.append({**item, "status_label": status_label(item["status"]),
                     "demand": data.get("title") or item["title"],
                     "category": CATEGORIES.get(str(data.get("category")), data.get("category") or ""),
                     "budget_fen": data.get("budget_fen"), "amount_fen": voucher.get("amount_fen"),
                     "voucher_no": voucher.get("voucher_no"), "valid_until": voucher.get("valid_until"),
                     "provider_name": voucher.get("provider_name")})
    form = {"idem": secrets.token_urlsafe(16), **(values or {})}
    return page.render("voucher_enterprise.html", status=status, cases=rows, total=result["total"],
                       categories=CATEGORIES, values=form, errors=errors or {}, error=error,
                       priority=standing(page.session, page.me))


@router.get("/voucher")
def enterprise_page(page: LoginPageDep) -> Response:
    require(page.me, "enterprise")
    return _render_enterprise(page)


@router.post("/voucher/demands")
async def publish_demand(page: LoginPageDep) -> Response:
    require(page.me, "enterprise")
    form = page.posted
    values = {k: text(form, k, 6000) for k in ("category", "title", "description", "budget", "idem")}
    errors: dict[str, str] = {}
    if values["category"] not in CATEGORIES:
        errors["category"] = "请选择服务类别"
    if not values["title"]:
        errors["title"] = "请填写服务项目"
    budget = parse_yuan(values["budget"]) if values["budget"] else None
    if budget is None or budget <= 0:
        errors["budget"] = "请输入预算金额（元，大于 0，最多两位小数）"
    if errors:
        return await in_thread(page.session, _render_enterprise, page, values=values, errors=errors,
                               error="请更正标红的项目后重新提交", status=422)
    data = {"category": values["category"], "title": values["title"], "description": values["description"],
            "budget_fen": budget}
    try:
        VoucherDemandForm.model_validate(data)
    except ValidationError as exc:
        return await in_thread(page.session, _render_enterprise, page, values=values,
                               error="请求无效：" + validation_zh(exc), status=422)
    page.release()  # the uploads are kept even if the application is refused
    try:
        case = await case_service.submit(page.session, page.engine, page.me, case_type="voucher", data=data,
                                         now=page.now, idempotency_key=values["idem"] or None)
    except ApiError as exc:
        return await in_thread(page.session, _render_enterprise, page, values=values, error=say(exc), status=exc.status)
    flash(page.request, f"服务需求已提交，案件编号 {case.id}，运营单位审核后发布")
    return redirect("/voucher")


# --- provider -----------------------------------------------------------------------------------------------------


@router.get("/voucher/demands")
def demands_page(page: LoginPageDep) -> Response:
    require(page.me, "provider", "operator", "department")
    result = service.open_demands(page.session, page.me)
    mine: set[str] = set()
    if page.me.role == "provider":
        mine = {b["case_id"] for b in service.my_bids(page.session, page.me)["items"]}
    items = [{**d, "category": CATEGORIES.get(str(d["data"].get("category")), d["data"].get("category")),
              "bid": d["id"] in mine} for d in result["items"]]
    return page.render("voucher_demands.html", items=items, total=result["total"])


@router.post("/voucher/demands/{case_id}/bid")
async def bid(case_id: str, page: LoginPageDep) -> Response:
    return await in_thread(page.session, _bid, case_id, page)


def _bid(case_id: str, page: Page) -> Response:
    require(page.me, "provider")
    form = page.posted
    amount = parse_yuan(text(form, "amount", 30))
    if amount is None or amount <= 0:
        flash(page.request, "报价未提交：请输入报价金额（元，大于 0，最多两位小数）", "error")
        return redirect("/voucher/demands")
    try:
        body = service.BidIn(amount_fen=amount, plan=text(form, "plan", 6000))
    except ValidationError as exc:
        flash(page.request, "报价未提交：" + validation_zh(exc), "error")
        return redirect("/voucher/demands")
    try:
        service.bid(page.session, page.me, case_id, body, now=page.now)
    except ApiError as exc:
        page.session.rollback()
        flash(page.request, "报价未提交：" + say(exc), "error")
        return redirect("/voucher/demands")
    flash(page.request, f"已对 {case_id} 报价 {yuan(amount)}")
    return redirect("/voucher/my-bids")


@router.get("/voucher/my-bids")
def my_bids_page(page: LoginPageDep) -> Response:
    result = service.my_bids(page.session, page.me)
    items = []
    for b in result["items"]:
        case = page.session.get(Case, b["case_id"])
        items.append({**b, "status_label": BID_STATUS.get(b["status"], b["status"]),
                      "title": (case.data.get("title") or case.title) if case else "",
                      "applicant": case.applicant if case else "",
                      "case_status": status_label(case.status) if case else "",
                      "voucher_status": VOUCHER_STATUS.get(str((b.get("voucher") or {}).get("status")),
                                                           (b.get("voucher") or {}).get("status") or "")})
    return page.render("voucher_my_bids.html", items=items, total=result["total"])


@router.get("/voucher/contracts/{case_id}")
def contract_page(case_id: str, page: LoginPageDep) -> Response:
    detail = service.contract(page.session, page.me, case_id, now=page.now)
    voucher = (detail.get("result") or {}).get("voucher", {})
    return page.render("voucher_contract.html", case=detail, voucher=voucher, status_text=status_label(detail["status"]),
                       voucher_status=VOUCHER_STATUS.get(str(voucher.get("status")), voucher.get("status") or ""))


# --- the enterprise's choice of a bid (the voucher.choose_bid task page's panel) -----------------------------------


RATINGS = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}


def choose_bid_panel(page: Page, task: Any, case: dict[str, Any] | None) -> dict[str, Any]:
    """The bids as a comparison table with one choose button per bid (replaces the typed bid number)."""
    rows = service.bid_comparison(page.session, page.me, task.case_id)
    for b in rows:
        ratings = b.get("provider_ratings") or {}
        b["ratings_text"] = "、".join(f"{RATINGS.get(k, k)} {n} 次" for k, n in ratings.items() if n) or "暂无评价"
    return {"template": "_choose_bid.html", "replaces_form": True, "bids": rows, "heading": "报价比较",
            "hint": "请在“报价比较”表中比较各服务机构的报价、方案和以往评价，点击“选择此报价”提交。"}


# --- the fund -------------------------------------------------------------------------------------------------------


@router.get("/voucher/fund")
def fund_page(page: LoginPageDep, year: str = "") -> Response:
    require(page.me, "operator", "department", "admin")
    y = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else _year(page)
    fund = service.budget(page.session, page.me, y)
    reports: list[dict[str, Any]] = []
    if page.me.role in ("operator", "department"):
        reports = service.statistics(page.session, page.me)["items"]
    policies = service.list_policies(page.session, page.me)["items"]
    return page.render("voucher_fund.html", fund=fund, year=y, reports=reports, policies=policies)


@router.post("/voucher/fund/{year}")
async def set_fund(year: Year, page: LoginPageDep) -> Response:
    service.require_department(page.me)
    back = f"/voucher/fund?year={year}"
    if not 2000 <= year <= 2100:
        flash(page.request, "未保存：年度应在 2000 至 2100 之间", "error")
        return redirect("/voucher/fund")
    total = parse_yuan(text(page.posted, "total", 30))
    if total is None or total < 0:
        flash(page.request, "未保存：请输入资金总额（元，不小于 0，最多两位小数）", "error")
        return redirect(back)
    try:
        body = service.BudgetIn(total_fen=total)
    except ValidationError as exc:
        flash(page.request, "未保存：" + validation_zh(exc), "error")
        return redirect(back)
    return await submit_and_return(page, back=back, failed="未保存：", done=f"已将 {year} 年服务券资金总额设为 {yuan(total)}",
                                   act=lambda: service.set_budget(page.session, page.engine.client, page.me, year, body,
                                                                  now=page.now))


@router.post("/voucher/policies/{code}")
async def set_policy(code: str, page: LoginPageDep) -> Response:
    service.require_department(page.me)
    year = text(page.posted, "year", 4)
    back = f"/voucher/fund?year={year}" if year.isdigit() else "/voucher/fund"
    try:
        reminders = [int(x) for x in re.split(r"[,，、\s]+", text(page.posted, "expiry_reminder_days", 100)) if x]
        fee_raw = text(page.posted, "supervision_fee_pct", 10).rstrip("%％")
        fee = parse_yuan(fee_raw) if fee_raw else None  # a percentage with two decimals = basis points
        if fee_raw and fee is None:
            raise ValueError(fee_raw)
        body = service.PolicySettingsIn(
            bidding_working_days=int(text(page.posted, "bidding_working_days", 5)),
            voucher_validity_days=int(text(page.posted, "voucher_validity_days", 5)),
            expiry_reminder_days=reminders, supervision_fee_bp=fee)
    except (ValueError, ValidationError):
        flash(page.request, "未保存：请填写整数的报价期、有效期，用逗号分隔的提醒天数，以及百分比的费率", "error")
        return redirect(back)
    return await submit_and_return(page, back=back, failed="未保存：", done=f"已保存{code}年版服务券政策参数",
                                   act=lambda: service.put_policy(page.session, page.me, code, body, now=page.now))



# --- withdrawal and fraud void (forms on the case page) ---------------------------------------------------------------


async def _with_reason(page: Page, *, back: str, verb: str, act: Callable[[str], Awaitable[Any]],
                       done: str) -> Response:
    """A case-page form that needs a reason: refused ones flash why (in Chinese), done ones what happened."""
    reason = text(page.posted, "reason", 2000)
    if not reason:
        flash(page.request, f"未{verb}：请填写{verb}理由", "error")
        return redirect(back)
    return await submit_and_return(page, back=back, failed=f"未{verb}：", done=done, act=lambda: act(reason))


@router.post("/cases/{case_id}/withdraw")
async def withdraw(case_id: str, page: LoginPageDep) -> Response:
    require(page.me, "enterprise")
    return await _with_reason(
        page, back=safe_next(f"/cases/{case_id}", "/voucher"), verb="撤回",
        act=lambda reason: service.withdraw(page.session, page.engine.client, page.me, case_id,
                                            service.WithdrawIn(reason=reason), now=page.now),
        done="已撤回该服务券案件，已预留的资金退回年度服务券资金")


@router.post("/cases/{case_id}/void")
async def void(case_id: str, page: LoginPageDep) -> Response:
    require(page.me, "operator", "department")
    person = text(page.posted, "responsible_person", 100)
    return await _with_reason(
        page, back=safe_next(f"/cases/{case_id}", "/cases"), verb="作废",
        act=lambda reason: service.void(page.session, page.engine.client, page.me, case_id,
                                        service.VoidIn(reason=reason, responsible_person=person), now=page.now),
        done="已作废该服务券：资金退回，服务机构取消签约资格并记入不良信用档案，企业及责任人记入不良信用档案，"
             "已告知主管部门，作废决定已起草")
