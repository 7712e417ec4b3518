"""The Chinese wording of the API's errors: one template per error code, filled with the error's params."""

from __future__ import annotations

import re
from typing import Any

from api import pages_i18n as i18n
from api.errors import ApiError
from processes.registry import specs
from rules.errors import RuleViolation
from rules.size_class import SIZES

# code -> template (str.format with the error's params; `detail` is always there). The codes are the API's
# `code` field; tests/api/test_error_codes.py checks that every code raised in api/ has its line here.
MESSAGES: dict[str, str] = {
    # request validation and the engine
    "validation_failed": "请求无效：{detail}",
    "engine_unavailable": "流程引擎暂时没有响应，请稍后再试（重复提交的决定不会被执行两次）",
    "database_busy": "系统繁忙，请稍后再试（重复提交的决定不会被执行两次）",
    "clock_advance_incomplete": "模拟时钟未能完成快进，部分定时器可能已触发；请查看当前时间后再试",
    "no_process": "系统没有为该案件类型配置流程",
    # login and accounts
    "too_many_logins": "登录失败次数过多，请 15 分钟后再试",
    "wrong_credentials": "用户名或密码错误",
    "registration_pending": "账户正在等待运营单位审核，审核通过后方可登录",
    "registration_rejected": "注册未通过：{reason}",
    "not_registered_in_ningxia": "统一社会信用代码的登记机关代码为{region}，不在宁夏（64开头）；"
                                 "服务券补贴对象须在自治区内注册登记（2016年办法第五条）",
    "not_independent_legal_person": "服务券补贴对象须具有独立法人资格（2016年办法第五条）",
    "account_inactive": "该账户未启用，请重新登录",
    "account_disabled": "该账户当前不可登录（{account_status}）",
    "login_required": "请先登录",
    "token_invalid": "登录已失效，请重新登录",
    # request guard and throttles (api/guard.py, api/throttle.py)
    "body_too_large": "提交的内容过大，请缩小后重试",
    "bad_characters": "提交的内容含有不允许的控制字符（NUL），请删除后重试",
    "too_many_requests": "操作过于频繁，请稍后再试",
    "username_taken": "用户名「{username}」已被使用，请换一个",
    "uscc_taken": "该统一社会信用代码已有单位注册",
    "role_required": "此操作需要「{roles}」角色，您当前的角色是「{role}」",
    # tasks
    "task_not_in_inbox": "您的待办中没有任务 {task_id}",
    "task_not_found": "没有任务 {task_id}",
    "task_not_open": "该任务{task_status}，不能再操作",
    "panel_seat_taken": "您已是本案件专家评审组成员，每位专家只能承担一个评审席位",
    "named_task_not_released": "该任务是指定由您办理的，不能释放；如确实无法办理，请联系系统管理员改派",
    "upload_of_other_case": "文件 {upload_id} 已用于另一案件，请为本案件重新上传",
    "not_a_finite_number": "{field} 必须是有限的数字（不接受 NaN 或无穷大）",
    "contract_not_awarded_bid": "服务合同金额应与定标报价一致（{awarded_fen} 分）",
    "paid_above_contract": "企业已支付金额不能超过服务合同金额（{contract_fen} 分）",
    "task_claimed_by_other": "该任务已被 {assignee} 认领",
    "task_stale": "该任务已不在待办状态（可能已被他人办理），请刷新待办列表",
    "task_case_ended": "该案件流程已结束，任务无法再办理",
    "four_eyes": "双人复核规则：作出初审的人员不得同时作出最终决定",
    "four_eyes_assignee": "双人复核规则：{username} 作出了该案件的初审，不能再办理此任务",
    "not_your_claim": "只能释放您本人认领的任务",
    "decision_not_allowed": "此任务不允许作出「{decision}」决定",
    "reason_required": "请在「意见」中说明理由：该决定必须填写理由",
    "bad_scope": "待办范围只能是 available、mine 或 all",
    # cases
    "case_not_found": "没有案件 {case_id}",
    "case_not_visible": "没有您有权查看的案件 {case_id}",
    "case_already_closed": "案件 {case_id} 已办结（{case_status}）",
    "case_ended": "该案件流程已结束",
    "case_closed": "该案件已结束，不能再办理",
    "update_refused": "操作未被受理：{detail}",
    "update_reason_required": "请填写理由",
    "unknown_case_type": "未知的案件类型「{case_type}」",
    "no_organisation": "您的账户未关联单位，不能提交申请",
    "bad_credit": "{org}已被列入失信名单，不能申请：{reason}",
    "already_open_case": "{org}已有一件办理中的{case_type}申请（{case_id}），请办结后再申请",
    # admin
    "nothing_to_retry": "该案件流程尚未执行任何步骤，无需重试",
    "reset_unsupported": "当前 Temporal 服务器（模拟时钟模式下的时间跳跃测试服务器）不支持重置流程；失败的步骤会自动重试",
    "no_active_user": "没有处于启用状态的用户「{username}」",
    "assignee_out_of_scope": "{username}（{user_role}）无权办理此范围内的{task_role}任务",
    "clock_real": "当前使用真实时钟，只有模拟时钟模式才能快进时间",
    "advance_missing": "请填写快进的天数",
    "advance_not_after": "目标时间必须晚于当前时间",
    "calendar_year_out_of_range": "系统只保存 {first} 至 {last} 年的工作日安排",
    "calendar_unavailable": "系统中没有 {year} 年的工作日安排",
    "notification_not_found": "没有消息 {notification_id}",
    # the public calendar API
    "bad_date": "「{value}」不是有效的日期（YYYY-MM-DD）",
    "date_required": "请填写事件发生的日期（YYYY-MM-DD）",
    "working_days_out_of_range": "工作日数应在 1 至 3650 之间",
    # files
    "file_too_large": "文件超过 {limit_mb} MB 的上限",
    "file_empty": "文件是空的",
    "file_type_refused": "只接受 PDF、JPG、PNG、DOCX、XLSX 文件（按文件内容检查）",
    "upload_not_found": "文件不存在",
    "document_not_found": "文件不存在",
    "not_a_party": "只有该案件的当事方可以下载其文件",
    # certification (P3)
    "no_open_call": "工信厅尚未发布示范平台申报通知，请等待通知后再申报",
    "call_closed": "{year}年度申报已截止，不再受理申报",
    "call_already_open": "{year}年度申报通知已发布，每年只发布一次",
    "deadline_passed": "申报截止日期已过，请选择今天或以后的日期",
    "unknown_notice_kind": "文件类型无效",
    "title_held": "{org}持有示范平台称号至 {until}（{title_id}），称号到期当年方可再次申报",
    "wrong_city": "平台须在本单位所在地区申报，请选择本单位所在市",
    "correction_wrong_city": "平台须在本单位所在地区申报，补正时不能更改所在地区",
    "cannot_qualify": "不符合示范平台申报条件（办法第六、七条）：{missing}",
    "correction_cannot_qualify": "补正后的申请仍不符合示范平台申报条件（办法第六、七条）：{missing}",
    "panel_departure_reason_required": "专家组结论为“{panel}”，作出与之不一致的决定须填写理由",
    "anonymous_objection": "不受理匿名异议：请填写真实姓名和联系方式",
    "objection_reason_required": "请填写异议理由",
    "not_in_notice": "该对象不在公示期内，只有公示期内才能提出异议",
    "notice_closed": "公示期已结束，不再受理异议",
    "objection_not_found": "没有找到该回执编号的异议，请核对回执编号和提交异议时填写的联系电话",
    "guide_not_found": "没有该事项的办事指南",
    "objection_phone_required": "请填写提交异议时留下的联系电话",
    "revocation_reason_required": "请填写撤销理由",
    "no_title": "该案件不是已认定的示范平台，无可撤销的称号",
    "no_title_case_ended": "该案件流程已结束，无可撤销的称号",
    # service vouchers (P1)
    "demand_not_open": "没有向本机构开放的该服务需求（类别不符或已截止）",
    "demand_not_found": "没有找到该服务需求",
    "bad_credit_bid": "本机构已被列入失信名单，不能报价",
    "not_signed_provider": "只有签约服务机构才能报价，请先提交准入申请",
    "bidding_closed": "该需求当前不在报价期内，不能报价",
    "already_bid": "本机构已对该需求报过价，每个机构只能报价一次",
    "contract_not_found": "没有找到本机构中标的该服务合同",
    "voucher_case_not_found": "没有找到该服务券案件",
    "own_voucher_case_not_found": "没有找到本企业的该服务券案件",
    "voucher_case_closed": "该服务券案件当前为“{case_status}”，不能再办理",
    "withdrawal_reason_required": "请填写撤回理由",
    "already_delivered": "服务机构已报送服务完成情况，不能再撤回",
    "report_not_found": "没有找到该统计报表",
    "unknown_policy": "没有服务券政策版本 {policy}",
    "not_small_enterprise": "只有小微企业可以申请服务券",
    "not_subsidy_object": "{policy}的补贴对象为生产性制造业和生产性服务业的小微企业（2017年办法 一、补贴对象），"
                          "本企业的行业类型为{sector}",
    "priority_proof_missing": "请先上传{material}（优先申领资格须附证明材料，2016年办法第十一条第（三）项）",
    "category_not_in_policy": "本案件适用的政策版本不补贴该服务类别（{category}）",
    "contract_amount_differs": "申领金额应与已签订的三方服务合同金额（{amount}元）一致（2016年办法第九条第（一）项）",
    "open_voucher_case": "本企业已有该服务类别正在办理的服务券案件（{case_id}），同一服务项目只能有一个",
    # yearly assessments (P5; api/services/assessment.py, rules.assessment.AssessmentError codes)
    "unknown_assessment_kind": "考核对象类别无效：{kind}（应为窗口平台、合作服务机构、运营机构或枢纽平台）",
    "self_report_due_passed": "自评截止日期已过，请选择今天以后的日期",
    "campaign_exists": "{year}年度该类考核已开展，每年每类只开展一次",
    "not_a_subject": "所选机构不是该类的现有考核对象",
    "campaign_not_found": "没有考核活动 {campaign_id}",
    "bulletin_not_drafted": "该考核活动尚未生成考核结果通报",
    "campaign_not_rated": "还有 {unrated} 个考核对象（共 {total} 个）未完成评分，全部评分后才能生成考核结果通报",
    "not_your_assessment": "这是其他单位的考核，您不能办理",
    "invalid_kind": "考核对象类别无效",
    "no_indicators": "请至少设置一项考核指标",
    "invalid_indicator": "每项指标都须填写代码和名称",
    "invalid_weight": "指标权重应为大于 0、不超过 1000 的数",
    "duplicate_indicator": "指标代码不能重复",
    "invalid_threshold": "分数线应在 0 至 100 之间，且合格分数线不能高于优秀分数线",
    "invalid_scores": "请按指标逐项填写得分",
    "unknown_indicator": "评分中有不属于本次考核的指标，请按本次考核的指标评分",
    "missing_score": "每项考核指标都须评分",
    "score_out_of_range": "每项得分应在 0 至 100 之间",
    # the fund's rules (rules.fund.FundError codes)
    "total_below_committed": "资金总额不能低于已预留和已结算的金额",
    # operations console and data centre
    "case_no_open_task": "案件 {case_id} 没有待办任务",
    "batch_reason_required": "此操作须填写理由",
    "batch_username_required": "请填写改派给的用户名",
    "batch_days_required": "请填写延期的工作日数",
    "batch_step_required": "请选择要退回到的步骤",
    "move_back_no_such_step": "案件 {case_id} 没有办理过该步骤，无法退回",
    "move_back_no_history": "流程引擎中没有案件 {case_id} 的历史记录",
    "move_back_unsafe": "案件 {case_id} 在该步骤之后已执行了不可重复的操作（{activities}），不能退回；请改用终止后重新申请",
    "move_back_refused": "流程引擎拒绝退回案件 {case_id}",
    "engine_refused": "流程引擎拒绝了此操作，请稍后重试或查看流程历史",
    "datacentre_bad_period": "统计期间无效（起止日期格式 YYYY-MM-DD，且结束不早于开始，跨度不超过 3 年）",
    "datacentre_unknown_chart": "没有名为「{chart}」的图表",
    "datacentre_bad_month": "月份无效（年份 2000–2200，月份 1–12）",
    "platform_export_not_found": "没有这次报送记录",
}
# The processes' own codes (their specs' `messages`): a process adds its wording without editing this table.
for _spec in specs().values():
    MESSAGES.update(_spec.messages)

