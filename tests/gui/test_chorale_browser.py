"""The chorale browser driven by the keyboard and mouse, as a person picks a chorale: keys go
to whichever widget has the focus, on a few real chorales."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from composer.gui.chorale_browser import ChoraleBrowser
from composer.music.corpus import Corpus, build_corpus

Key = Qt.Key


def _unused_loader(progress, cancel):
    raise AssertionError("the browser was given its corpus and must not read another")


def _open(qtbot, corpus: Corpus | None, loader=_unused_loader) -> ChoraleBrowser:
    browser = ChoraleBrowser(corpus, loader)
    qtbot.addWidget(browser)
    browser.show()
    qtbot.waitExposed(browser)
    browser.activateWindow()
    return browser


@pytest.fixture
def browser(qtbot, small_corpus) -> ChoraleBrowser:
    opened = _open(qtbot, small_corpus)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is opened.search)
    return opened


def press(key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(QApplication.focusWidget(), key, modifiers)


def click_row(browser: ChoraleBrowser, row: int, column: int = 2) -> None:
    rect = browser.table.visualRect(browser.model.index(row, column))
    QTest.mouseClick(browser.table.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, rect.center())


def current_row(browser: ChoraleBrowser) -> int:
    return browser.table.currentIndex().row()


def test_down_and_page_down_in_the_search_box_move_through_the_list(browser):
    press(Key.Key_Down)
    assert current_row(browser) == 1
    press(Key.Key_PageDown)
    assert current_row(browser) == browser.model.rowCount() - 1
    press(Key.Key_Up)
    assert current_row(browser) == browser.model.rowCount() - 2
    assert QApplication.focusWidget() is browser.search  # still there to type into


def test_enter_in_the_search_box_opens_the_highlighted_chorale(qtbot, browser):
    QTest.keyClicks(browser.search, "bwv10")
    press(Key.Key_Down)
    highlighted = browser.model.entry(1)
    with qtbot.waitSignal(browser.accepted, timeout=2000):
        press(Key.Key_Return)
    assert browser.selected_entry() == highlighted
    assert browser.seed() is not None


def test_enter_in_the_list_opens_the_row_clicked(qtbot, browser):
    click_row(browser, 3)
    assert QApplication.focusWidget() is browser.table
    with qtbot.waitSignal(browser.accepted, timeout=2000):
        press(Key.Key_Enter)
    assert browser.selected_entry() == browser.model.entry(3)


def test_tab_leaves_the_list_for_the_next_control(browser):
    click_row(browser, 2)
    press(Key.Key_Tab)
    assert QApplication.focusWidget() is browser.bars
    assert current_row(browser) == 2


def test_typing_in_the_list_searches_and_keeps_the_chorale_clicked(qtbot, browser):
    click_row(browser, 4, column=1)  # the BWV column, where Qt's type-to-find jumped rows
    clicked = browser.selected_entry()
    press(Key.Key_1)
    assert QApplication.focusWidget() is browser.search
    assert browser.search.text() == "1"
    assert browser.selected_entry() == clicked
    with qtbot.waitSignal(browser.accepted, timeout=2000):
        press(Key.Key_Return)
    assert browser.selected_entry() == clicked


def test_a_search_the_highlighted_chorale_fails_highlights_the_first_match(browser):
    press(Key.Key_Down)
    QTest.keyClicks(browser.search, "bwv104")
    assert browser.model.rowCount() == 1
    assert browser.selected_entry() == browser.model.entry(0)
    assert browser.selected_entry().bwv == "104.6"


def test_the_list_is_in_numeric_bwv_order(qtbot):
    corpus = build_corpus(ids=["bwv244.25", "bwv10.7", "bwv244.3", "bwv2.6"], processes=1)
    browser = _open(qtbot, corpus)
    shown = [browser.model.entry(r).bwv for r in range(browser.model.rowCount())]
    assert shown == ["2.6", "10.7", "244.3", "244.25"]


def test_the_seed_length_reads_bar_for_one_and_bars_for_more(browser):
    browser.bars.setFocus()
    browser.bars.selectAll()
    press(Key.Key_1)
    assert browser.bars.text() == "1 bar"
    press(Key.Key_Up)
    assert browser.bars.text() == "2 bars"


def test_while_the_corpus_is_read_its_progress_stands_where_the_list_will_be(qtbot,
                                                                             small_corpus):
    release = threading.Event()

    def slow_loader(progress, cancel):
        progress(2, 6)
        release.wait(10)
        return small_corpus

    browser = _open(qtbot, None, slow_loader)
    qtbot.waitUntil(lambda: browser.progress.maximum() == 6)
    assert browser.progress.isVisible() and browser.progress.text() == "2 of 6 chorales"
    assert "once" in browser.progress_label.text()
    assert not browser.table.isVisible() and not browser.bars.isVisible()
    assert not browser.open_button.isEnabled()
    release.set()
    qtbot.waitUntil(lambda: browser.table.isVisible())
    assert not browser.progress.isVisible()
    assert browser.model.rowCount() == len(small_corpus.entries)
    assert QApplication.focusWidget() is browser.search
