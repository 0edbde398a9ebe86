"""What an unlocked profile shows: the toolbar (new case, lock, search), the navigation, and
the tabs — the case list first, then one tab per open case. It is built at each unlock and
thrown away at each lock, so no case text outlives the keys in any widget."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QTabWidget, QVBoxLayout, QWidget

from caseapp.i18n import _
from ui.bridge import Bridge
from ui.case.new_case import DRAFT_KEY, NewCaseDialog
from ui.case.workspace import CaseWorkspace
from ui.cases.list_view import CaseListView
from ui.language import isolate_ltr
from ui.search.search_box import SearchBox
from ui.shell.navigation import Navigation
from ui.widgets.message import confirm


class Workbench(QWidget):
    case_opened = Signal(str)

    def __init__(self, bridge: Bridge, user_id: str, role: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.role = role
        self.workspaces: dict[str, CaseWorkspace] = {}
        self.new_case: NewCaseDialog | None = None
        self.search = SearchBox(bridge, self)
        self.search.open_case.connect(self.open_case)
        self.navigation = Navigation(bridge, user_id, self)
        self.cases = CaseListView(bridge, self)
        self.cases.open_case.connect(self.open_case)
        self.navigation.chosen.connect(self.cases.show_base)
        self.tabs = QTabWidget(self)
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.addTab(self.cases, _("Cases"))
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.LeftSide, None)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.navigation)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(split)
        self._counts = QTimer(self)
        self._counts.setSingleShot(True)
        self._counts.setInterval(400)  # many commits in a burst: count once
        self._counts.timeout.connect(self.navigation.refresh_counts)
        bridge.changed.connect(self._changed)

    def start(self) -> None:
        self.cases.restore_settings()  # first: the list comes before the counts
        self.navigation.refresh_counts()
        self.navigation.blockSignals(True)
        self.navigation.setCurrentRow(1)  # all cases
        self.navigation.blockSignals(False)

    def _changed(self, changes: Any) -> None:
        if "case" in getattr(changes, "records", {}):
            self._counts.start()
            self.cases.model.reload()  # same sort and filter, the view stays where it is

    # -- cases ----------------------------------------------------------------------------
    def open_case(self, case_id: str) -> CaseWorkspace:
        if case_id in self.workspaces:
            workspace = self.workspaces[case_id]
        else:
            workspace = CaseWorkspace(self.bridge, case_id, self.role, self)
            self.workspaces[case_id] = workspace
            index = self.tabs.addTab(workspace, _("Case"))
            self.bridge.call(lambda s: s.cases.show(case_id),
                             lambda doc: self._title(workspace, doc), lambda e: None)
            self.tabs.setCurrentIndex(index)
        self.tabs.setCurrentWidget(workspace)
        self.case_opened.emit(case_id)
        return workspace

    def _title(self, workspace: CaseWorkspace, doc: dict[str, Any]) -> None:
        index = self.tabs.indexOf(workspace)
        if index >= 0:
            self.tabs.setTabText(index, isolate_ltr(str(doc.get("hfz_CaseNumber", ""))) or
                                 _("Case"))

    def close_tab(self, index: int) -> None:
        workspace = self.tabs.widget(index)
        if not isinstance(workspace, CaseWorkspace):
            return
        if workspace.has_unsaved() and not confirm(
                self, _("Close the case"), _("This case has changes that are not saved. "
                                             "Close it and drop them?"),
                _("&Close and drop the changes"), _("&Keep the case open")):
            return
        self.tabs.removeTab(index)
        workspace.close_down()
        del self.workspaces[workspace.case_id]
        workspace.deleteLater()

    def show_new_case(self) -> NewCaseDialog:
        if self.new_case is None:
            self.new_case = NewCaseDialog(self.bridge, self)
            self.new_case.created.connect(self.open_case)
            self.new_case.finished.connect(self._new_case_closed)
        self.new_case.show()
        self.new_case.raise_()
        return self.new_case

    def _new_case_closed(self) -> None:
        if self.new_case is not None:
            self.new_case.deleteLater()
            self.new_case = None

    # -- locking ------------------------------------------------------------------------
    def drafts(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for workspace in self.workspaces.values():
            found.update(workspace.drafts())
            if not workspace.drafts():
                # an open case with nothing unsaved is reopened too: where the user was
                found[f"case:{workspace.case_id}:open"] = {}
        if self.new_case is not None:
            draft = self.new_case.draft()
            if draft is not None:
                found[DRAFT_KEY] = draft
        return found

    def restore(self, drafts: dict[str, dict[str, Any]]) -> None:
        for key in sorted(drafts):
            if key.startswith("case:"):
                case_id = key.split(":")[1]
                self.open_case(case_id).restore(drafts)
        if DRAFT_KEY in drafts:
            self.show_new_case().restore(drafts[DRAFT_KEY])

    def close_down(self) -> None:
        self.bridge.changed.disconnect(self._changed)
        self._counts.stop()
        self.cases.close_down()
        for workspace in self.workspaces.values():
            workspace.close_down()
        if self.new_case is not None:
            self.new_case.form.load({})
            self.new_case.done(0)
        self.search.forget()
        self.cases.model.clear()
