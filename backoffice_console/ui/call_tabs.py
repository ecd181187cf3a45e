"""The call view's side tabs (办件 / 身份 / 材料 / 文书); a tab not on screen badges its news."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QWidget

from shared.i18n import tr

NEWS_COLOUR = QColor("#d9480f")
# Panels have no "changed" signal of their own; reading what they show twice a second is cheap
# and keeps this layout change out of every panel's code.
POLL_MS = 500
MARGIN = 4

Signature = Callable[[], tuple[object, int]]


class PanelHolder(QWidget):
    """Holds one panel inside a tab's scroll area, without a layout of its own.

    A layout with word-wrapped labels reports height-for-width, and QScrollArea then sizes its
    widget to the layout's *preferred* height: the panel would scroll although it fits. Placing
    the panel by hand keeps the scroll area to the panel's minimum height.
    """

    def __init__(self, panel: QWidget, stretch: bool) -> None:
        super().__init__()
        self.panel = panel
        self.stretch = stretch
        panel.setParent(self)

    def minimumSizeHint(self) -> QSize:
        """The panel's minimum plus the margins."""
        return self.panel.minimumSizeHint() + QSize(2 * MARGIN, 2 * MARGIN)

    def sizeHint(self) -> QSize:
        """The panel's preferred size plus the margins."""
        return self.panel.sizeHint() + QSize(2 * MARGIN, 2 * MARGIN)

    def event(self, event: QEvent) -> bool:
        """A child's size needs changed: tell the scroll area, place the panel again."""
        if event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
            self._place()
        return super().event(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Fill the width; the height is all of it (stretch) or the panel's own."""
        super().resizeEvent(event)
        self._place()

    def _place(self) -> None:
        width = max(0, self.width() - 2 * MARGIN)
        room = max(0, self.height() - 2 * MARGIN)
        height = room
        if not self.stretch:
            wanted = self.panel.sizeHint().height()
            if self.panel.hasHeightForWidth():
                wanted = max(wanted, self.panel.heightForWidth(width))
            height = min(room, wanted)
        height = max(height, self.panel.minimumSizeHint().height())
        self.panel.setGeometry(QRect(MARGIN, MARGIN, width, height))


class PanelScroll(QScrollArea):
    """Scrolls a panel up and down only: as wide as the panel needs, as short as one row."""

    def minimumSizeHint(self) -> QSize:
        """The panel's minimum width (plus a scroll bar), so its contents never clip sideways."""
        inner = self.widget()
        base = super().minimumSizeHint()
        if inner is None:
            return base
        bar = self.verticalScrollBar().sizeHint().width()
        width = inner.minimumSizeHint().width() + bar + 2 * self.frameWidth()
        return QSize(max(base.width(), width), base.height())


@dataclass
class _Watched:
    """One tab: its title, how to read what it shows, and how much is new since last looked at."""

    title: str
    signature: Signature
    last: object
    count: int
    unseen: int = 0


class CallTabs(QTabWidget):
    """Side tabs holding the call's panels; a tab not on screen shows "(n)" when it gets news.

    Each tab is watched through a `signature` function returning (what is shown, how many
    things): a new signature whose count grew adds the growth to the badge (new pages); a new
    signature with the same count adds one (an identity read).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callTabs")
        self.setDocumentMode(True)
        self._watched: list[_Watched] = []
        self._pages: list[QWidget] = []
        self.currentChanged.connect(self._seen)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.check_news)

    def add_panel(
        self, panel: QWidget, title_key: str, signature: Signature, stretch: bool = True
    ) -> int:
        """Add `panel` in a scroll area (long contents scroll, never clip); returns its index.

        `stretch` False keeps the panel at its natural height at the top of the tab.
        """
        holder = PanelHolder(panel, stretch)
        holder.setObjectName(f"{panel.objectName() or 'panel'}Holder")
        scroll = PanelScroll()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(holder)
        title = tr("layout", title_key)
        index = self.addTab(scroll, title)
        last, count = signature()
        self._watched.append(_Watched(title, signature, last, count))
        self._pages.append(panel)
        return index

    def index_of(self, panel: QWidget) -> int:
        """The tab holding `panel` (-1 if none)."""
        return self._pages.index(panel) if panel in self._pages else -1

    def show_panel(self, panel: QWidget) -> None:
        """Bring the tab holding `panel` to the front (clears its badge)."""
        index = self.index_of(panel)
        if index >= 0:
            self.setCurrentIndex(index)

    def unseen(self, panel: QWidget) -> int:
        """How many new things the tab holding `panel` has had since it was last shown."""
        index = self.index_of(panel)
        return self._watched[index].unseen if index >= 0 else 0

    def follow(self, on: bool) -> None:
        """Start (a call began) or stop (it ended) watching the panels for news."""
        if on:
            self.rebase()
            self._timer.start()
        else:
            self._timer.stop()
            self.check_news()

    def rebase(self) -> None:
        """Take what every panel shows now as seen: a new call starts with no badges."""
        for index, watched in enumerate(self._watched):
            watched.last, watched.count = watched.signature()
            watched.unseen = 0
            self._show_badge(index)

    def check_news(self) -> None:
        """Compare each panel with what it showed last time; badge the tabs that changed."""
        for index, watched in enumerate(self._watched):
            last, count = watched.signature()
            if last == watched.last:
                continue
            grown = count - watched.count
            watched.last, watched.count = last, count
            if index == self.currentIndex() or count == 0:
                continue  # on screen already, or emptied (a new call): nothing to point at
            watched.unseen += grown if grown > 0 else 1
            self._show_badge(index)

    def _seen(self, index: int) -> None:
        if 0 <= index < len(self._watched):
            self._watched[index].unseen = 0
            self._show_badge(index)

    def _show_badge(self, index: int) -> None:
        watched = self._watched[index]
        bar = self.tabBar()
        if watched.unseen:
            self.setTabText(index, tr("layout", "tab.badge", title=watched.title, n=watched.unseen))
            bar.setTabTextColor(index, NEWS_COLOUR)
        else:
            self.setTabText(index, watched.title)
            bar.setTabTextColor(index, QColor())
