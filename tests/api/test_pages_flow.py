"""The voucher's pages as its parties use them, in-process (no browser): the enterprise chooses a bid from the
comparison table, uploads its materials through file pickers, and every page of every role answers without a 5xx
and without an internal key at every status of the case (issue 15)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx
import pytest

from tests.conftest import Stack, own_stack_fixture
from tests.helpers import PASSWORD, login, task_of, wait_for
from tests.voucher.factories import PDF, new_voucher

pytestmark = pytest.mark.workflow

# Its cases leap the clock by days (bidding closes): a server of its own, so no other module's open cases wake.
stack = own_stack_fixture()

STAFF = ("operator1", "department1", "admin", "expert1", "city_yinchuan")


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


async def page_login(stack: Stack, username: str, password: str = PASSWORD) -> httpx.AsyncClient:
    """A browser-like client of its own (own cookies) on the same app."""
    c = httpx.AsyncClient(transport=stack.http._transport, base_url="http://flow168.test", timeout=60)
    r = await c.post("/login", data={"csrf_token": csrf_of((await c.get("/login")).text), "username": username,
                                     "password": password})
    assert r.status_code in (302, 303), r.text
    return c


async def open_task_page(c: httpx.AsyncClient, stack: Stack, h: dict[str, str], task_type: str,
                         case_id: str) -> tuple[str, str]:
    task = await task_of(stack.http, h, task_type, case_id)
    r = await c.get(f"/tasks/{task['id']}")
    assert r.status_code == 200, r.text
    return task["id"], r.text


class TestChooseBid:
    async def test_the_bids_side_by_side_and_a_foreign_bid_refused(self, stack: Stack) -> None:
        v = await new_voucher(stack)
        await v.to_bidding()
        assert (await v.bid(amount_fen=650_000)).status_code == 201
        other = await new_voucher(stack)  # a second provider bids on the same demand
        r = await v.bid(other.prov, amount_fen=520_000)
        assert r.status_code == 201, r.text
        cheaper = r.json()["id"]
        await v.close_bidding()
        ent = await page_login(stack, v.ent_body["username"])
        tid, html = await open_task_page(ent, stack, v.ent, "voucher.choose_bid", v.case_id)
        assert "报价比较" in html and "选定的报价编号" not in html
        assert html.count(">选择此报价</button>") == 2 and "5,200.00 元" in html and "6,500.00 元" in html
        assert html.index("5,200.00 元") < html.index("6,500.00 元")  # cheapest first
        assert "暂无评价" in html and "0 张" in html
        r = await ent.post(f"/tasks/{tid}/complete", data={"csrf_token": csrf_of(html), "decision": "submit",
                                                           "f.bid_id": "999999"})
        assert r.status_code == 422 and "不是本需求的报价" in r.text  # an error, not "已办理"
        r = await ent.post(f"/tasks/{tid}/complete", data={"csrf_token": csrf_of(r.text), "decision": "submit",
                                                           "f.bid_id": str(cheaper)})
        assert r.status_code == 303, r.text
        detail = await v.status("in_review")
        assert other.prov_body["org"]["name"] in str(detail["timeline"])
        await ent.aclose()


# --- every page of every role at every status: no 5xx, no internal key ----------------------------------------------


def internal_keys() -> set[str]:
    """The internal keys a page must never show: every process's statuses, task types, decisions, deadline names and
    document kinds (their specs) and every form's field names (the form models)."""
    from forms.registry import forms
    from processes.registry import specs

    keys: set[str] = set()
    for spec in specs().values():
        for mapping in (spec.statuses, spec.task_types, spec.decisions, spec.deadlines, spec.documents):
            keys.update(mapping)
    for model in forms().values():
        keys.update(model.model_fields)
    keys.update(("approve", "reject", "submit", "satisfied", "unsatisfied", "in_review", "returned", "approved",
                 "rejected", "completed", "cancelled", "claimed"))
    return {k for k in keys if len(k) > 3}


