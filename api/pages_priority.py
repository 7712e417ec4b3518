"""The enterprise declares its voucher priority with proof (003 art. 11(3)) from the voucher page.

  POST /voucher/priority   enterprise: 专精特新 and/or a credit rating with the proof files → a priority_verification
                           case the operator verifies (its task page shows the files)
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import require
from api.error_messages import say
from api.errors import ApiError
from api.pages_common import LoginPageDep, PageRoute, flash, posted_materials, redirect, text
from api.services import cases as case_service
from api.services.priority import PROOFS

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.post("/voucher/priority")
async def declare(page: LoginPageDep) -> Response:
    require(page.me, "enterprise")
    errors: dict[str, str] = {}
    files = await posted_materials(page, PROOFS, errors)
    if errors:
        flash(page.request, "未提交：" + "；".join(errors.values()), "error")
        return redirect("/voucher")
    data = {"specialized": text(page.posted, "specialized", 2) == "1",
            "specialized_proof": files.get("specialized_proof"),
            "credit_rating": text(page.posted, "credit_rating", 8) or None,
            "credit_rating_proof": files.get("credit_rating_proof")}
    page.release()
    try:
        case = await case_service.submit(page.session, page.engine, page.me, case_type="priority_verification",
                                         data=data, now=page.now)
    except ApiError as exc:
        flash(page.request, "未提交：" + say(exc), "error")
        return redirect("/voucher")
    flash(page.request, f"优先申领资格申报已提交（{case.id}），运营单位核验证明材料后生效")
    return redirect("/voucher")
