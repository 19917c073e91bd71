"""The drawing primitives of a certificate page: an fpdf2 A4 page with the DejaVu fonts, and text that fits.

Text is set in (size, most lines) ladders (:meth:`Page.fit`): it shrinks, then wraps, with balanced lines (no lone
last word), and only text longer than any ladder allows ends in an ellipsis. Units are millimetres; sizes points.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode

from node.errors import ConfigurationError

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
"""Debian's ``fonts-dejavu-core`` (``apt-get install fonts-dejavu-core``)."""

FONTS = {
    ("serif", ""): "DejaVuSerif.ttf",
    ("serif", "B"): "DejaVuSerif-Bold.ttf",
    ("sans", ""): "DejaVuSans.ttf",
    ("sans", "B"): "DejaVuSans-Bold.ttf",
    ("mono", ""): "DejaVuSansMono.ttf",
}

PT = 25.4 / 72
"""One typographic point in millimetres."""

NAVY = (20, 38, 72)
INK = (33, 37, 41)
GREY = (96, 102, 110)
GOLD = (170, 134, 62)
RED = (176, 28, 36)
WHITE = (255, 255, 255)


class Page:
    """An fpdf2 document with the fonts loaded and one A4 page that never breaks onto a second."""

    def __init__(self, font_dir: Path, moment: dt.datetime) -> None:
        missing = [name for name in FONTS.values() if not (font_dir / name).is_file()]
        if missing:
            raise ConfigurationError(
                f"The certificate fonts are missing from {font_dir} ({', '.join(missing)}): install Debian's "
                "fonts-dejavu-core (`apt-get install fonts-dejavu-core`; `make setup` does it as root or under CI)."
            )
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.set_creation_date(moment)
        pdf.set_creator("credreg")
        pdf.set_producer("credreg")
        for (family, style), name in FONTS.items():
            pdf.add_font(family, style, font_dir / name)
        pdf.set_fallback_fonts(["sans"])
        pdf.add_page()
        self.pdf = pdf
        self.moment = moment

    def font(self, family: str, size: float, style: str = "", color: tuple[int, int, int] = INK) -> None:
        self.pdf.set_font(family, style, size)
        self.pdf.set_text_color(*color)

    def wrap(self, text: str, width: float) -> list[str]:
        """``text`` broken into lines of at most ``width`` in the current font (words, then characters)."""
        lines = self.pdf.multi_cell(width, text=text, dry_run=True, output="LINES", wrapmode=WrapMode.WORD)
        assert isinstance(lines, list)
        return [str(line) for line in lines] or [""]

    def fit(
        self, text: str, family: str, style: str, sizes: Sequence[tuple[float, int]], width: float
    ) -> tuple[float, list[str]]:
        """The first (size, most lines) in ``sizes`` at which ``text`` fits ``width``; at the last size, the lines
        that fit with an ellipsis at the end of the last one. Sets the font to that size."""
        size, lines = sizes[-1][0], [text]
        for size, most in sizes:
            self.pdf.set_font(family, style, size)
            lines = self.wrap(text, width)
            if len(lines) <= most:
                return size, self.balanced(text, width, lines)
        most = sizes[-1][1]
        return size, [*lines[: most - 1], self.ellipsis(lines[most - 1], width)]

    def balanced(self, text: str, width: float, lines: list[str]) -> list[str]:
        """The same number of lines as ``lines`` but as even as they can be (no lone last word): the narrowest
        width that still breaks ``text`` into that many lines without breaking a word, found by halving."""
        if len(lines) < 2 or _splits_words(text, lines):
            return lines
        low, high = width / 2, width
        best = lines
        for _ in range(12):
            middle = (low + high) / 2
            trial = self.wrap(text, middle)
            if len(trial) <= len(lines) and not _splits_words(text, trial):
                best, high = trial, middle
            else:
                low = middle
        return best

    def ellipsis(self, line: str, width: float) -> str:
        while line and self.pdf.get_string_width(line + " …") > width:
            line = line[:-1]
        return line.rstrip() + " …"

    def lines(self, lines: Sequence[str], x: float, y: float, width: float, size: float, align: str = "C") -> float:
        """Draw ``lines`` from ``y`` down (line height 1.22 times the font size); returns the y under the last one."""
        height = size * PT * 1.22
        for line in lines:
            self.pdf.set_xy(x, y)
            self.pdf.cell(width, height, line, align=align)
            y += height
        return y

    def rule(self, x1: float, x2: float, y: float, color: tuple[int, int, int], width: float = 0.25) -> None:
        with self.pdf.local_context(draw_color=color, line_width=width):
            self.pdf.line(x1, y, x2, y)

    def label(self, text: str, x: float, y: float, width: float, align: str = "C", size: float = 7.0) -> float:
        """A small spaced capital label (a section's or a fact's name)."""
        self.font("sans", size, "B", GREY)
        self.pdf.set_char_spacing(0.6)
        text = self.ellipsis_if_needed(text.upper(), width)
        end = self.lines([text], x, y, width, size, align)
        self.pdf.set_char_spacing(0)
        return end

    def ellipsis_if_needed(self, text: str, width: float) -> str:
        return text if self.pdf.get_string_width(text) <= width else self.ellipsis(text, width)


def _splits_words(text: str, lines: Sequence[str]) -> bool:
    """Whether wrapping cut a word (a long one is cut where it must be; balancing never cuts one)."""
    return " ".join(lines).split() != text.split()
