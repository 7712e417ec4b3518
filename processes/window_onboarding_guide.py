"""The 办事指南 of window-platform onboarding (窗口平台接入平台网络), from seed 004 art. 8-10 and 13."""

from processes.spec import Guide, GuideMaterial, GuideStep

RULES = "《宁夏回族自治区中小企业公共服务平台网络运营管理暂行办法》（宁非公经发〔2018〕23号）"

GUIDE = Guide(
    who="建设和运营窗口服务平台、拟接入自治区中小企业公共服务平台网络的单位（004 第八条：窗口平台运营管理由建设单位承担，"
        "接受枢纽平台指导监督）。",
    conditions=(
        "以满足企业需求、做好贴身服务为宗旨，具有优质服务产品，贴近企业、了解企业需求（004 第八条）；",
        "可带动服务资源为企业提供服务，覆盖一定区域或行业范围（004 第八条）；",
        "能够履行窗口平台职责：服务需求调研、信息和服务安全管理、线上线下服务衔接（所有服务活动在平台网络系统中有记录、"
        "能追踪、可考核）、按统一服务规范提供服务（004 第九条第1项至第4项）；",
        "接入后接受枢纽平台绩效考核，与枢纽平台签订服务合作协议，定期报送服务计划、服务数据、服务总结，窗口平台之间互签"
        "合作协议（004 第九条第6项）。",
    ),
    materials=(
        GuideMaterial("窗口平台接入申请表", "004 第十条",
                      template=("窗口平台名称", "建设单位", "统一社会信用代码", "所在地区", "覆盖范围类型（区域/行业）",
                                "覆盖区域或行业", "主要服务产品及说明", "服务人员数", "服务场所面积（平方米）", "联系人",
                                "联系电话", "申请单位（盖章）", "日期")),
        GuideMaterial("服务能力说明（服务产品、服务资源、服务人员和场所）", "004 第八条、第十条"),
        GuideMaterial("信息安全保障措施", "004 第九条第2项"),
    ),
    steps=(
        GuideStep("在线申报，上传申报材料", "申请单位", time_limit="随时"),
        GuideStep("审核申报材料（材料不齐的退回补正）", "枢纽平台", "window_onboarding.hub_review"),
        GuideStep("组织专家评估审查", "评审专家", "window_onboarding.expert_assessment"),
        GuideStep("评审通过的报批准", "自治区非公经济局", "window_onboarding.bureau_approval"),
        GuideStep("向社会公示，受理异议", "自治区非公经济局", time_limit="5个工作日（004 第十条）"),
        GuideStep("公示无异议后按要求进行软硬件改造", "申请单位", "window_onboarding.adaptation"),
        GuideStep("接入验证，接入平台网络", "枢纽平台", "window_onboarding.connection_check"),
    ),
    basis=(
        f"{RULES}第八条（窗口平台的定义和运营管理）",
        f"{RULES}第九条（窗口平台主要职责）",
        f"{RULES}第十条（申报、审核、接入三个环节）",
        f"{RULES}第十二条、第十三条（绩效考核和撤销资格）",
    ),
    apply_url="/apply/window",
    notes=("接入后每年报送服务计划、每季度报送服务数据、每年报送服务总结；年度考核不合格的限期整改，整改后仍达不到要求的，"
           "提请撤销其窗口平台资格（004 第九条第6项、第十三条）。",),
)
