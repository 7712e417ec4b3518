"""Chinese labels for the pages and Chinese wording of the API's (English) error details."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from processes.registry import COMMON_NEEDS_REASON, COMMON_TASK_TYPES, specs
from rules.cities import CITIES
from rules.size_class import INDUSTRIES, SIZES
from rules.voucher import CATEGORIES

ROLES = {"enterprise": "企业", "provider": "服务机构", "platform_org": "平台运营机构", "city_bureau": "市工信局",
         "operator": "运营单位", "department": "工信厅", "expert": "评审专家", "admin": "系统管理员"}
KINDS = {"enterprise": "企业", "provider": "服务机构", "platform_org": "平台运营机构"}
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
                      "expiry": "到期"}
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

# Value labels by field name, for showing data and for select/checkbox options.
OPTIONS: dict[str, dict[str, str]] = {
    "city": CITIES, "industry": INDUSTRIES, "size": SIZES, "categories": CATEGORIES, "category": CATEGORIES,
    "kind": KINDS, "org_type": {"enterprise": "企业", "institution": "事业单位", "social_org": "社会组织"},
    "satisfaction": {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"},
    "rating": {"excellent": "优秀", "qualified": "合格", "failed": "不合格"},
}
# Labels of data keys that no form model names with a title.
FIELD_LABELS = {
    "kind": "账户类型", "username": "用户名", "org": "单位信息", "name": "名称", "uscc": "统一社会信用代码",
    "city": "所在市", "size": "企业规模", "employees": "从业人员（人）", "revenue_fen": "营业收入",
    "industry": "所属行业", "categories": "服务类别", "service_items": "服务项目", "price_fen": "价格",
    "description": "机构及服务简介", "score": "评分", "opinion": "意见", "email": "电子邮箱", "phone": "手机号码",
    "category": "服务类别", "title": "标题", "budget_fen": "预算", "amount_fen": "金额", "plan": "服务方案",
    "valid_until": "有效期至", "status": "状态", "settled_fen": "结算金额", "paid_fen": "已付金额",
    "contract_amount_fen": "合同金额", "platform_name": "平台名称", "total_assets_fen": "资产总额",
}


def _this_task_is(m: re.Match[str]) -> str:
    return f"该任务{TASK_STATUS.get(m[1], m[1])}，不能再操作"


def _needs_role(m: re.Match[str]) -> str:
    wanted = "或".join(ROLES.get(r.strip(), r.strip()) for r in m[1].split(" or "))
    return f"此操作需要「{wanted}」角色，您当前的角色是「{ROLES.get(m[2], m[2])}」"


_WEEKDAY_EN = {"Monday": "周一", "Tuesday": "周二", "Wednesday": "周三", "Thursday": "周四", "Friday": "周五"}

MESSAGES: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (r"^too many failed logins", "登录失败次数过多，请 15 分钟后再试"),
    (r"^wrong username or password$", "用户名或密码错误"),
    (r"^this account is waiting for the operator's registration review", "账户正在等待运营单位审核，审核通过后方可登录"),
    (r"^this registration was rejected: (.*)$", lambda m: f"注册未通过：{m[1]}"),
    (r"^this account is not active", "该账户未启用，请重新登录"),
    (r"^this account is (\w+)$", lambda m: f"该账户当前不可登录（{m[1]}）"),
    (r"^log in first", "请先登录"),
    (r"^the username '(.*)' is taken$", lambda m: f"用户名「{m[1]}」已被使用，请换一个"),
    (r"^an organisation with this unified social credit code is already registered$", "该统一社会信用代码已有单位注册"),
    (r"^no task (\S+) in your inbox$", lambda m: f"您的待办中没有任务 {m[1]}"),
    (r"^this task is already (\w+)$", _this_task_is),
    (r"^this task is claimed by (.+)$", lambda m: f"该任务已被 {m[1]} 认领"),
    (r"four-eyes rule: (\S+) made the first-line review",
     lambda m: f"双人复核规则：{m[1]} 作出了该案件的初审，不能再办理此任务"),
    (r"four-eyes rule", "双人复核规则：作出初审的人员不得同时作出最终决定"),
    (r"^only a task you have claimed can be released$", "只能释放您本人认领的任务"),
    (r"^decision '(.*)' is not allowed here",
     lambda m: f"此任务不允许作出「{DECISIONS.get(m[1], m[1])}」决定"),
    (r"^comment: a reason is required", "请在「意见」中说明理由：该决定必须填写理由"),
    (r"^this task is no longer open$", "该任务已不在待办状态（可能已被他人办理），请刷新待办列表"),
    (r"^this case's process has already ended", "该案件流程已结束，任务无法再办理"),
    (r"^no case (\S+) that you may see$", lambda m: f"没有您有权查看的案件 {m[1]}"),
    (r"^no case (\S+)$", lambda m: f"没有案件 {m[1]}"),
    (r"^no task (\S+)$", lambda m: f"没有任务 {m[1]}"),
    (r"^no upload|^no document", "文件不存在"),
    (r"^this needs the role (.*); you are (\w+)$", _needs_role),
    (r"^your account has no organisation", "您的账户未关联单位，不能提交申请"),
    (r"^(.*) is recorded as bad credit and may not apply: (.*)$", lambda m: f"{m[1]}已被列入失信名单，不能申请：{m[2]}"),
    (r"^(.*) already has an open (\w+) case \((.*)\)",
     lambda m: f"{m[1]}已有一件办理中的{CASE_TYPES.get(m[2], m[2])}申请（{m[3]}），请办结后再申请"),
    (r"^case (\S+) is already closed \((\w+)\)$",
     lambda m: f"案件 {m[1]} 已办结（{CASE_STATUS.get(m[2], m[2])}）"),
    (r"cannot reset workflows", "当前 Temporal 服务器（模拟时钟模式下的时间跳跃测试服务器）不支持重置流程；失败的步骤会自动重试"),
    (r"^this case's process has not run a step yet", "该案件流程尚未执行任何步骤，无需重试"),
    (r"^username: no active user '(.*)'$", lambda m: f"没有处于启用状态的用户「{m[1]}」"),
    (r"^username: (\S+) \((\w+)\) may not act on a (\w+) task",
     lambda m: f"{m[1]}（{ROLES.get(m[2], m[2])}）无权办理此范围内的{ROLES.get(m[3], m[3])}任务"),
    (r"^the clock is real", "当前使用真实时钟，只有模拟时钟模式才能快进时间"),
    (r"^give 'days' or 'until'$", "请填写快进的天数"),
    (r"^until: .* is not after", "目标时间必须晚于当前时间"),
    (r"^(\d{4}-\d\d-\d\d) is not in (\d{4})$", lambda m: f"{m[1]} 不在 {m[2]} 年内"),
    (r"^(\S+) is listed both as a holiday and as a make-up working day$",
     lambda m: f"{m[1]} 同时被列为节假日和调休上班日"),
    (r"^(\S+) is a (\w+); a make-up working day must be a Saturday or Sunday$",
     lambda m: f"{m[1]} 是{_WEEKDAY_EN.get(m[2], m[2])}，调休上班日必须是周六或周日"),
    (r"^no working-day schedule is known for the year (\d+)$", lambda m: f"系统中没有 {m[1]} 年的工作日安排"),
    (r"^a unified social credit code has 18 characters, this one has (\d+)$",
     lambda m: f"统一社会信用代码应为 18 位，当前为 {m[1]} 位"),
    (r"^invalid character .* at position (\d+) of the unified social credit code",
     lambda m: f"统一社会信用代码第 {m[1]} 位字符无效"),
    (r"wrong check character in the unified social credit code", "统一社会信用代码校验位错误，请核对"),
    (r"^declared (\w+) but .* make it (\w+) under",
     lambda m: f"申报的企业规模（{SIZES.get(m[1], m[1])}）与从业人员、营业收入不符，按划型标准应为{SIZES.get(m[2], m[2])}"),
    (r"^a provider must name at least one service category", "服务机构至少选择一项服务类别"),
    (r"^the corrected application cannot qualify \(002 art\. 6-7\): (.*)$",
     lambda m: f"补正后的申请仍不符合示范平台申报条件（办法第六、七条）：{m[1]}"),
    (r"^data\.city: the platform must apply in its own city", "平台须在本单位所在地区申报，补正时不能更改所在地区"),
    (r"^unknown city", "请选择宁夏的一个地级市"),
    (r"^unknown industry", "请选择所属行业"),
    (r"^unknown service category", "服务类别无效"),
    (r"only PDF, JPG, PNG, DOCX and XLSX files are accepted", "只接受 PDF、JPG、PNG、DOCX、XLSX 文件（按文件内容检查）"),
    (r"^file: the file is empty", "文件是空的"),
    (r"^the file is larger than the limit of (\d+) MB", lambda m: f"文件超过 {m[1]} MB 的上限"),
    (r"^staff and revenue cannot be negative", "从业人员和营业收入不能为负数"),
    (r"^expiry_reminder_days must be at most 5 different days", "到期提醒最多5个不同的天数"),
    (r"^each expiry reminder must be 1 to 1095 days", "每个到期提醒应在称号到期前1至1095天（三年有效期内）"),
]
_COMPILED = [(re.compile(p), r) for p, r in MESSAGES]


def zh(detail: str) -> str:
    """The API's detail in Chinese (the known messages), else the detail itself."""
    text = str(detail).removeprefix("Value error, ")
    for rx, repl in _COMPILED:
        m = rx.search(text)
        if m:
            return repl(m) if callable(repl) else repl
    return text


def _bound(value: Any, money: bool) -> str:
    if money and isinstance(value, int):
        return yuan(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def pydantic_zh(err: dict[str, Any]) -> str:
    """One pydantic error in Chinese (money bounds of *_fen fields in 元)."""
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
        return zh(str(ctx.get("error") or err.get("msg", "")))
    return zh(str(err.get("msg", "无效")))


def yuan(fen: Any) -> str:
    """Integer fen as 元 with thousands separators: 12,345.60 元."""
    if fen is None or fen == "":
        return ""
    try:
        n = int(fen)
    except (TypeError, ValueError):
        return str(fen)
    sign = "-" if n < 0 else ""
    whole, rest = divmod(abs(n), 100)
    return f"{sign}{whole:,}.{rest:02d} 元"


def translator(messages: list[tuple[str, Any]]) -> Callable[[str], str]:
    """A `say(detail)` for one area: its own message patterns first, then the common ones of `zh`."""
    compiled = [(re.compile(rx), repl) for rx, repl in messages]

    def say(detail: str) -> str:
        for rx, repl in compiled:
            m = rx.search(str(detail))
            if m:
                return repl(m) if callable(repl) else repl
        return zh(detail)

    return say
