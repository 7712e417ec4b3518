"""The web UI: server-rendered Jinja2 pages (zh-CN) over the same functions as the JSON API.

`install(app)` mounts the stylesheet and the page routers:
  pages_auth    /, /login, /logout, /register
  pages_work    /inbox, /tasks/…, /cases, /cases/…, /apply/provider_admission, /notifications
  pages_admin   /admin, /admin/…, /admin/calendar/{year}
  pages_voucher /voucher, /voucher/demands, /voucher/my-bids, /voucher/contracts/…, /voucher/fund
  pages_certification /certification/calls, /apply/certification, /public/notices (+objections), /cases/…/revoke
  pages_public  /public/providers, /public/platforms
Every page that changes something is a POST form with the session's CSRF token; the pages call the services the
JSON routes call (api/services/), never a route function, so role, scope and validation are exactly the API's.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import pages_admin, pages_auth, pages_datacentre, pages_operations, pages_public, pages_work
from api.pages_common import HERE
from processes.registry import specs
from processes.spec import resolve


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (pages_auth, pages_work, pages_operations, pages_admin, pages_datacentre):
        app.include_router(module.router)
    # Each process's pages before the public pages (certification's /public/notices adds the objection forms).
    for spec in specs().values():
        for ref in spec.page_routers:
            app.include_router(resolve(ref))
    app.include_router(pages_public.router)
