"""A realistic canonical document for the Word report: a county bureau, non-zero figures, every cross-total holding."""

from __future__ import annotations

from typing import Any

from xlcheck.form import Form

APPLICANTS = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_organization",
    "legal_service_agency",
    "other_organization",
)

# Leaf rows of 三、本年度办理结果 (（一）…（六）, 21 rows), six applicant columns each.
HANDLED: dict[str, tuple[int, ...]] = {
    "granted": (86, 14, 2, 1, 5, 3),
    "partially_granted": (12, 3, 0, 0, 1, 1),
    "withheld.state_secret": (1, 0, 0, 0, 0, 0),
    "withheld.prohibited_by_law": (2, 1, 0, 0, 0, 0),
    "withheld.security_stability": (1, 0, 0, 0, 0, 0),
    "withheld.third_party_rights": (4, 2, 0, 0, 1, 0),
    "withheld.internal_affairs": (3, 0, 0, 0, 0, 1),
    "withheld.process_information": (5, 1, 1, 0, 0, 0),
    "withheld.enforcement_records": (2, 1, 0, 0, 1, 0),
    "withheld.inquiry_matters": (6, 2, 0, 0, 0, 0),
    "unavailable.not_held": (23, 4, 1, 1, 2, 1),
    "unavailable.needs_creation": (7, 2, 0, 0, 0, 1),
    "unavailable.unclear_after_correction": (3, 1, 0, 0, 0, 0),
    "not_processed.complaints": (9, 0, 0, 0, 0, 0),
    "not_processed.repeated": (6, 1, 0, 0, 0, 0),
    "not_processed.publications": (2, 0, 0, 0, 0, 0),
    "not_processed.excessive": (4, 0, 0, 0, 0, 0),
    "not_processed.confirmation": (1, 1, 0, 0, 0, 0),
    "other.no_correction": (5, 1, 0, 0, 1, 0),
    "other.fee_unpaid": (1, 0, 0, 0, 0, 0),
    "other.other": (2, 1, 0, 0, 0, 0),
}
CARRIED_OVER = (6, 2, 0, 0, 1, 0)
CARRIED_FORWARD = (9, 3, 1, 0, 1, 1)
REVIEW_LITIGATION = {  # upheld, corrected, other, pending
    "review": (3, 1, 1, 1),
    "litigation_direct": (2, 0, 1, 1),
    "litigation_after_review": (1, 0, 0, 1),
}

OVERVIEW = {
    "intro": "2024年，某某县市场监督管理局坚持以习近平新时代中国特色社会主义思想为指导，"
    "认真贯彻落实《中华人民共和国政府信息公开条例》，围绕市场监管中心工作，"
    "推进政务公开标准化规范化建设。\n全年新收政府信息公开申请250件，上年结转9件，办理完毕244件，结转下年度继续办理15件。",
    "proactive": "严格落实主动公开责任，通过县政府门户网站公开行政许可信息84条、行政处罚信息57条、"
    "行政强制信息1条。\n及时公开“双随机、一公开”抽查结果和食品安全监督抽检信息。",
    "on_request": "畅通网络、信函、当面等申请渠道，规范受理、登记、办理、答复流程，"
    "全年依申请公开答复均在法定期限内办结。",
    "information_management": "1.强化制度建设。完善信息发布“三审三校”制度。\n"
    "2.强化动态管理。对现行有效的行政规范性文件开展清理，废止3件。",
    "platforms": "加强政府网站信息公开专栏和政务新媒体建设，优化栏目设置，全年更新信息642条。",
    "supervision": "将政务公开工作纳入年度工作考核，开展社会评议1次，"
    "全年未发生因政务公开工作引发的责任追究情况。",
}
PROBLEMS = (
    "一是部分信息公开的时效性有待加强。\n二是政策解读形式较为单一。\n"
    "下一步，我局将建立信息发布时限台账，推行图解、视频等多样化解读方式。"
)
OTHER = "本年度依据《政府信息公开信息处理费管理办法》（国办函〔2020〕109号），未收取信息处理费。"


def _row(values: tuple[int, ...]) -> dict[str, int]:
    row = dict(zip(APPLICANTS, values, strict=True))
    row["total"] = sum(values)
    return row


def _handled() -> dict[str, Any]:
    handled: dict[str, Any] = {}
    for path, values in HANDLED.items():
        node = handled
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _row(values)
    handled["total"] = _row(tuple(sum(col) for col in zip(*HANDLED.values(), strict=True)))
    return handled


def _applications() -> dict[str, Any]:
    handled = _handled()
    totals = [handled["total"][col] for col in APPLICANTS]
    new = tuple(t + f - o for t, f, o in zip(totals, CARRIED_FORWARD, CARRIED_OVER, strict=True))
    return {
        "new": _row(new),
        "carried_over": _row(CARRIED_OVER),
        "handled": handled,
        "carried_forward": _row(CARRIED_FORWARD),
    }


def _review_litigation() -> dict[str, Any]:
    keys = ("upheld", "corrected", "other", "pending")
    return {
        block: {**dict(zip(keys, values, strict=True)), "total": sum(values)}
        for block, values in REVIEW_LITIGATION.items()
    }


def report_document() -> dict[str, Any]:
    """The canonical document (spec §5) of a county bureau's 2024 report."""
    return {
        "form": "gov-info-disclosure-annual-report",
        "form_version": "2021",
        "agency": {
            "name": "某某县市场监督管理局",
            "credit_code": "11411700MB1234567X",
            "kind": "department",
            "tier": "county",
        },
        "year": 2024,
        "overview": dict(OVERVIEW),
        "proactive": {
            "regulations": {"made": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {"made": 4, "repealed": 3, "in_force": 27},
            "licensing": 84,
            "punishment": 57,
            "enforcement": 1,
            "fees_wan_yuan": 5949.088667,
        },
        "applications": _applications(),
        "review_litigation": _review_litigation(),
        "problems_and_improvements": PROBLEMS,
        "other_matters": OTHER,
    }


def _in_2019_format(doc: dict[str, Any]) -> dict[str, Any]:
    """The same office's report in the 2019 trial format (a 2020 report): its own table 二 and
    one （六）其他处理 row, the sum of the 2021 format's three."""
    from documents import PROACTIVE_2019

    proactive: dict[str, Any] = {}
    for key, value in PROACTIVE_2019.items():
        _, item, leaf = key.split(".")
        proactive.setdefault(item, {})[leaf] = value
    handled = doc["applications"]["handled"]
    rows = handled["other"].values()
    handled["other"] = {col: sum(row[col] for row in rows) for col in (*APPLICANTS, "total")}
    return {**doc, "form_version": "2019", "year": 2020, "proactive": proactive}


def report_document_for(form: Form) -> dict[str, Any]:
    """The county bureau's report in `form`'s format (any bundled form)."""
    doc = report_document()
    return doc if form.form_version == "2021" else _in_2019_format(doc)
