"""The console's documents panel and the kiosk's print banner, on the real widgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from backoffice_console.documents import DocumentItem, DocumentsView, render_first_page
from backoffice_console.ui.documents_panel import DocumentsPanel, DocumentViewer
from kiosk.printing import PrintDesk, PrinterSection
from kiosk.signing import SignDesk
from kiosk.ui.print_page import PrintBanner
from shared import i18n
from shared.documents import render_form
from shared.ui.screenshot import save_screenshot
from tests.support import document_samples as samples


def _item(n: int, kind: str = "receipt", **changes: Any) -> DocumentItem:
    action = "form.sign" if kind == "form" else "print"
    return DocumentItem(f"{n:032x}", kind, "t", action, f"c{n}", **changes)


def test_documents_panel_follows_every_state(qtbot: QtBot, test_output: Path) -> None:
    i18n.set_language("zh_CN")
    panel = DocumentsPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 260)
    panel.show()
    assert panel.status.text() == "尚未打印或签署文书" and panel.items.count() == 0
    assert not panel.view_button.isEnabled()

    panel.show_view(DocumentsView(busy="receipt"))
    assert panel.status.text() == "正在生成文书…"
    assert not panel.receipt_button.isEnabled() and not panel.sign_button.isEnabled()

    signed_png = render_first_page(render_form(samples.form()).pdf)
    view = DocumentsView(
        items=(
            _item(1, stage="printing"),
            _item(2, stage="paper_out"),
            _item(3, "slip", stage="done"),
            _item(4, stage=None, error_code="no_printer"),
            _item(5, "form", stage="cannot_sign", unsigned_reason="右手受伤"),
            _item(6, "form", stage="signed", signed_png=signed_png),
            _item(7, stage=None, error_code="weird_code"),
        )
    )
    panel.show_view(view)
    assert panel.row_texts() == [
        "受理回执 · 打印中",
        "受理回执 · 缺纸",
        "流转单 · 已完成",
        "受理回执 · 居民端没有可用的打印机",
        "表单 · 无法签名：右手受伤",
        "表单 · 已签署",
        "受理回执 · 失败（weird_code）",
    ]
    assert panel.receipt_button.isEnabled() and panel.status.text() == ""
    signed_icon = panel.items.item(5).icon().pixmap(60, 80).toImage()
    plain_icon = panel.items.item(0).icon().pixmap(60, 80).toImage()
    assert signed_icon != plain_icon  # the signed page as a thumbnail, a file icon otherwise
    assert panel.selected_document() == f"{7:032x}"  # the newest document is selected
    # 查看 only for a signed form; it asks for that form.
    panel.items.setCurrentRow(1)
    assert not panel.view_button.isEnabled()
    panel.items.setCurrentRow(5)
    assert panel.view_button.isEnabled()
    with qtbot.waitSignal(panel.open_requested, timeout=1000) as opened:
        panel.view_button.click()
    assert opened.args == [f"{6:032x}"]
    # The selection survives an update.
    panel.show_view(view)
    assert panel.selected_document() == f"{6:032x}"
    with qtbot.waitSignal(panel.print_requested, timeout=1000) as printed:
        panel.slip_button.click()
    assert printed.args == ["slip"]
    with qtbot.waitSignal(panel.sign_requested, timeout=1000):
        panel.sign_button.click()
    panel.show_view(DocumentsView(error_key="documents.error.no_identity"))
    assert panel.status.text() == "请先读取居民身份证，再打印回执"
    panel.show_view(view)
    save_screenshot(panel, test_output / "documents-panel.png")

    viewer = DocumentViewer(signed_png, "已签署的表单")
    qtbot.addWidget(viewer)
    assert viewer.has_page()
    broken = DocumentViewer(b"not a png", "x")
    qtbot.addWidget(broken)
    assert not broken.has_page()


class _NoHub:
    async def request(self, message: Any, timeout: float = 10.0) -> Any:
        return None

    async def get_json(self, path: str, **params: str) -> Any:
        raise AssertionError("not used")

    async def get_bytes(self, path: str) -> bytes:
        raise AssertionError("not used")

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        raise AssertionError("not used")


def test_print_banner_tells_the_helper_what_to_do(qtbot: QtBot, tmp_path: Path) -> None:
    i18n.set_language("zh_CN")
    printing = PrintDesk(
        PrinterSection(backend="simulated"), _NoHub(), lambda: None, tmp_path / "q"
    )
    signing = SignDesk(_NoHub(), lambda: None)
    banner = PrintBanner()
    qtbot.addWidget(banner)
    banner.show_state(printing, signing, in_call=True)
    assert banner.isHidden()
    printing.stage = "paper_out"
    banner.show_state(printing, signing, in_call=True)
    assert not banner.isHidden() and banner.alert
    assert banner.text() == "打印机缺纸，请补充纸张"
    printing.stage = "offline"
    banner.show_state(printing, signing, in_call=True)
    assert banner.alert and "打印机未连接" in banner.text()
    printing.stage = "done"
    signing.message = ("kiosk", "sign.done")
    banner.show_state(printing, signing, in_call=True)
    assert not banner.alert
    assert banner.text() == "打印完成，请取走回执\n签名已提交，谢谢"
    printing.stage, printing.error = None, "print_failed"
    banner.show_state(printing, signing, in_call=True)
    assert banner.alert and banner.text().startswith("打印失败")
    banner.show_state(printing, signing, in_call=False)  # nothing outside a call
    assert banner.isHidden()
