"""The 办事指南 of a service provider's admission (签约服务机构准入), from seed 003 art. 4, 8 and seed 000 四."""

from processes.spec import Guide, GuideMaterial, GuideStep

RULES = "《宁夏回族自治区小微企业服务补贴券业务管理暂行办法》（宁非公经发〔2016〕73号）"

GUIDE = Guide(
    who="在自治区中小企业公共服务平台注册、为小微企业提供服务的服务机构（003 第四条、第八条）。",
    conditions=(
        "在区内注册，具有为中小企业提供信息化、技术创新和管理咨询等方面服务的能力，专业特色明显（003 第四条）；",
        "服务项目和价格明确，按备案的项目和价格为小微企业提供服务（003 第八条）；",
        "无恶意串通、弄虚作假等不良信用记录（003 第十一条）。",
    ),
    materials=(
        GuideMaterial("营业执照等主体资格证明", "003 第八条"),
        GuideMaterial("资质证书、从业资格等证明材料", "003 第八条"),
        GuideMaterial("服务项目及价格表", "003 第八条", template=("服务类别", "服务项目名称", "服务内容", "价格（元）",
                                                                   "服务周期", "联系人", "联系电话")),
    ),
    steps=(
        GuideStep("在线提交准入申请和证明材料", "服务机构", time_limit="随时"),
        GuideStep("真实性、合规性审核", "运营单位", "provider_admission.operator_review"),
        GuideStep("专家综合审定", "评审专家", "provider_admission.expert_review"),
        GuideStep("备案并在平台公布", "自治区工业和信息化厅", "provider_admission.department_filing"),
    ),
    basis=(f"{RULES}第四条、第八条", f"{RULES}第十一条（不良信用记录、取消资格）"),
    apply_url="/apply/provider_admission",
)