# Params whose values are codes, shown by their Chinese label (a list is joined with 或).
PARAM_LABELS: dict[str, dict[str, str]] = {
    "role": i18n.ROLES, "roles": i18n.ROLES, "user_role": i18n.ROLES, "task_role": i18n.ROLES,
    "task_status": i18n.TASK_STATUS, "case_status": i18n.CASE_STATUS, "case_type": i18n.CASE_TYPES,
    "decision": i18n.DECISIONS,
}

_WEEKDAYS = {"Monday": "周一", "Tuesday": "周二", "Wednesday": "周三", "Thursday": "周四", "Friday": "周五"}
_POLICY_FIELDS = {"bidding_working_days": "报价期", "voucher_validity_days": "有效期"}

# The English texts of the rules' and the forms' validators, which reach the pages inside a pydantic error (no code)
# or as a RuleViolation whose code covers several texts; the first pattern that matches words it.
RULE_TEXTS: list[tuple[str, Any]] = [
    (r"^(\d{4}-\d\d-\d\d) is not in (\d{4})$", "{0} 不在 {1} 年内"),
    (r"^(\S+) is listed both as a holiday and as a make-up working day$", "{0} 同时被列为节假日和调休上班日"),
    (r"^(\S+) is a (\w+); a make-up working day must be a Saturday or Sunday$",
     lambda m: f"{m[1]} 是{_WEEKDAYS.get(m[2], m[2])}，调休上班日必须是周六或周日"),
    (r"^no working-day schedule is known for the year (\d+)$", "系统中没有 {0} 年的工作日安排"),
    (r"^a unified social credit code has 18 characters, this one has (\d+)$", "统一社会信用代码应为 18 位，当前为 {0} 位"),
    (r"^invalid character .* at position (\d+) of the unified social credit code", "统一社会信用代码第 {0} 位字符无效"),
    (r"wrong check character in the unified social credit code", "统一社会信用代码校验位错误，请核对"),
    (r"^declared (\w+) but .* make it (\w+) under",
     lambda m: f"申报的企业规模（{SIZES.get(m[1], m[1])}）与从业人员、营业收入不符，按划型标准应为"
               f"{SIZES.get(m[2], m[2])}"),
    (r"^a provider must name at least one service category", "服务机构至少选择一项服务类别"),
    (r"^unknown city", "请选择宁夏的一个地级市"),
    (r"^unknown industry", "请选择所属行业"),
    (r"^unknown service category '", "请选择服务类别"),
    (r"^unknown service category", "服务类别无效"),
    (r"^staff and revenue cannot be negative", "从业人员和营业收入不能为负数"),
    (r"^expiry_reminder_days must be at most (\d+)", "到期提醒最多{0}个不同的天数"),
    (r"^each expiry reminder must be 1 to 1095 days before the title",
     "每个到期提醒应在称号到期前1至1095天（三年有效期内）"),
    (r"^each expiry reminder must be 1 to (\d+) days", "每个到期提醒应在到期前1至{0}天（在有效期内）"),
    (r"^(\w+) must be a whole number from (\d+) to (\d+)",
     lambda m: f"{_POLICY_FIELDS.get(m[1], m[1])}应为{m[2]}至{m[3]}之间的整数"),
    (r"^supervision_fee_bp must be from (\d+) to (\d+)",
     lambda m: f"监理服务费率应在{int(m[1]) / 100:g}%至{int(m[2]) / 100:g}%之间"),
    (r"^declare that you have no conflict of interest",
     "评分前须勾选声明与申报单位不存在利益冲突；如有利益冲突请回避，由管理员改派"),
]
_RULE_TEXTS = [(re.compile(rx), repl) for rx, repl in RULE_TEXTS]


