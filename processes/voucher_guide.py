"""The 办事指南 of the small-enterprise service voucher (小微企业服务补贴券), from seeds 003 and 000."""

from processes.spec import Guide, GuideMaterial, GuideStep

RULES_2016 = "《宁夏回族自治区小微企业服务补贴券业务管理暂行办法》（宁非公经发〔2016〕73号）"
RULES_2017 = "《宁夏回族自治区小微企业服务补贴券使用管理办法（试行）》（宁非公经发〔2017〕101号）"

GUIDE = Guide(
    who="在自治区中小企业公共服务平台注册的宁夏小微企业（003 第二条；000 一）。",
    conditions=(
        "属于小型、微型企业，经营正常，无不良信用记录（003 第二条）；",
        "向平台公布的签约服务机构购买服务补贴券支持范围内的服务（003 第七条；000 三）；",
        "补贴比例与上限按服务券所属政策：2017年政策按类别为合同金额的25%～50%，每户年度不超过1万元（000 二）；"
        "2016年政策为50%，单项不超过3000元、每户年度不超过5000元（003 第六条）。",
    ),
    materials=(
        GuideMaterial("服务需求说明（服务类别、内容、预算）", "003 第九条第（一）项",
                      template=("企业名称", "统一社会信用代码", "服务类别", "服务需求描述", "预算金额（元）", "联系人",
                                "联系电话")),
        GuideMaterial("与签约服务机构签订的服务合同", "003 第九条第（一）项"),
        GuideMaterial("服务完成证明材料和支付合同款的发票（结算时由服务机构提交）", "003 第十条；000 七"),
    ),
    steps=(
        GuideStep("发布服务需求", "企业", time_limit="随时"),
        GuideStep("需求审核", "运营单位", "voucher.demand_review"),
        GuideStep("服务机构竞标、企业选择报价", "企业", "voucher.choose_bid"),
        GuideStep("在线申领服务券", "企业", "voucher.apply"),
        GuideStep("初审、复审，记名发放电子服务券", "运营单位", "voucher.first_review"),
        GuideStep("提供服务并报送完成材料", "签约服务机构", "voucher.delivery"),
        GuideStep("确认服务并评价满意度", "企业", "voucher.confirm"),
        GuideStep("结算审核、核准，与服务机构结算", "运营单位、自治区工业和信息化厅", "voucher.settlement_review"),
    ),
    basis=(f"{RULES_2016}第二条、第六条、第七条、第九条至第十一条", f"{RULES_2017}二、三、五、七"),
    apply_url="/voucher",
    notes=("服务券记名使用，不得转让、流通和挪作他用；应在有效期内使用，过期作废（003 第十一条）。",),
)
