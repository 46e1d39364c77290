"""Snapshot SVGs compared by the picture they show, not by their markup.

pytest-textual-snapshot compares the SVG text of a screenshot with the stored one. A
patch release of Textual or Rich may write the same picture differently (CSS classes
numbered in another order, a run of text split in two, another clip path), which
would fail every snapshot for nothing. `picture` reads an SVG back into what a
terminal shows, cell by cell: the character, its colour and weight, and the
background under it. `PictureSVGExtension` (installed by tests/ui/conftest.py) counts
two snapshots equal when their pictures are; any change of a character, a colour or a
background still fails (tests/ui/test_snapshot_picture.py checks both ways).
"""

from __future__ import annotations

import html
import re
from collections import Counter

from pytest_textual_snapshot import SVGImageExtension
from rich.cells import cell_len

_CLASS = re.compile(r"\.terminal-(?:\d+-)?(r\d+)\s*\{([^}]*)\}")
_TEXT = re.compile(r'<text class="terminal-(?:\d+-)?(r\d+)" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', re.S)
_RECT = re.compile(r'<rect fill="([^"]+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="[\d.]+"')
_LINE_HEIGHT = re.compile(r"line-height:\s*([\d.]+)px")
_VIEW_WIDTH = re.compile(r'<rect x="0" y="0" width="([\d.]+)" height="[\d.]+" />')


def picture(svg: str, columns: int | None = None) -> dict[tuple[int, int], tuple[str, str, str]]:
    """(line, column) -> (character, its style, its background), for every cell drawn."""
    if isinstance(svg, bytes):
        svg = svg.decode()
    styles = {name: ";".join(sorted(part.strip() for part in body.split(";") if part.strip()))
              for name, body in _CLASS.findall(svg)}
    line_height = float(_LINE_HEIGHT.search(svg).group(1))
    char_width = _char_width(svg)
    cells: dict[tuple[int, int], list[str]] = {}
    for fill, x, y, width in _RECT.findall(svg):
        line = int(float(y) // line_height)
        first = round(float(x) / char_width)
        for column in range(first, first + round(float(width) / char_width)):
            cells.setdefault((line, column), [" ", "", ""])[2] = fill
    for name, x, y, content in _TEXT.findall(svg):
        line = int(float(y) // line_height)
        column = round(float(x) / char_width)
        for char in html.unescape(content).replace("\xa0", " "):
            cell = cells.setdefault((line, column), [" ", "", ""])
            cell[0], cell[1] = char, styles.get(name, name) if char != " " else ""
            column += max(cell_len(char), 1)
    return {key: tuple(value) for key, value in cells.items()}


def _char_width(svg: str) -> float:
    texts = re.findall(r'textLength="([\d.]+)"[^>]*>(.*?)</text>', svg, re.S)
    widths = Counter(round(float(length) / cell_len(html.unescape(text)), 2) for length, text in texts
                     if cell_len(html.unescape(text)) > 0 and float(length) > 0)
    return widths.most_common(1)[0][0] if widths else 12.2


class PictureSVGExtension(SVGImageExtension):
    """pytest-textual-snapshot's SVG snapshots, equal when they show the same picture."""

    def matches(self, *, serialized_data, snapshot_data) -> bool:
        if serialized_data == snapshot_data:
            return True
        try:
            return picture(serialized_data) == picture(snapshot_data)
        except Exception:  # not an SVG this module can read: only identical text matches
            return False