def rule_text(text: str) -> str:
    """A rule's or form validator's English message in Chinese, else the message itself."""
    text = str(text).removeprefix("Value error, ")
    for rx, repl in _RULE_TEXTS:
        m = rx.search(text)
        if m:
            return repl(m) if callable(repl) else repl.format(*m.groups())
    return text


def _detail_zh(detail: str) -> str:
    """A validation detail ('field: message; …') with the known messages in Chinese."""
    parts = []
    for part in re.split(r"; (?=[\w.]+: )", str(detail)):
        where, sep, text = part.partition(": ")
        parts.append(f"{where}：{rule_text(text)}" if sep and " " not in where else rule_text(part))
    return "；".join(parts)


def _label(name: str, value: Any) -> Any:
    labels = PARAM_LABELS.get(name)
    if labels is None:
        return value
    if isinstance(value, list | tuple):
        return "或".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), value)


def message(code: str | None, params: dict[str, Any] | None = None, detail: str = "") -> str:
    """The Chinese message of an error code with its params; an unknown code (or a missing param) gives the detail."""
    template = MESSAGES.get(code or "")
    if template is None:
        return rule_text(detail)
    values = {name: _label(name, value) for name, value in (params or {}).items()}
    try:
        return template.format(**{"detail": _detail_zh(detail), **values})
    except (KeyError, IndexError):
        return rule_text(detail)


def say(exc: ApiError | RuleViolation) -> str:
    """The Chinese message of an API error or a broken rule."""
    if isinstance(exc, ApiError):
        return message(exc.code, exc.params, exc.detail)
    return message(exc.code, None, exc.message)
