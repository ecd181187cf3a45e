"""Wires the case panel into the console: beside the video, fed by the controller's case desk."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backoffice_console.cases import CaseView
from backoffice_console.model import ConsoleError
from backoffice_console.ui.case_panel import CasePanel

if TYPE_CHECKING:
    from backoffice_console.ui.presenter import ConsolePresenter


class CaseUi:
    """The case panel's signals -> the controller's `CaseDesk`, and its views -> the panel."""

    def __init__(self, presenter: ConsolePresenter) -> None:
        self._p = presenter
        self.panel: CasePanel = presenter.main.call.case
        self.panel.assign_requested.connect(self._on_assign)
        self.panel.note_requested.connect(self._on_note)
        self.panel.outcome_requested.connect(self._on_outcome)
        self.panel.page_no = self._page_no

    def _page_no(self, ref: str) -> str:
        for page in self._p.controller.materials.view.pages:
            if str(page.material_id) == ref:
                return str(page.page_no)
        return "?"

    def show(self, view: CaseView) -> None:
        """The desk changed."""
        self.panel.show_view(view)

    def _on_assign(self, item_code: str) -> None:
        material = self._p.main.call.materials.selected_material()
        if material is None:
            self.panel.show_error("cases.error.no_page")
            return
        self._p._run(self._do(self._p.controller.cases.assign_page(material, item_code)), "assign")

    def _on_note(self, text: str) -> None:
        self._p._run(self._do(self._p.controller.cases.add_note(text)), "case-note")

    def _on_outcome(self, state: str, reason: str) -> None:
        self._p._run(self._do(self._p.controller.cases.set_outcome(state, reason)), "outcome")

    async def _do(self, action: object) -> None:
        try:
            await action  # type: ignore[misc]
        except ConsoleError as exc:
            self.panel.show_error(exc.key, exc.detail)


def install_cases(presenter: ConsolePresenter) -> CaseUi:
    """Connect the call view's case panel to the presenter's controller."""
    return CaseUi(presenter)
