"""Who may call which route: the authorization matrix, as data (tests/api/test_authz_matrix.py runs it).

One row per route of the app ("METHOD path" exactly as the router has it; a route missing here fails the test):
`allow` is the set of roles that get past the route's role and scope checks; every other role must be refused (401,
403, 404, a page's redirect to /login, or a page's flash of such a refusal). "Allowed" is about access, not success:
an allowed call may still answer 409 or 422 for the state of the case or its input (the requests below are built so
that allowed calls change as little as possible). Path parameters name the world's fixtures (tests/api/authz_world.py);
a second row for the same route adds " #variant" to the key. `xfail` names, per role, a known finding that the route
currently violates (the cell is marked xfail(strict=True) until the fix lands; then delete the entry).

Roles, relative to the fixtures: the enterprise owns voucher case V; the provider bid on it; the platform organisation
owns certification case C and window case W; the operating unit (受托运营机构) owns none of them; `city` is
Yinchuan's bureau (all fixture cases are in Yinchuan), `city_other` Shizuishan's; `expert` sits on C's panel,
`expert_other` does not.

Adding a route: add its row here (roles that may call it, the fixture ids of its path, a body that passes the schema).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.api.authz_world import ROLES

ALL = frozenset(ROLES)
SIGNED_IN = ALL - {"anonymous"}
NOBODY: frozenset[str] = frozenset()
ADMIN = frozenset({"admin"})
STAFF = frozenset({"operator", "department", "admin"})
ENTERPRISES = frozenset({"enterprise", "enterprise_other"})
PROVIDERS = frozenset({"provider", "provider_other"})
PLATFORMS = frozenset({"platform", "platform_other"})
APPLICANTS = ENTERPRISES | PROVIDERS | PLATFORMS
# Who may see a Yinchuan case of the platform organisation under expert review (C).
C_PARTIES = STAFF | {"platform", "city", "expert"}
V_PARTIES = STAFF | {"enterprise", "city"}
# The data centre: the department and admin, a city bureau its own city's slice (issue 14).
DATA_VIEWERS = frozenset({"department", "admin", "city", "city_other"})

FIXED_BUGS_SOON = "leaks"  # the helper that fixes issue 11 item 1's findings


@dataclass(frozen=True)
class Row:
    allow: frozenset[str]
    params: dict[str, str] = field(default_factory=dict)  # path parameter -> fixture name (or a literal, prefixed "=")
    json: Any = None
    form: dict[str, str] | None = None
    files: bool = False
    query: dict[str, str] | None = None
    xfail: dict[str, str] = field(default_factory=dict)  # role -> the finding it waits for
    answers: frozenset[int] = frozenset()  # statuses that are this route's own answer, not a refusal (a wrong login)
    fresh: bool = False  # a page call on a copy of the role's session (logging out must not end the role's session)


def R(allow: frozenset[str] | set[str], **kw: Any) -> Row:
    return Row(frozenset(allow), **kw)


# Path parameters not named in a row take these fixtures.
DEFAULT_PARAMS = {"case_id": "V", "task_id": "T_reg", "upload_id": "U", "doc_id": "D_case", "nid": "N",
                  "campaign_id": "CAMP", "year": "=2026", "kind": "=partner", "code": "=2017",
                  "task_type": "=registration.review", "path": "=style.css", "name": "=fund", "fmt": "=csv",
                  "export_id": "=1", "case_type": "=voucher", "number": "=1"}

PROBE = {"decision": "authz-probe", "comment": "", "data": {}}  # refused (422) only after role and scope

ROUTES: dict[str, Row] = {
    # --- framework and public ---------------------------------------------------------------------------------
    "GET /openapi.json": R(ALL),
    "GET /docs": R(ALL),
    "GET /docs/oauth2-redirect": R(ALL),
    "GET /redoc": R(ALL),
    "GET /static/{path}": R(ALL),
    "GET /healthz": R(ALL),
    "GET /metrics": R(ADMIN),
    "GET /api/clock": R(ALL),
    "GET /api/calendar/deadline": R(ALL, query={"from": "2026-11-02", "working_days": "5"}),
    "GET /api/calendar/{year}": R(ALL),
    "GET /api/public/providers": R(ALL),
    "GET /api/public/notices": R(ALL),
    "GET /api/public/platforms": R(ALL),
    "GET /api/public/windows": R(ALL),
    "GET /api/public/assessments": R(ALL),
    "GET /api/public/certification/documents": R(ALL),
    "GET /api/certification/calls": R(ALL),
    "GET /api/certification/calls/current": R(ALL),
    "GET /api/certification/years/{year}": R(STAFF | {"city", "city_other"}),
    "GET /api/certification/years/{year}/documents/{doc_id}": R(STAFF | {"city"}, params={"doc_id": "D_summary"}),
    "GET /api/windows/{case_id}/agreements": R(ALL, params={"case_id": "W"}),
    "GET /api/assessment/campaigns/{campaign_id}/bulletin.docx": R(ALL),
    "GET /api/documents/{doc_id}": R(C_PARTIES),
    "GET /api/documents/{doc_id} #public notice": R(ALL, params={"doc_id": "D_notice"}),
    "GET /api/documents/{doc_id} #published certification": R(ALL, params={"doc_id": "D_cert"}),
    # --- signed in ----------------------------------------------------------------------------------------------
    "GET /api/me": R(SIGNED_IN),
    "GET /api/cases": R(SIGNED_IN),
    "GET /api/cases/{case_id}": R(V_PARTIES),
    "GET /api/cases/{case_id} #certification": R(C_PARTIES, params={"case_id": "C"}),
    "GET /api/tasks": R(SIGNED_IN),
    "GET /api/tasks/{task_id}": R({"operator", "admin"}),
    "GET /api/tasks/{task_id} #expert": R({"expert", "admin"}, params={"task_id": "T_exp"}),
    "GET /api/uploads/{upload_id}": R(V_PARTIES),
    "GET /api/notifications": R(SIGNED_IN),
    "GET /api/cases/{case_id}/bids": R(V_PARTIES | PROVIDERS),
    "GET /api/voucher/demands": R(PROVIDERS | STAFF),
    "GET /api/voucher/demands/{case_id}": R(PROVIDERS),
    "GET /api/voucher/demands/{case_id} #unpublished": R(NOBODY, params={"case_id": "V2"}),
    "GET /api/voucher/my-bids": R(PROVIDERS | ADMIN),
    "GET /api/voucher/contracts/{case_id}": R(NOBODY),  # V has no winner yet
    "GET /api/voucher/contracts/{case_id}/documents/{doc_id}": R(NOBODY),
    "GET /api/voucher/statistics": R(STAFF),
    "GET /api/voucher/statistics/{doc_id}": R(STAFF, params={"doc_id": "D_stat"}),
    "GET /api/budget/{year}": R(SIGNED_IN),
    "GET /api/assessment/campaigns": R({"operator", "department", "admin"}),
    "GET /api/assessment/campaigns/{campaign_id}": R({"operator", "department", "admin"}),
    "GET /api/admin/assessment-indicators/{kind}": R(STAFF),
    "GET /api/admin/assessment-settings": R(STAFF),
    "GET /api/admin/window-settings": R(STAFF),
    "GET /api/admin/voucher-policies": R(STAFF),
    "GET /api/admin/stuck": R(ADMIN),
    "GET /api/admin/steps": R(ADMIN),
    # --- the operations console and the data centre (issue 14) -----------------------------------------------------
    "GET /api/admin/cases": R(ADMIN),
    "GET /api/admin/cases/{case_id}/history": R(ADMIN),
    "GET /api/admin/workflow-problems": R(ADMIN),
    "POST /api/admin/cases/batch": R(ADMIN, json={"action": "retry", "case_ids": ["authz-none"], "reason": "authz"}),
    "GET /api/admin/provider-admission-settings": R(STAFF),
    "PUT /api/admin/provider-admission-settings": R({"operator", "admin"}, json={"experts": -1}),
    "GET /api/datacentre/service-levels": R(DATA_VIEWERS),
    "GET /api/datacentre/tables/{name}": R(DATA_VIEWERS, params={"name": "=fund"}),
    "GET /api/datacentre/tables/{name}/export.{fmt}": R(DATA_VIEWERS, params={"name": "=fund", "fmt": "=csv"}),
    "GET /api/datacentre/charts/{name}.svg": R(DATA_VIEWERS, params={"name": "=fund"}),
    "GET /api/datacentre/export.xlsx": R(DATA_VIEWERS),
    "GET /api/datacentre/report.docx": R(DATA_VIEWERS),
    "GET /api/datacentre/platform-exports": R({"department", "admin"}),
    # no export is recorded in the world: the allowed get the route's own 404, the others 403
    "GET /api/datacentre/platform-exports/{export_id}.{kind}": R(
        {"department", "admin"}, params={"export_id": "=1", "kind": "=json"}, answers=frozenset({404})),
    "POST /api/datacentre/platform-exports": R({"department", "admin"}, json={"year": 2000, "month": 1}),
    # the operator opens the year's star rating of the signed providers (003 art. 11(2)); the bureau approves it
    "POST /api/provider-ratings": R({"operator", "admin"}, json={"year": 2100}),
    # --- changes (refused roles are tried first; allowed calls are built to change little) ----------------------
    "POST /api/auth/token": R(ALL, json={"username": "authz-nobody", "password": "x"}, answers=frozenset({401})),
    "POST /api/register": R(ALL, json={"kind": "enterprise", "username": "operator1", "password": "S3cure-pass-168",
                                       "org": {"name": "宁夏重名有限公司", "uscc": "91640100MA76XXXX0X", "city": "yinchuan",
                                               "size": "small", "employees": 30, "revenue_fen": 800_000_000,
                                               "industry": "software"}}),
    "POST /api/cases": R(ENTERPRISES, json={"type": "voucher", "data": {  # the enterprise: one open per category, 409
        "category": "credit", "title": "信用评价服务", "description": "企业信用评级", "budget_fen": 600_000}}),
    "POST /api/uploads": R(SIGNED_IN, files=True),
    "POST /api/notifications/{nid}/read": R({"enterprise"}),
    "POST /api/cases/{case_id}/bids": R(PROVIDERS, json={"amount_fen": 1}),
    "POST /api/cases/{case_id}/objections": R(ALL, params={"case_id": "C"}, json={"name": "", "contact": "", "reason": ""}),
    "POST /api/cases/{case_id}/withdraw": R({"enterprise"}, params={"case_id": "V3"}, json={"reason": "authz"}),
    "POST /api/cases/{case_id}/void": R(STAFF, params={"case_id": "V2"}, json={"reason": "authz"}),
    "POST /api/cases/{case_id}/revoke": R({"department", "admin"}, params={"case_id": "C"}, json={"reason": ""}),
    "POST /api/windows/{case_id}/withdraw": R({"platform"}, params={"case_id": "W"}, json={"reason": ""}),
    "POST /api/windows/{case_id}/agreements": R({"platform"}, params={"case_id": "W"},
                                                json={"partner_case_id": "W", "scope": "合作"}),
    "POST /api/certification/calls": R({"department", "admin"}, json={"year": 2026, "deadline": "2026-12-31"}),
    "POST /api/certification/years/{year}/list": R({"department", "admin"}),
    "POST /api/assessment/campaigns": R({"operator", "admin"}, json={"year": 2059, "kind": "partner", "subjects": [0]}),
    "POST /api/assessment/campaigns/{campaign_id}/bulletin": R({"operator", "admin"}),
    "PUT /api/admin/assessment-indicators/{kind}": R({"operator", "admin"}, json={"indicators": [
        {"key": "a", "name": "服务", "weight": 50}]}),
    "PUT /api/admin/assessment-settings": R({"operator", "admin"}, json={}),
    "PUT /api/admin/window-settings": R({"operator", "admin"}, json={"panel_size": -1}),
    "PUT /api/admin/voucher-policies/{code}": R({"department"}, json={"bidding_working_days": -1}),
    "PUT /api/admin/budget/{year}": R({"department"}, params={"year": "=2061"}, json={"total_fen": 0}),
    "PUT /api/admin/steps/{task_type}": R(ADMIN, params={"task_type": "=voucher.delivery"}, json={"due_working_days": 20}),
    "PUT /api/admin/calendar/{year}": R(ADMIN, params={"year": "=1999"}, json={"holidays": []}),
    "POST /api/admin/clock/advance": R(ADMIN, json={"until": "2000-01-01T00:00:00+08:00"}),
    "POST /api/admin/tasks/{task_id}/reassign": R(ADMIN, json={"username": "nobody-at-all"}),
    "POST /api/admin/tasks/{task_id}/extend": R(ADMIN, json={"working_days": 1, "reason": "authz"}),
    "POST /api/admin/cases/{case_id}/retry": R(ADMIN, params={"case_id": "R"}, json={"reason": "authz"}),
    "POST /api/admin/cases/{case_id}/terminate": R(ADMIN, params={"case_id": "R2"}, json={"reason": "authz"}),
    "POST /api/tasks/{task_id}/complete": R({"operator", "admin"}, json=PROBE),
    "POST /api/tasks/{task_id}/complete #expert": R({"expert", "admin"}, params={"task_id": "T_exp"}, json=PROBE),
    "POST /api/tasks/{task_id}/claim": R({"operator", "admin"}),
    "POST /api/tasks/{task_id}/unclaim": R({"operator", "admin"}),
    # --- pages ----------------------------------------------------------------------------------------------------
    "GET /": R(ALL),
    "GET /login": R(ALL),
    "GET /register": R(ALL),
    "GET /public/providers": R(ALL),
    "GET /public/platforms": R(ALL),
    "GET /public/notices": R(ALL),
    "GET /public/windows": R(ALL),
    "GET /public/assessments": R(ALL),
    "GET /inbox": R(SIGNED_IN),
    "GET /cases": R(SIGNED_IN),
    "GET /cases/{case_id}": R(V_PARTIES),
    "GET /cases/{case_id} #certification": R(C_PARTIES, params={"case_id": "C"}),
    "GET /tasks/{task_id}": R({"operator", "admin"}),
    "GET /tasks/{task_id} #expert": R({"expert", "admin"}, params={"task_id": "T_exp"}),
    "GET /notifications": R(SIGNED_IN),
    # An admin passes every role check (api.deps.require); the application service refuses an account without an
    # organisation, but the pages check the form first.
    "GET /apply/provider_admission": R(PROVIDERS | ADMIN),
    "GET /apply/certification": R(PLATFORMS | ADMIN),
    "GET /apply/window": R(PLATFORMS | ADMIN),
    "GET /certification/calls": R(STAFF),
    "GET /certification/years/{year}": R(STAFF | {"city", "city_other"}),
    "GET /voucher": R(ENTERPRISES | ADMIN),
    "GET /voucher/demands": R(PROVIDERS | STAFF),
    "GET /voucher/my-bids": R(PROVIDERS | ADMIN),
    "GET /voucher/contracts/{case_id}": R(NOBODY),
    "GET /voucher/fund": R(STAFF),
    "GET /assessment": R(STAFF),
    "GET /assessment/campaigns/{campaign_id}": R(STAFF),
    "GET /assessment/indicators/{kind}": R(STAFF),
    "GET /admin": R(ADMIN),
    "GET /admin/calendar/{year}": R(ADMIN),
    "GET /home": R(SIGNED_IN),  # applicants' home; officials are sent to their inbox
    "GET /public/guide": R(ALL),
    "GET /public/guide/{case_type}": R(ALL, params={"case_type": "=voucher"}),
    "GET /public/guide/{case_type}/templates/{number}.docx": R(ALL, params={"case_type": "=voucher", "number": "=1"}),
    "GET /public/notices/{doc_id}": R(ALL, params={"doc_id": "D_notice"}),
    "GET /public/objections": R(ALL),
    "GET /admin/cases": R(ADMIN),
    "GET /admin/cases/{case_id}/history": R(ADMIN),
    "GET /admin/workflow-problems": R(ADMIN),
    "GET /datacentre": R(DATA_VIEWERS),
    "GET /datacentre/service-levels": R(DATA_VIEWERS),
    "GET /datacentre/reporting": R({"department", "admin"}),
    "POST /datacentre/reporting": R({"department", "admin"}, form={"year": "1999", "month": "13"}),
    "POST /admin/cases/batch": R(ADMIN, form={}),
    "POST /voucher/priority": R(ENTERPRISES | ADMIN, form={}),
    "GET /provider-ratings": R(STAFF),
    "POST /provider-ratings": R({"operator", "admin"}, form={"year": "2100"}),
    "POST /login": R(ALL, form={"username": "authz-nobody", "password": "x"}, answers=frozenset({401}), fresh=True),
    "POST /register": R(ALL, form={"kind": "enterprise"}),
    "POST /notifications/read": R(SIGNED_IN),
    "POST /apply/provider_admission": R(PROVIDERS | ADMIN, form={}),
    "POST /apply/certification": R(PLATFORMS | ADMIN, form={}),
    "POST /apply/window": R(PLATFORMS | ADMIN, form={}),
    "POST /voucher/demands": R(ENTERPRISES | ADMIN, form={}),
    "POST /voucher/demands/{case_id}/bid": R(PROVIDERS, form={"amount": "0.01"}),
    "POST /cases/{case_id}/withdraw": R({"enterprise"}, params={"case_id": "V3"}, form={"reason": "authz"}),
    "POST /cases/{case_id}/void": R(STAFF, params={"case_id": "V2"}, form={"reason": "authz"}),
    "POST /cases/{case_id}/revoke": R({"department", "admin"}, params={"case_id": "C"}, form={"reason": "authz"}),
    "POST /cases/{case_id}/window-withdraw": R({"platform"}, params={"case_id": "W"}, form={"reason": "authz"}),
    "POST /cases/{case_id}/window-agreement": R({"platform"}, params={"case_id": "W"},
                                                form={"partner_case_id": "WO-none", "scope": "合作"}),
    "POST /public/notices/{case_id}/objection": R(ALL, params={"case_id": "C"}, form={"reason": ""}),
    "POST /certification/calls": R({"department", "admin"}, form={}),
    "POST /certification/years/{year}/list": R({"department", "admin"}, form={}),
    "POST /public/notices/list/objection": R(ALL, form={"case_id": ""}),
    "POST /voucher/fund/{year}": R({"department"}, params={"year": "=2061"}, form={"total": "-1"}),
    "POST /voucher/policies/{code}": R({"department"}, form={}),
    "POST /assessment/campaigns": R({"operator", "department", "admin"}, form={}),
    "POST /assessment/campaigns/{campaign_id}/bulletin": R({"operator", "admin"}),
    "POST /assessment/indicators/{kind}": R({"operator", "admin"}, form={"lines": "a,服务,50"}),
    "POST /admin/calendar/{year}": R(ADMIN, params={"year": "=2031"}, form={}),
    "POST /admin/clock/advance": R(ADMIN, form={"days": "0"}),
    "POST /admin/tasks/{task_id}/reassign": R(ADMIN, form={"username": "nobody-at-all"}),
    "POST /admin/tasks/{task_id}/extend": R(ADMIN, form={"working_days": "0", "reason": ""}),
    "POST /admin/cases/{case_id}/retry": R(ADMIN, params={"case_id": "R"}, form={"reason": ""}),
    "POST /admin/cases/{case_id}/terminate": R(ADMIN, params={"case_id": "R2"}, form={"reason": ""}),
    "POST /tasks/{task_id}/complete": R({"operator", "admin"}, form={"decision": "authz-probe"}),
    "POST /tasks/{task_id}/claim": R({"operator", "admin"}),
    "POST /tasks/{task_id}/unclaim": R({"operator", "admin"}),
    "POST /logout": R(ALL, fresh=True),
}
