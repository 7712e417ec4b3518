"""Pure content builders of every document flow168 drafts; each returns an OfficialDocument or FormDocument.

Builders take plain data (str, int fen, date, tuples) and keyword-only arguments; numbered documents also take
the `number` and `year` the per-issuer counter handed out. They never render, read a clock or touch storage.
"""

from documents.content_common import (
    CITY_NAMES,
    ISSUERS,
    RATING_LABELS,
    SATISFACTION_LABELS,
    cn_ordinal,
    fen_to_yuan_str,
)
from documents.content_network import (
    SUBJECT_LABELS,
    assessment_result_notice,
    cooperation_agreement,
    onboarding_approval,
    qualification_revocation,
    rectification_notice,
)
from documents.content_platform import (
    certificate,
    certification_notice,
    public_notice,
    recommendation_form,
    revocation_decision,
)
from documents.content_voucher import (
    ProviderServiceRow,
    VoucherStatRow,
    monthly_voucher_statistics,
    provider_filing_notice,
    settlement_statement,
    three_party_contract,
    voucher_certificate,
    voucher_void_decision,
)
from documents.model import format_cn_date

__all__ = [
    "BUILDERS",
    "CITY_NAMES",
    "ISSUERS",
    "RATING_LABELS",
    "SATISFACTION_LABELS",
    "SUBJECT_LABELS",
    "ProviderServiceRow",
    "VoucherStatRow",
    "assessment_result_notice",
    "certificate",
    "certification_notice",
    "cn_ordinal",
    "cooperation_agreement",
    "fen_to_yuan_str",
    "format_cn_date",
    "monthly_voucher_statistics",
    "onboarding_approval",
    "provider_filing_notice",
    "public_notice",
    "qualification_revocation",
    "recommendation_form",
    "rectification_notice",
    "revocation_decision",
    "settlement_statement",
    "three_party_contract",
    "voucher_certificate",
    "voucher_void_decision",
]

# kind -> builder, so an activity can dispatch on the kind it stores with each document.
BUILDERS = {
    builder.__name__: builder
    for builder in (
        provider_filing_notice,
        voucher_certificate,
        three_party_contract,
        settlement_statement,
        voucher_void_decision,
        monthly_voucher_statistics,
        recommendation_form,
        public_notice,
        certification_notice,
        certificate,
        revocation_decision,
        onboarding_approval,
        cooperation_agreement,
        assessment_result_notice,
        rectification_notice,
        qualification_revocation,
    )
}
