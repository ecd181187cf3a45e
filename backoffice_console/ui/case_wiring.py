"""Wires the case panel into the console: beside the video, fed by the controller's case desk.

`install_cases` gets the call view, the controller and a runner for the panel's requests
(the presenter passes its own); nothing here knows the presenter.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from backoffice_console.app import ConsoleController
from backoffice_console.cases import CaseDesk, CaseView
from backoffice_console.materials import MaterialsDesk
from backoffice_console.model import ConsoleError
from backoffice_console.ui.call_view import CallView
from backoffice_console.ui.case_panel import CasePanel
from backoffice_console.ui.materials_panel import MaterialsPanel

Spawn = Callable[[Coroutine[Any, Any, None], str], None]
"""Runs a request started by a widget as a named task (the presenter's runner)."""


class CaseUi:
    """The case panel's signals -> the `CaseDesk`, and its views -> the panel."""

    def __init__(
        self,
        panel: CasePanel,
        materials_panel: MaterialsPanel,
        cases: CaseDesk,
        materials: MaterialsDesk,
        spawn: Spawn,
    ) -> None:
        self.panel = panel
        self._materials_panel = materials_panel
        self._cases = cases
        self._materials = materials
        self._spawn = spawn
        self.panel.assign_requested.connect(self._on_assign)
        self.panel.note_requested.connect(self._on_note)
        self.panel.outcome_requested.connect(self._on_outcome)
        self.panel.page_no = self._page_no

    def _page_no(self, ref: str) -> str:
        for page in self._materials.view.pages:
            if str(page.material_id) == ref:
                return str(page.page_no)
        return "?"

    def show(self, view: CaseView) -> None:
        """The desk changed."""
        self.panel.show_view(view)

    def _on_assign(self, item_code: str) -> None:
        material = self._materials_panel.selected_material()
        if material is None:
            self.panel.show_error("cases.error.no_page")
            return
        self._spawn(self._do(self._cases.assign_page(material, item_code)), "assign")

    def _on_note(self, text: str) -> None:
        self._spawn(self._do(self._cases.add_note(text)), "case-note")

    def _on_outcome(self, state: str, reason: str) -> None:
        self._spawn(self._do(self._cases.set_outcome(state, reason)), "outcome")

    async def _do(self, action: object) -> None:
        try:
            await action  # type: ignore[misc]
        except ConsoleError as exc:
            self.panel.show_error(exc.key, exc.detail)


def install_cases(call: CallView, controller: ConsoleController, spawn: Spawn) -> CaseUi:
    """Connect the call view's case panel to `controller`'s case and materials desks."""
    return CaseUi(call.case, call.materials, controller.cases, controller.materials, spawn)