def keys_of(value: Any) -> set[str]:
    """The keys of a nested dict (a case's result), to be found on no page either."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


def visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<[^>]+>", " ", html)
    return unescape(html)


def raw_keys(html: str, keys: set[str]) -> set[str]:
    text = visible_text(html)
    words = set(re.findall(r"(?<![\w./-])[a-z][a-z0-9_.]*[a-z0-9](?![\w/-])", text))
    return words & keys


class Crawler:
    """Logged-in page clients of every role of a voucher case, opening all their pages."""

    def __init__(self, stack: Stack, clients: dict[str, httpx.AsyncClient]) -> None:
        self.stack, self.clients = stack, clients
        self.found: dict[str, set[str]] = {}
        self.statuses: list[str] = []

    async def crawl(self, case_id: str, extra: tuple[str, ...] = ()) -> None:
        detail = (await self.stack.http.get(f"/api/cases/{case_id}", headers=await login(self.stack.http, "admin"))).json()
        self.statuses.append(detail["status"])
        keys = internal_keys() | {k for k in keys_of(detail.get("result") or {}) if len(k) > 3}
        task_pages = [f"/tasks/{t['id']}" for t in detail.get("tasks", [])]
        urls = ["/", "/home", "/inbox", "/inbox?tab=mine", "/cases", f"/cases/{case_id}", "/notifications",
                *task_pages, *extra]
        for who, c in self.clients.items():
            for url in urls:
                r = await c.get(url)
                assert r.status_code < 500, f"{who} {url} at {detail['status']}: {r.status_code}"
                if r.status_code == 200:
                    for k in raw_keys(r.text, keys):
                        self.found.setdefault(k, set()).add(f"{who} {url} ({detail['status']})")


class TestEveryPage:
    async def test_a_voucher_by_its_pages_every_page_at_every_status(self, stack: Stack) -> None:
        v = await new_voucher(stack)
        clients = {"enterprise": await page_login(stack, v.ent_body["username"]),
                   "provider": await page_login(stack, v.prov_body["username"]),
                   **{u: await page_login(stack, u, "demo168") for u in STAFF}}
        ent, prov = clients["enterprise"], clients["provider"]
        crawler = Crawler(stack, clients)
        voucher_pages = ("/voucher", "/voucher/demands", "/voucher/my-bids", f"/voucher/contracts/{v.case_id}",
                         "/voucher/fund")

        async def crawl() -> None:
            await crawler.crawl(v.case_id, voucher_pages)

        await v.demand()
        await crawl()
        await v.do("operator1", "voucher.demand_review")
        await v.status("bidding")
        await crawl()
        r = await v.bid()
        assert r.status_code == 201, r.text
        await v.close_bidding()
        await crawl()
        home = (await ent.get("/home")).text  # bidding closed: the step is the enterprise's own, and it is told
        assert "轮到您办理" in home and "选择服务机构报价" in home and "年度上限 1 万元" in home
        assert '<li class="current">选择服务机构</li>' in home and '<li class="done">需求审核</li>' in home
        assert "轮到您办理：选择服务机构报价" in (await ent.get("/notifications")).text
        tid, html = await open_task_page(ent, stack, v.ent, "voucher.choose_bid", v.case_id)
        r = await ent.post(f"/tasks/{tid}/complete", data={"csrf_token": csrf_of(html), "decision": "submit",
                                                           "f.bid_id": str(r.json()["id"])})
        assert r.status_code == 303, r.text
        await crawl()
        await v.do("operator1", "voucher.award_review")
        await v.status("applying")
        await crawl()
        # voucher.apply: the five materials through file pickers; one missing is named, the others kept
        tid, html = await open_task_page(ent, stack, v.ent, "voucher.apply", v.case_id)
        pickers = re.findall(r'type="file" name="(files\.materials\.[a-z_]+)"', html)
        assert len(pickers) == 5, pickers
        files = {name: (f"{name[16:]}.pdf", PDF, "application/pdf") for name in pickers[:4]}
        r = await ent.post(f"/tasks/{tid}/complete", files=files, data={
            "csrf_token": csrf_of(html), "decision": "submit", "f.contract_amount_fen": "6000"})
        assert r.status_code == 422 and "已上传" in r.text, r.text
        assert r.text.count("选择新文件可替换") == 4
        kept = dict(re.findall(r'name="(f\.materials\.[a-z_]+)" value="([0-9a-f]{32})"', r.text))
        assert len(kept) == 4
        r = await ent.post(f"/tasks/{tid}/complete", files={pickers[4]: ("tax.pdf", PDF, "application/pdf")}, data={
            "csrf_token": csrf_of(r.text), "decision": "submit", "f.contract_amount_fen": "6000", **kept})
        assert r.status_code == 303, r.text
        await v.status("in_review")
        await crawl()
        home = (await ent.get("/home")).text
        assert "比例 50%，年度上限 1 万元，本券 3,000 元" in home and "由运营单位办理" in home
        assert "operator1" not in home  # the role holds the step, never a person's name
        op = clients["operator1"]
        _, html = await open_task_page(op, stack, await v.h("operator1"), "voucher.first_review", v.case_id)
        assert "tax.pdf" in html and "premises_proof.pdf" in html and "未上传材料" not in html  # reviewers see them
        await v.do("operator1", "voucher.first_review")
        await v.do("department1", "voucher.final_review")
        await v.status("issued")
        await crawl()
        tid, html = await open_task_page(prov, stack, v.prov, "voucher.delivery", v.case_id)
        assert 'name="files.completion_proof"' in html and 'name="files.invoice"' in html
        r = await prov.post(f"/tasks/{tid}/complete", data={
            "csrf_token": csrf_of(html), "decision": "submit", "f.paid_fen": "3000"}, files={
            "files.completion_proof": ("完成证明.pdf", PDF, "application/pdf"),
            "files.invoice": ("发票.pdf", PDF, "application/pdf")})
        assert r.status_code == 303, r.text
        await v.status("in_service")
        await crawl()
        await v.do(v.ent, "voucher.confirm", "submit", {"satisfaction": "satisfied"})
        await v.status("settling")
        await crawl()
        op2 = await page_login(stack, "operator2", "demo168")
        tid, html = await open_task_page(op2, stack, await v.h("operator2"), "voucher.settlement_review", v.case_id)
        assert "监理服务费率" in html and "基点" not in html
        r = await op2.post(f"/tasks/{tid}/complete", data={"csrf_token": csrf_of(html), "decision": "approve",
                                                           "f.supervision_fee_bp": "4", "f.fully_performed": "on"})
        assert r.status_code == 303, r.text
        await op2.aclose()
        await v.do("department2", "voucher.settlement_approval")
        await v.status("settled")
        await crawl()
        for c in clients.values():
            await c.aclose()
        done = await v.detail()
        assert done["result"]["voucher"]["supervision_fee_fen"] == 24_000  # 4 % of 6,000 元, asked in percent
        assert crawler.statuses[-1] == "settled" and len(set(crawler.statuses)) >= 7, crawler.statuses
        assert not crawler.found, "internal keys on pages:\n" + "\n".join(
            f"{k}: {sorted(w)[:3]}" for k, w in sorted(crawler.found.items()))

    async def test_a_provider_admission_every_page_at_every_status(self, stack: Stack) -> None:
        from tests.api.test_provider_admission import submit
        from tests.helpers import complete, register_approved

        http = stack.http
        prov, body = await register_approved(http, "provider")
        clients = {"provider": await page_login(stack, body["username"]),
                   **{u: await page_login(stack, u, "demo168") for u in (*STAFF, "expert3")}}
        crawler = Crawler(stack, clients)
        case = await submit(stack, prov)
        pages = ("/apply/provider_admission",)
        await crawler.crawl(case["id"], pages)
        op, dep = await login(http, "operator1"), await login(http, "department1")

        async def named_expert() -> dict[str, str]:  # the panel's expert (000 四), named after the operator's review
            experts = await wait_for(lambda: _experts(http, op, case["id"]), what="the panel")
            return await login(http, experts[0])

        for who, task_type, data in (("op", "provider_admission.operator_review", None),
                                     ("expert", "provider_admission.expert_review", {"score": 88, "opinion": "服务能力较强",
                                                                               "no_conflict": True}),
                                     ("dep", "provider_admission.department_filing", None)):
            h = op if who == "op" else dep if who == "dep" else await named_expert()
            assert (await complete(http, h, await task_of(http, h, task_type, case["id"]), data=data)).status_code == 200
            await crawler.crawl(case["id"], pages)
        for c in clients.values():
            await c.aclose()
        assert not crawler.found, "internal keys on pages:\n" + "\n".join(
            f"{k}: {sorted(w)[:3]}" for k, w in sorted(crawler.found.items()))

    async def test_a_certification_every_page_at_every_status(self, stack: Stack) -> None:
        from tests.api.test_certification import apply, deadline, publish_year_list, sleep_past
        from tests.helpers import case_status, complete, wait_for

        http = stack.http
        org, case = await apply(stack)
        case_id = case["id"]
        username = await self._username(stack, org)
        clients = {"platform_org": await page_login(stack, username),
                   **{u: await page_login(stack, u, "demo168") for u in (*STAFF, "department2")}}
        crawler = Crawler(stack, clients)
        pages = ("/apply/certification", "/certification/calls", "/public/notices", "/platforms")
        await crawler.crawl(case_id, pages)
        bureau, dep1, dep2 = (await login(http, "city_yinchuan"), await login(http, "department1"),
                              await login(http, "department2"))
        city = clients["city_yinchuan"]
        tid, html = await open_task_page(city, stack, bureau, "certification.city_recommendation", case_id)
        assert 'name="f.scores.运营情况"' in html and 'name="f.scores.用户满意度"' in html  # one number per criterion
        assert 'name="comment"' not in html and html.count("<textarea") == 1  # one comment box: its opinion
        r = await city.post(f"/tasks/{tid}/complete", data={
            "csrf_token": csrf_of(html), "decision": "recommend", "f.opinion": "运营规范", "f.scores.运营情况": "90",
            "f.scores.服务业绩": "abc", "f.scores.用户满意度": ""})
        assert r.status_code == 422 and "请输入数字" in r.text
        r = await city.post(f"/tasks/{tid}/complete", data={
            "csrf_token": csrf_of(r.text), "decision": "recommend", "f.opinion": "运营规范", "f.scores.运营情况": "90",
            "f.scores.服务业绩": "88.5", "f.scores.用户满意度": "92"})
        assert r.status_code == 303, r.text
        rec = await task_of(http, dep1, "certification.precheck", case_id)
        detail = (await http.get(f"/api/cases/{case_id}", headers=dep1)).json()
        done = next(t for t in detail["tasks"] if t["type"] == "certification.city_recommendation")
        assert done["data"]["scores"] == {"运营情况": 90, "服务业绩": 88.5, "用户满意度": 92} and rec
        assert done["comment"] == "运营规范"
        await crawler.crawl(case_id, pages)
        assert (await complete(http, dep1, await task_of(http, dep1, "certification.precheck", case_id))
                ).status_code == 200
        detail = (await http.get(f"/api/cases/{case_id}", headers=dep1)).json()
        for n, expert in enumerate(detail["result"]["experts"]):
            h = await login(http, expert)
            clients.setdefault(expert, await page_login(stack, expert, "demo168"))
            await crawler.crawl(case_id, pages)
            r = await complete(http, h, await task_of(http, h, "certification.expert_review", case_id),
                               data={"score": 80 + n, "opinion": "材料齐全", "no_conflict": True})
            assert r.status_code == 200, r.text
        await crawler.crawl(case_id, pages)
        r = await complete(http, dep1, await task_of(http, dep1, "certification.onsite_inspection", case_id),
                           data={"passed": True, "report": "场地设施齐全"})
        assert r.status_code == 200, r.text
        await crawler.crawl(case_id, pages)
        assert (await complete(http, dep2, await task_of(http, dep2, "certification.decision", case_id))
                ).status_code == 200
        await publish_year_list(stack, case_id)
        await case_status(http, dep1, case_id, {"public_notice"})

        async def published() -> dict[str, Any] | None:
            d = (await http.get(f"/api/cases/{case_id}", headers=dep1)).json()
            return d if any(x["name"] == "public_notice" for x in d["deadlines"]) else None

        notice = await wait_for(published, what="the public notice")
        await crawler.crawl(case_id, pages)
        await sleep_past(stack, deadline(notice, "public_notice")["closes_at"])
        await case_status(http, org, case_id, {"granted"})
        await crawler.crawl(case_id, pages)
        for c in clients.values():
            await c.aclose()
        assert "granted" in crawler.statuses
        assert not crawler.found, "internal keys on pages:\n" + "\n".join(
            f"{k}: {sorted(w)[:3]}" for k, w in sorted(crawler.found.items()))

    @staticmethod
    async def _username(stack: Stack, h: dict[str, str]) -> str:
        r = await stack.http.get("/api/me", headers=h)
        assert r.status_code == 200, r.text
        return str(r.json()["username"])


class TestLanding:
    async def test_an_applicant_lands_on_its_home_and_an_official_on_the_inbox(self, stack: Stack) -> None:
        from tests.helpers import register_approved

        _, body = await register_approved(stack.http, "enterprise")
        for username, password, where in ((body["username"], PASSWORD, "/home"), ("operator1", "demo168", "/inbox")):
            c = httpx.AsyncClient(transport=stack.http._transport, base_url="http://flow168.test", timeout=60)
            r = await c.post("/login", data={"csrf_token": csrf_of((await c.get("/login")).text),
                                             "username": username, "password": password})
            assert r.status_code == 303 and r.headers["location"] == where
            page = await c.get(where)
            assert page.status_code == 200
            if where == "/home":
                assert "我的办理" in page.text and "目前没有需要您办理的事项" in page.text
                inbox = (await c.get("/inbox")).text
                assert "新用户注册审核" not in inbox and "服务券·初审" not in inbox  # no officials' task types
            await c.aclose()


async def _experts(http: Any, op: dict[str, str], case_id: str) -> list[str] | None:
    return (await http.get(f"/api/cases/{case_id}", headers=op)).json()["result"].get("experts")
