"""Star rating, ranking and dynamic adjustment of signed providers (003 art. 11(2); 001 三(三)10)."""

from __future__ import annotations

from forms.provider_rating import FORMS, RatingCaseForm
from processes.spec import NavLink, ProcessSpec
from workflows.provider_rating import ProviderRatingWorkflow

SPEC = ProcessSpec(
    type="provider_rating",
    prefix="PR",
    label="服务机构评级排名",
    title="签约服务机构评级排名和动态调整",
    workflow=ProviderRatingWorkflow,
    case_form=RatingCaseForm,
    task_forms=FORMS,
    task_checks={"provider_rating.proposal": "api.services.provider_rating:check_proposal"},
    due_days={"provider_rating.proposal": 10, "provider_rating.approval": 10},
    statuses={"public_notice": "公示中", "published": "已公布"},
    status_tones={"published": "ok", "public_notice": "warn"},
    task_types={"provider_rating.proposal": "服务机构评级·运营单位建议", "provider_rating.approval": "服务机构评级·审核"},
    deadlines={"public_notice": "公示期"},
    documents={"public_notice": "公示"},
    messages={"rating_invalid": "评级调整无效：{reason}", "rating_reason_required": "调整拟定的评级须填写理由",
              "rating_year_open": "{year}年度的评级排名已在办理（{case_id}）"},
    worker="activities.provider_rating:worker_parts",
    api_routers=("api.routes_provider_rating:router",),
    page_routers=("api.pages_provider_rating:router",),
    nav=(NavLink(href="/provider-ratings", label="服务机构评级", roles=("operator", "department"), order=45,
                 active="/provider-ratings"),),
)
