"""The snapshot comparison tolerates a different markup of the same picture, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from .snapshot_picture import PictureSVGExtension, picture

SVG = (Path(__file__).parent / "__snapshots__" / "test_snapshots" / "test_main_screen.svg").read_text()


def matches(a: str, b: str) -> bool:
    return PictureSVGExtension().matches(serialized_data=a, snapshot_data=b)


def test_the_same_picture_written_differently_matches():
    # Style classes numbered the other way round (as another Rich release might write them).
    names = sorted(set(re.findall(r"terminal-(r\d+)", SVG)), key=lambda n: int(n[1:]))
    renamed = {name: f"r{len(names) - index}" for index, name in enumerate(names)}
    other = re.sub(r"terminal-(r\d+)\b", lambda m: "terminal-" + renamed[m.group(1)], SVG)
    assert other != SVG
    assert matches(other, SVG)
    # A run of text split in two elements.
    first = re.search(r'<text class="(terminal-r\d+)" x="0" y="([\d.]+)" textLength="[\d.]+"([^>]*)>&#160;Name', SVG)
    assert first is not None
    split = SVG.replace(first.group(0), first.group(0).replace("&#160;Name", "&#160;N") + "</text>"
                        f'<text class="{first.group(1)}" x="24.4" y="{first.group(2)}" textLength="36.6"'
                        f'{first.group(3)}>ame', 1)
    assert picture(split) == picture(SVG)


def test_a_changed_character_colour_or_background_does_not_match():
    assert not matches(SVG.replace("&#160;Name", "&#160;Nome", 1), SVG)
    colours = re.findall(r"\.terminal-r\d+ \{ fill: (#[0-9a-f]+)", SVG)
    assert not matches(SVG.replace(f"fill: {colours[-1]}", "fill: #123456", 1), SVG)
    cell = re.search(r'<rect fill="#[0-9a-f]+"( x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" '
                     r'shape-rendering="crispEdges")', SVG)
    assert not matches(SVG.replace(cell.group(0), f'<rect fill="#654321"{cell.group(1)}', 1), SVG)
