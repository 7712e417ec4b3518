"""Chinese labels for the pages, and pydantic's errors in Chinese (the API's errors: api/error_messages.py)."""

from __future__ import annotations

from typing import Any

import jinja2

from processes.registry import COMMON_NEEDS_REASON, COMMON_TASK_TYPES, specs
from rules.cities import CITIES
from rules.provider import BASIS_ZH as PROVIDER_BASIS
from rules.size_class import INDUSTRIES, SIZES
from rules.voucher import CATEGORIES

ROLES = {"enterprise": "企业", "provider": "服务机构", "platform_org": "平台运营机构",
         "operating_unit": "受托运营机构", "city_bureau": "市工信局",
         "operator": "运营单位", "department": "工信厅", "expert": "评审专家", "admin": "系统管理员"}
KINDS = {"enterprise": "企业", "provider": "服务机构", "platform_org": "平台运营机构", "operating_unit": "受托运营机构"}
DECISIONS = {"approve": "同意", "reject": "不同意", "return": "退回修改", "submit": "提交", "uphold": "异议成立",
             "dismiss": "异议不成立"}
TASK_STATUS = {"open": "待认领", "claimed": "办理中", "completed": "已办结", "cancelled": "已取消"}
# Statuses every process uses; each process adds its own (its spec's `statuses`).
CASE_STATUS = {
    "submitted": "已提交", "in_review": "审核中", "returned": "退回修改", "approved": "已通过", "rejected": "未通过",
    "terminated": "已终止", "withdrawn": "已撤回", "closed": "已关闭",
}
STATUS_TONE = {"approved": "ok", "rejected": "bad", "terminated": "bad", "returned": "warn"}
NOTIFICATION_KINDS = {"info": "通知", "reminder": "提醒", "escalation": "督办", "result": "结果", "returned": "退回",
                      "expiry": "到期", "report": "报告", "your_turn": "待您办理", "adaptation": "接入改造",
                      "connected": "已接入", "connection_failed": "接入未通过", "disconnected": "已退出",
                      "expired": "已过期", "rectification": "整改", "rectified": "整改通过", "self_report": "自评",
                      "settled": "已结算", "supported": "优先支持", "void": "作废", "withdrawn": "撤回",
                      "revoked": "撤销"}
DAY_KINDS = {"workday": "工作日", "weekend": "周末", "holiday": "节假日", "makeup": "调休上班"}
DEADLINES = {"public_notice": "公示期"}
CASE_TYPES: dict[str, str] = {}
TASK_TYPES: dict[str, str] = dict(COMMON_TASK_TYPES)
NEGATIVE: tuple[str, ...] = COMMON_NEEDS_REASON  # the decisions that need a reason
for _spec in specs().values():
    CASE_TYPES[_spec.type] = _spec.label
    CASE_STATUS.update(_spec.statuses)
    STATUS_TONE.update(_spec.status_tones)
    TASK_TYPES.update(_spec.task_types)
    DECISIONS.update(_spec.decisions)
    DEADLINES.update(_spec.deadlines)
    NEGATIVE += tuple(d for d in _spec.needs_reason if d not in NEGATIVE)
# Labels of the processes' own data and result keys, and their coded values (their specs' `labels`, `value_labels`).
SPEC_LABELS: dict[str, str] = {}
SPEC_VALUES: dict[str, dict[str, str]] = {}
for _spec in specs().values():
    SPEC_LABELS.update(_spec.labels)
    for _key, _values in _spec.value_labels.items():
        SPEC_VALUES.setdefault(_key, {}).update(_values)

# Value labels by field name, for showing data and for select/checkbox options.
OPTIONS: dict[str, dict[str, str]] = {
    "city": CITIES, "industry": INDUSTRIES, "size": SIZES, "categories": CATEGORIES, "category": CATEGORIES,
    "kind": KINDS, "org_type": {"enterprise": "企业", "institution": "事业单位", "social_org": "社会组织"},
    "satisfaction": {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"},
    "rating": {"excellent": "优秀", "qualified": "合格", "failed": "不合格"},
    "basis": PROVIDER_BASIS,
    **SPEC_VALUES,
}
# Labels of data keys that no form model names with a title.
FIELD_LABELS = {
    "kind": "账户类型", "username": "用户名", "org": "单位信息", "name": "名称", "uscc": "统一社会信用代码",
    "city": "所在市", "size": "企业规模", "employees": "从业人员（人）", "revenue_fen": "营业收入",
    "industry": "所属行业", "categories": "服务类别", "service_items": "服务项目", "price_fen": "价格",
    "description": "说明", "score": "评分", "opinion": "意见", "email": "电子邮箱", "phone": "手机号码",
    "category": "服务类别", "title": "标题", "budget_fen": "预算", "amount_fen": "金额", "plan": "服务方案",
    "valid_until": "有效期至", "status": "状态", "settled_fen": "结算金额", "paid_fen": "已付金额",
    "contract_amount_fen": "合同金额", "platform_name": "平台名称", "total_assets_fen": "资产总额",
}


def _bound(value: Any, money: bool) -> str:
    if money and isinstance(value, int):
        return yuan(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def pydantic_zh(err: dict[str, Any]) -> str:
    """One pydantic error in Chinese (money bounds of *_fen fields in 元)."""
    from api.error_messages import rule_text  # imported here: that module reads this one's labels

    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    loc = err.get("loc") or ()
    money = bool(loc) and str(loc[-1]).endswith("_fen")
    if kind == "missing":
        return "必填"
    if kind == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"至少 {ctx.get('min_length')} 个字符"
    if kind == "string_too_long":
        return f"最多 {ctx.get('max_length')} 个字符"
    if kind == "string_pattern_mismatch":
        return "格式不正确（只能使用字母、数字和 _ . -）"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "请输入整数"
    if kind in ("float_parsing", "float_type"):
        return "请输入数字"
    if kind in ("bool_parsing", "bool_type"):
        return "请选择是或否"
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return "日期格式应为 YYYY-MM-DD"
    bounds = {"greater_than_equal": ("ge", "不能小于"), "less_than_equal": ("le", "不能大于"),
              "greater_than": ("gt", "必须大于"), "less_than": ("lt", "必须小于")}
    if kind in bounds:
        key, words = bounds[kind]
        return f"{words} {_bound(ctx.get(key), money)}"
    if kind in ("literal_error", "enum"):
        return "请从选项中选择"
    if kind == "too_short":
        return f"至少需要 {ctx.get('min_length')} 项"
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项"
    if kind in ("list_type", "dict_type", "model_type", "string_type"):
        return "格式不正确"
    if kind == "value_error":
        return rule_text(str(ctx.get("error") or err.get("msg", "")))
    return rule_text(str(err.get("msg", "无效")))


def yuan(fen: Any) -> str:
    """Integer fen as 元 with thousands separators: 12,345.60 元."""
    if fen is None or fen == "" or isinstance(fen, jinja2.Undefined):  # a figure the case does not have yet
        return ""
    try:
        n = int(fen)
    except (TypeError, ValueError):
        return str(fen)
    sign = "-" if n < 0 else ""
    whole, rest = divmod(abs(n), 100)
    return f"{sign}{whole:,}.{rest:02d} 元"
