"""Sample documents for the document, printer and benchmark tests (valid inputs, fixed dates)."""

from __future__ import annotations

from datetime import date, datetime

from shared.documents import (
    FormDocument,
    FormEntry,
    Material,
    Receipt,
    SignatureSpec,
    SlipItem,
    TransmittalSlip,
)

FIXED = datetime(2024, 5, 20, 9, 30)
VALID_ID = "11010519491231002X"


def receipt(name: str = "张秀英", **changes: object) -> Receipt:
    """A receipt with three materials; `changes` override fields."""
    data: dict[str, object] = {
        "case_number": "SL20240520-0042",
        "matter": "居住证办理（首次申领）",
        "resident_name": name,
        "id_number": VALID_ID,
        "materials": [
            Material(name="居民身份证", copies=1, original=True),
            Material(name="房屋租赁合同复印件", copies=2),
            Material(name="近期一寸免冠照片", copies=2),
        ],
        "officer_number": "GH-0117",
        "service_point": "梅园社区党群服务站",
        "accepted_at": FIXED,
        "next_steps": "材料已转至受理中心审核，预计 5 个工作日内办结。办结后将短信通知，"
        "请凭本回执到梅园社区党群服务站领取证件。",
        "progress_hint": "进度查询电话：12345",
    }
    data.update(changes)
    return Receipt.model_validate(data)


def slip(**changes: object) -> TransmittalSlip:
    """A transmittal slip with three originals."""
    data: dict[str, object] = {
        "slip_number": "LZ20240520-007",
        "case_number": "SL20240520-0042",
        "matter": "居住证办理（首次申领）",
        "service_point": "梅园社区党群服务站",
        "destination": "街道社区事务受理服务中心",
        "handed_over_by": "李娟",
        "created_at": FIXED,
        "items": [
            SlipItem(code="LZ007-01", name="房屋租赁合同（原件）", copies=1, pages=6),
            SlipItem(code="LZ007-02", name="户口本（原件）", copies=1, pages=4, note="当日归还"),
            SlipItem(code="LZ007-03", name="婚姻状况证明", copies=1, pages=1),
        ],
    }
    data.update(changes)
    return TransmittalSlip.model_validate(data)


def form(paragraphs: int = 3) -> FormDocument:
    """A declaration form with two signature fields."""
    return FormDocument(
        form_id="F-JZZ-01",
        title="居住证申领承诺书",
        case_number="SL20240520-0042",
        entries=[
            FormEntry(label="申请人", value="张秀英"),
            FormEntry(label="居住地址", value="梅园路 18 弄 7 号 302 室"),
        ],
        paragraphs=[
            "本人承诺所提供的材料真实、有效，如有虚假，愿承担相应法律责任。"
            "本人同意受理中心为办理本事项查验相关信息。" * 2
        ]
        * paragraphs,
        signatures=[
            SignatureSpec(name="applicant", label="申请人签名"),
            SignatureSpec(name="agent", label="代办人签名"),
        ],
        dated=date(2024, 5, 20),
    )
