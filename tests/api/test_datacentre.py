"""The data centre's API: figures, charts, CSV/XLSX, the report, the national platform's monthly data, and who sees
what (department and admins everything, a city bureau its city, applicants nothing)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document as Docx
from openpyxl import load_workbook
from sqlmodel import Session

from db.models import Case, FundReservation, Organization
from tests.conftest import Stack
from tests.helpers import complete, login, org_body, register_approved, task_of

pytestmark = pytest.mark.pg
YEAR = 2031  # a year no other test touches


def _seed(stack: Stack) -> dict[str, str]:
    """Vouchers of two cities issued and settled in March 2031, their fund rows, and assessment results."""
    tag = uuid.uuid4().hex[:6]
    at = datetime(YEAR, 3, 10, 2, tzinfo=UTC)
    with Session(stack.engine) as s:
        org = Organization(kind="enterprise", name=f"数据企业{tag}", city="guyuan", created_at=at)
        s.add(org)
        s.flush()
        ids = {}
        for n, (city, cat, prov, sat, settled) in enumerate([
                ("guyuan", "credit", f"甲机构{tag}", "satisfied", 80_000),
                ("guyuan", "credit", f"甲机构{tag}", "basic", 50_000),
                ("wuzhong", "cloud", f"乙机构{tag}", "unsatisfied", 30_000)]):
            cid = f"VC-{tag}-{n}"
            ids[f"{city}{n}"] = cid
            v = {"issued_on": f"{YEAR}-03-0{n + 1}", "amount_fen": 100_000, "settled_on": f"{YEAR}-03-2{n}",
                 "settled_fen": settled, "provider_name": prov, "satisfaction": sat}
            s.add(Case(id=cid, type="voucher", status="settled", title="服务券", city=city, applicant_org_id=org.id,
                       data={"category": cat}, result={"voucher": v}, created_at=at, updated_at=at, closed_at=at))
            s.flush()
            s.add(FundReservation(case_id=cid, year=YEAR, enterprise_org_id=org.id or 0, amount_fen=100_000,
                                  settled_fen=settled, state="settled", submitted_at=at, updated_at=at))
        for n, rating in enumerate(["excellent", "qualified"]):
            s.add(Case(id=f"AS-{tag}-{n}", type="assessment", status="rated", city="guyuan", data={"year": YEAR},
                       result={"rating": rating}, created_at=at, updated_at=at, closed_at=at))
        s.commit()
    return {"tag": tag, **ids}


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> dict[str, str]:
    return _seed(stack)


Q = {"year": YEAR, "month": 3}


@pytest.fixture(scope="module")
async def applicant(stack: Stack) -> dict[str, str]:
    ent, _ = await register_approved(stack.http, "enterprise")
    return ent


class TestAccess:
    @pytest.mark.parametrize("url", ["/api/datacentre/service-levels", "/api/datacentre/tables/fund",
                                     "/api/datacentre/charts/fund.svg", "/api/datacentre/tables/fund/export.csv",
                                     "/api/datacentre/export.xlsx", "/api/datacentre/report.docx",
                                     "/api/datacentre/platform-exports"])
    async def test_applicants_and_other_staff_see_nothing(self, stack: Stack, applicant: dict[str, str],
                                                          url: str) -> None:
        for h in (applicant, await login(stack.http, "operator1"), await login(stack.http, "expert1")):
            assert (await stack.http.get(url, headers=h)).status_code == 403
        assert (await stack.http.get(url)).status_code == 401
        assert (await stack.http.get(url, headers=await login(stack.http, "department1"))).status_code == 200
        assert (await stack.http.get(url, headers=await login(stack.http, "admin"))).status_code == 200

    async def test_city_bureau_sees_its_city_only_and_cannot_report(self, stack: Stack, seeded: dict[str, str]) -> None:
        guyuan, dept = await login(stack.http, "city_guyuan"), await login(stack.http, "department1")
        mine = (await stack.http.get("/api/datacentre/tables/vouchers_by_city", params=Q, headers=guyuan)).json()
        assert [r[0] for r in mine["rows"]] == ["固原市"]
        everyone = (await stack.http.get("/api/datacentre/tables/vouchers_by_city", params=Q, headers=dept)).json()
        assert {"固原市", "吴忠市"} <= {r[0] for r in everyone["rows"]}
        provs = (await stack.http.get("/api/datacentre/tables/providers", params=Q, headers=guyuan)).json()
        assert not any(seeded["tag"] in r[0] and r[0].startswith("乙") for r in provs["rows"])
        r = await stack.http.post("/api/datacentre/platform-exports", headers=guyuan, json={"year": YEAR, "month": 3})
        assert r.status_code == 403
        assert (await stack.http.get("/api/datacentre/platform-exports", headers=guyuan)).status_code == 403


class TestFigures:
    async def test_vouchers_providers_fund_and_assessments(self, stack: Stack, seeded: dict[str, str]) -> None:
        dept = await login(stack.http, "department1")

        async def get(name: str) -> dict:
            r = await stack.http.get(f"/api/datacentre/tables/{name}", params=Q, headers=dept)
            assert r.status_code == 200, r.text
            return r.json()

        cats = {r[0]: r for r in (await get("vouchers_by_category"))["rows"]}
        assert cats["信用服务"][1:] == [2, 2000.0, 2, 1300.0] if "信用服务" in cats else True
        by_city = {r[0]: r for r in (await get("vouchers_by_city"))["rows"]}
        assert by_city["固原市"][1:] == [2, 2000.0, 2, 1300.0] and by_city["吴忠市"][3:] == [1, 300.0]
        provs = [r for r in (await get("providers"))["rows"] if seeded["tag"] in r[0]]
        assert provs[0][:3] == [f"甲机构{seeded['tag']}", 2, 1300.0] and provs[0][3:] == [1, 1, 0, 100.0]
        assert provs[1][-1] == 0.0
        fund = await get("fund")
        assert len(fund["rows"]) == 12 and fund["rows"][1][2] == 0 and fund["rows"][2][2] == 1600.0
        assert fund["rows"][2][3] == 5_000_000 - 1600.0
        ratings = {r[0]: r for r in (await get("assessments"))["rows"]}
        assert ratings[str(YEAR)][1:3] == [1, 1]
        certs = await get("certifications")
        assert certs["columns"] == ["类型", "地区", "状态", "件数"]
        assert (await stack.http.get("/api/datacentre/tables/nope", headers=dept)).json()["code"] == "datacentre_unknown_chart"
        bad = await stack.http.get("/api/datacentre/tables/fund", params={"year": 1900}, headers=dept)
        assert bad.status_code == 422 and bad.json()["code"] == "datacentre_bad_month"

    async def test_service_levels_per_type_person_and_city(self, stack: Stack) -> None:
        r = await stack.http.post("/api/register", json=org_body("enterprise", city="zhongwei"))
        op = await login(stack.http, "operator1")
        task = await task_of(stack.http, op, "registration.review", r.json()["case_id"])
        await stack.http.post(f"/api/tasks/{task['id']}/claim", headers=op)
        assert (await complete(stack.http, op, task)).status_code == 200
        dept = await login(stack.http, "department1")
        by_type = (await stack.http.get("/api/datacentre/service-levels", headers=dept)).json()
        row = next(x for x in by_type["items"] if x["group"] == "registration.review")
        assert row["completed"] >= 1 and row["complete_median_h"] is not None and row["label"] != row["group"]
        by_person = (await stack.http.get("/api/datacentre/service-levels", params={"by": "person"}, headers=dept)).json()
        assert "operator1" in [x["group"] for x in by_person["items"]]
        bad = await stack.http.get("/api/datacentre/service-levels", params={"start": "2026-05-01", "end": "2026-04-01"},
                                   headers=dept)
        assert bad.status_code == 422 and bad.json()["code"] == "datacentre_bad_period"
        assert (await stack.http.get("/api/datacentre/service-levels", params={"by": "x"}, headers=dept)).status_code == 422


def _soffice_pdf(tmp: Path, name: str, body: bytes) -> bytes:
    src = tmp / name
    src.write_bytes(body)
    exe = shutil.which("soffice")
    if exe is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    subprocess.run([exe, "--headless", f"-env:UserInstallation=file://{tmp}/lo-profile", "--convert-to", "pdf",
                    "--outdir", str(tmp), str(src)], check=True, capture_output=True, timeout=180)
    return (tmp / (src.stem + ".pdf")).read_bytes()


class TestExports:
    async def test_chart_csv_xlsx_and_report(self, stack: Stack, seeded: dict[str, str], tmp_path: Path) -> None:
        dept = await login(stack.http, "department1")
        svg = await stack.http.get("/api/datacentre/charts/vouchers_by_city.svg", params=Q, headers=dept)
        assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
        assert "固原市".encode() in svg.content  # text stays text
        for name in ("fund", "processing", "providers", "certifications", "assessments", "vouchers_by_category"):
            r = await stack.http.get(f"/api/datacentre/charts/{name}.svg", params=Q, headers=dept)
            assert r.status_code == 200 and b"<svg" in r.content, name
        csv = await stack.http.get("/api/datacentre/tables/vouchers_by_city/export.csv", params=Q, headers=dept)
        text = csv.content.decode("utf-8-sig")
        assert text.splitlines()[0] == "地区,发放张数,发放金额(元),结算张数,结算金额(元)" and "固原市,2," in text
        x = await stack.http.get("/api/datacentre/export.xlsx", params=Q, headers=dept)
        wb = load_workbook(io.BytesIO(x.content))
        assert {"fund", "vouchers_by_city", "providers", "assessments", "processing"} <= set(wb.sheetnames)
        assert wb["vouchers_by_city"]["A2"].value == "地区"
        pdf = _soffice_pdf(tmp_path, "datacentre.xlsx", x.content)
        assert pdf.startswith(b"%PDF")
        rep = await stack.http.get("/api/datacentre/report.docx", params=Q, headers=dept)
        assert rep.status_code == 200
        doc = Docx(io.BytesIO(rep.content))
        body = "\n".join(p.text for p in doc.paragraphs)
        assert f"{YEAR}年3月" in body and "服务券资金已预留" in body
        cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
        assert "固原市" in cells and "1,300.00" in cells
        yearly = await stack.http.get("/api/datacentre/report.docx", params={"year": YEAR}, headers=dept)
        assert f"{YEAR}年度" in "\n".join(p.text for p in Docx(io.BytesIO(yearly.content)).paragraphs)
        assert _soffice_pdf(tmp_path, "report.docx", rep.content).startswith(b"%PDF")


class TestPlatformExport:
    async def test_monthly_package_is_versioned_stored_and_recorded(self, stack: Stack, seeded: dict[str, str]) -> None:
        dept = await login(stack.http, "department1")
        r = await stack.http.post("/api/datacentre/platform-exports", headers=dept, json={"year": YEAR, "month": 3})
        assert r.status_code == 201, r.text
        sent = r.json()
        assert sent["period"] == f"{YEAR}-03" and sent["format_version"] == "1.0" and sent["records"] >= 5
        assert sent["sent_by"] == "department1"
        again = await stack.http.post("/api/datacentre/platform-exports", headers=dept, json={"year": YEAR, "month": 3})
        listed = (await stack.http.get("/api/datacentre/platform-exports", headers=dept)).json()["items"]
        assert [e["id"] for e in listed[:2]] == [again.json()["id"], sent["id"]]
        pkg = json.loads((await stack.http.get(sent["json_url"], headers=dept)).content)
        assert pkg["format"] == "flow168.sme-service-data" and pkg["version"] == "1.0"
        rec = next(x for x in pkg["records"] if x["record_id"] == seeded["guyuan0"])
        assert rec["settled_fen"] == 80_000 and rec["organization_name"].startswith("数据企业")
        wb = load_workbook(io.BytesIO((await stack.http.get(sent["xlsx_url"], headers=dept)).content))
        assert wb.sheetnames == ["summary", "records", "service_levels"]
        assert (await stack.http.get("/api/datacentre/platform-exports/999999.json", headers=dept)).status_code == 404
        bad = await stack.http.post("/api/datacentre/platform-exports", headers=dept, json={"year": YEAR, "month": 13})
        assert bad.status_code == 422


class TestPages:
    async def test_dashboard_levels_and_reporting_pages(self, stack: Stack, seeded: dict[str, str]) -> None:
        from tests.api.test_window_pages import csrf_of, page_login

        dept = await page_login(stack, "department1", "demo168")
        d = await dept.get("/datacentre", params=Q)
        assert d.status_code == 200 and "/api/datacentre/charts/fund.svg?year=2031&amp;month=3" in d.text
        assert "固原市" in d.text and "export.csv" in d.text and "report.docx" in d.text
        svg = await dept.get("/api/datacentre/charts/fund.svg", params=Q)  # the page's session opens the chart
        assert svg.status_code == 200 and b"<svg" in svg.content
        lv = await dept.get("/datacentre/service-levels", params={"by": "person"})
        assert lv.status_code == 200 and "办理时效" in lv.text
        rp = await dept.get("/datacentre/reporting")
        r = await dept.post("/datacentre/reporting", data={"csrf_token": csrf_of(rp.text), "year": str(YEAR), "month": "3"})
        assert r.status_code == 303
        assert f"{YEAR}-03" in (await dept.get("/datacentre/reporting")).text
        city = await page_login(stack, "city_guyuan", "demo168")
        page = await city.get("/datacentre", params=Q)
        assert page.status_code == 200 and "您看到的是固原市的数据" in page.text
        assert "吴忠市" not in page.text.split("数据中心")[-1]
        assert (await city.get("/datacentre/reporting")).status_code == 403
        op = await page_login(stack, "operator1", "demo168")
        assert (await op.get("/datacentre")).status_code == 403
        assert "/datacentre" not in (await op.get("/inbox")).text
