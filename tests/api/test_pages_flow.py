"""The voucher's pages as its parties use them, in-process (no browser): the enterprise chooses a bid from the
comparison table, uploads its materials through file pickers, and every page of every role answers without a 5xx
and without an internal key at every status of the case (issue 15)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import Stack
from tests.helpers import PASSWORD, task_of
from tests.voucher.factories import new_voucher

pytestmark = pytest.mark.workflow

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
