"""Titles made from advisory details: first line, cut at a word boundary with '...'."""

from __future__ import annotations

from seawall.scan.vuln import _short_title


def test_long_details_are_cut_at_a_word():
    details = 'Certifi 2023.07.22 removes root certificates from "e-Tugra" from the root store. ' * 3
    title = _short_title(details)
    assert title.endswith("...") and len(title) <= 120
    assert details.startswith(title[:-3])
    assert not title[:-3].endswith(" ")


def test_short_and_multiline_details():
    assert _short_title("One line.\nMore text.") == "One line."
    assert _short_title("") == ""
