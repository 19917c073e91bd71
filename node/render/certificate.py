"""A printable certificate: one A4 page laid out for the credential's type, with the bundle attached (pure).

:func:`render_certificate` reads the bundle with the strict reader (:func:`node.credentials.reader.read_bundle`), checks
its fields against its proof (:func:`node.credentials.document.verify_integrity`: a certificate is never printed for
a tampered or unanchored bundle), and draws:

* the institution at the top, what the credential is, its title large (long titles shrink, then wrap), "awarded to"
  and the learner's name, the registered id;
* a row of facts (NQF level, credits with their notional hours, the award date; a micro-credential's competencies);
* who issued it and the accreditation path the caller passes (``accreditation``: one sentence a line, read from the
  chain by the caller; this module does not look at the chain);
* a QR code of ``verify_url`` at least 35 mm wide in the bottom right corner, the URL's host under it and "Scan or
  open <host>/verify to check this certificate";
* the credential id, Merkle root and anchor in small type;
* with ``devnet=True``, a red "DEVNET — NOT A REAL CREDENTIAL" band and a watermark.

Only what the bundle shows is printed: a field the holder hid is printed as "withheld", never as a value. The bundle
text itself is attached as a standard PDF embedded file (EmbeddedFiles name tree) named ``credential.json``
(``application/json``), byte for byte, so a verifier can extract it and check it.

Fonts are DejaVu Serif and Sans (Unicode: "Zoë", "Dlamini-Müller"), read from Debian's ``fonts-dejavu-core``
(:data:`FONT_DIR`; ``make setup`` installs it where it can). The output depends only on the arguments: the PDF's
dates are the credential's ``validFrom``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.credentials.document import verify_integrity
from node.credentials.reader import ReadBundle, read_bundle
from node.credentials.types import notional_hours
from node.render.layouts import LEARNER_NAME, CertificateError, Fact, Layout, layout_for
from node.render.page import FONT_DIR, GOLD, GREY, INK, NAVY, PT, RED, WHITE, Page
from node.render.qr import QUIET_ZONE, draw_qr, qr_matrix, url_host

ATTACHMENT_NAME = "credential.json"
MAX_VERIFY_URL = 600
"""Longest ``verify_url`` printed as a QR code (about version 19 at M: modules of 0.41 mm in the 38 mm square)."""
DEVNET_TEXT = "DEVNET — NOT A REAL CREDENTIAL"
WITHHELD = "withheld"

# --- the page (millimetres, A4 portrait) ------------------------------------------------------------------------

PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT = 26.0, 184.0
WIDTH = RIGHT - LEFT
MIDDLE_END = 203.0
"""The title, learner and facts are centred between the header and here; the issuer and QR block start below."""
QR_SIZE = 38.0
QR_TOP = 210.0
HOST_TOP = QR_TOP + QR_SIZE + 4.2
"""The host under the QR code, past its quiet zone (4 modules of at most 1.03 mm: the smallest symbol has 37)."""
SCAN_TOP = HOST_TOP + 8.5 * PT * 1.22
"""The "Scan or open" line, right-aligned across the page: the issuer's column ends above it."""
FOOTER_TOP = 264.0

# (font size in points, most lines at that size), tried in order: a text shrinks, then wraps. The last sizes hold
# the longest text a type allows (300 characters) whole; only a text longer than that could end in an ellipsis.
INSTITUTION_SIZES = ((21.0, 1), (18.0, 2), (15.0, 2), (12.0, 3), (10.0, 5))
TITLE_SIZES = ((30.0, 1), (27.0, 1), (30.0, 2), (26.0, 2), (22.0, 3), (19.0, 4), (16.0, 5), (13.0, 7), (11.0, 9))
NAME_SIZES = ((26.0, 1), (22.0, 1), (18.0, 2), (15.0, 3), (12.0, 5), (10.0, 7))
FACT_SIZES = ((15.0, 1), (13.0, 1), (11.0, 1), (10.0, 2))


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def render_certificate(
    bundle_text: str | bytes,
    *,
    verify_url: str,
    accreditation: Sequence[str] | None = None,
    devnet: bool = False,
    font_dir: Path | None = None,
) -> bytes:
    """The one-page A4 PDF certificate of the bundle ``bundle_text`` (the holder's file, UTF-8 JSON).

    ``verify_url`` (http or https) is what the QR code holds; ``accreditation`` the lines that say who accredits the
    issuer (e.g. "Accredited by Council on Higher Education (body 1) on chain 31337"); ``devnet`` prints the devnet
    band. Raises :class:`~node.credentials.reader.BundleReadError` for a bundle the strict reader refuses,
    :class:`CertificateError` for one whose fields do not match its proof, that is not anchored, or whose type has no
    layout, ``ValueError`` for a ``verify_url`` that is not an http(s) URL, and
    :class:`~node.errors.ConfigurationError` when the fonts are missing.
    """
    data = bundle_text.encode("utf-8") if isinstance(bundle_text, str) else bytes(bundle_text)
    read = read_bundle(data)
    integrity = verify_integrity(read.document, require_anchor=True, proof=read.proof, fields=read.fields)
    if not integrity.ok:
        raise CertificateError(f"No certificate is printed for this bundle: {integrity.message}")
    layout = layout_for(read.type_name, read.type_version)
    host = url_host(verify_url)
    if len(verify_url) > MAX_VERIFY_URL:
        raise ValueError(
            f"verify_url has {len(verify_url):,} characters; a QR code a phone reads off paper holds at most "
            f"{MAX_VERIFY_URL:,}"
        )
    qr_matrix(verify_url)
    page = Page(font_dir or FONT_DIR, _moment(read.valid_from))
    _Certificate(page, read, layout, verify_url, host, list(accreditation or ()), devnet).draw()
    page.pdf.embed_file(
        bytes=data,
        basename=ATTACHMENT_NAME,
        mime_type="application/json",
        desc="The credential bundle: verify it, or any field of it, at the address under the QR code.",
        modification_date=page.moment,
    )
    return bytes(page.pdf.output())


# --- drawing ----------------------------------------------------------------------------------------------------


def _moment(timestamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


@dataclass(frozen=True)
class _Block:
    """A part of the middle of the page: its height, and how to draw it at a y."""

    height: float
    draw: Callable[[float], object]


class _Certificate:
    def __init__(
        self,
        page: Page,
        read: ReadBundle,
        layout: Layout,
        verify_url: str,
        host: str,
        accreditation: list[str],
        devnet: bool,
    ) -> None:
        self.page = page
        self.pdf = page.pdf
        self.read = read
        self.layout = layout
        self.verify_url = verify_url
        self.host = host
        self.accreditation = accreditation
        self.devnet = devnet

    # what the bundle shows

    def shown(self, path: str) -> Any:
        return self.read.value(path)

    def hidden(self, path: str) -> bool:
        return any(h == path or h.startswith(path + "/") for h in self.read.hidden_fields)

    def text(self, path: str) -> str | None:
        value = self.shown(path)
        return value if isinstance(value, str) else None

    @property
    def institution(self) -> str:
        issuer_text = self.read.issuer_text
        return issuer_text[1] if issuer_text else (self.read.issuer_name or self.read.issuer_ref)

    # the page

    def draw(self) -> None:
        title = self.text(self.layout.title) or ""
        self.pdf.set_title(title[:200])
        self.pdf.set_author(self.institution[:200])
        self.pdf.set_subject(f"{self.layout.heading} {self.read.credential_id}")
        self.frame()
        top = 26.0
        if self.devnet:
            self.devnet_marks()
            top = 34.0
        header_end = self.header(top)
        blocks = self.middle_blocks(MIDDLE_END - header_end - 8)
        self.place(blocks, header_end + 4, MIDDLE_END - 4)
        self.issuer_block()
        self.qr_block()
        self.footer()

    def frame(self) -> None:
        with self.pdf.local_context(draw_color=NAVY, line_width=0.9):
            self.pdf.rect(10, 10, PAGE_W - 20, PAGE_H - 20)
        with self.pdf.local_context(draw_color=GOLD, line_width=0.3):
            self.pdf.rect(13, 13, PAGE_W - 26, PAGE_H - 26)

    def devnet_marks(self) -> None:
        with self.pdf.local_context(fill_color=RED):
            self.pdf.rect(13.15, 16, PAGE_W - 26.3, 11, style="F")
        self.page.font("sans", 13, "B", WHITE)
        self.pdf.set_char_spacing(1.2)
        self.page.lines([DEVNET_TEXT], 13, 16 + (11 - 13 * PT * 1.22) / 2, PAGE_W - 26, 13)
        self.pdf.set_char_spacing(0)
        with self.pdf.local_context(fill_opacity=0.07), self.pdf.rotation(35, PAGE_W / 2, PAGE_H / 2):
            self.page.font("sans", 64, "B", RED)
            self.page.lines(["DEVNET"], 0, PAGE_H / 2 - 12, PAGE_W, 64)

    def header(self, y: float) -> float:
        size, lines = self.page.fit(self.institution, "serif", "B", INSTITUTION_SIZES, WIDTH)
        self.pdf.set_text_color(*NAVY)
        y = self.page.lines(lines, LEFT, y, WIDTH, size)
        self.page.rule(PAGE_W / 2 - 22, PAGE_W / 2 + 22, y + 3.5, GOLD, 0.5)
        return self.page.label(self.layout.heading, LEFT, y + 6.5, WIDTH, size=8)

    def middle_blocks(self, room: float) -> list[_Block]:
        blocks = [self.title_block(), self.learner_block()]
        facts = self.facts()
        if facts:
            blocks.append(self.facts_block(facts))
        if self.layout.items:
            used = sum(b.height for b in blocks) + 10 * len(blocks)
            items = self.items_block(room - used)
            if items:
                blocks.append(items)
        return blocks

    def place(self, blocks: list[_Block], top: float, bottom: float) -> None:
        """Blocks centred between top and bottom, with equal gaps (between 6 and 16 mm)."""
        total = sum(b.height for b in blocks)
        gaps = len(blocks) + 1
        gap = max(4.0, min(16.0, (bottom - top - total) / gaps))
        y = top + max(0.0, (bottom - top - total - gap * (gaps - 2)) / 2)
        for block in blocks:
            block.draw(y)
            y += block.height + gap

    def title_block(self) -> _Block:
        title = self.text(self.layout.title) or WITHHELD
        size, lines = self.page.fit(title, "serif", "B", TITLE_SIZES, WIDTH)
        height = len(lines) * size * PT * 1.22
        reference = self.reference_text()
        ref_lines: list[str] = []
        if reference:
            self.page.font("sans", 9.5, "", GREY)
            ref_lines = self.page.wrap(reference, WIDTH)[:2]
            height += 3.0 + len(ref_lines) * 9.5 * PT * 1.22

        def draw(y: float) -> object:
            self.page.font("serif", size, "B", NAVY)
            y = self.page.lines(lines, LEFT, y, WIDTH, size)
            self.page.font("sans", 9.5, "", GREY)
            return self.page.lines(ref_lines, LEFT, y + 3.0, WIDTH, 9.5)

        return _Block(height, draw)

    def reference_text(self) -> str | None:
        if self.layout.reference is None:
            return None
        label, path = self.layout.reference
        value = self.text(path)
        if value is None:
            return None
        if self.layout.reference_kind:
            kind = self.text(self.layout.reference_kind)
            label = f"{kind.capitalize()} {label}" if kind else label.capitalize()
        return f"{label} {value}"

    def learner_block(self) -> _Block:
        name = self.text(LEARNER_NAME)
        self.page.font("serif", 12)
        phrase_h = 12 * PT * 1.22
        if name is None:
            note = "the holder of this credential (name withheld)"
            self.page.font("serif", 15, "", GREY)
            note_lines = self.page.wrap(note, WIDTH)

            def draw_withheld(y: float) -> object:
                self.page.font("serif", 12, "", GREY)
                y = self.page.lines([self.layout.awarded], LEFT, y, WIDTH, 12) + 2
                self.page.font("serif", 15, "", GREY)
                return self.page.lines(note_lines, LEFT, y, WIDTH, 15)

            return _Block(phrase_h + 2 + len(note_lines) * 15 * PT * 1.22, draw_withheld)
        size, lines = self.page.fit(name, "serif", "", NAME_SIZES, WIDTH)

        def draw(y: float) -> object:
            self.page.font("serif", 12, "", GREY)
            y = self.page.lines([self.layout.awarded], LEFT, y, WIDTH, 12) + 2
            self.page.font("serif", size, "", INK)
            return self.page.lines(lines, LEFT, y, WIDTH, size)

        return _Block(phrase_h + 2 + len(lines) * size * PT * 1.22, draw)

    def facts(self) -> list[tuple[str, str, str | None]]:
        """(label, value, caption) of each fact the type has that the bundle shows or hides (absent ones left out)."""
        out: list[tuple[str, str, str | None]] = []
        for fact in self.layout.facts:
            if self.hidden(fact.path):
                out.append((fact.label, WITHHELD, None))
                continue
            value = self.shown(fact.path)
            if value is None:
                continue
            out.append((fact.label, *_fact_value(fact, value)))
        return out

    def facts_block(self, facts: list[tuple[str, str, str | None]]) -> _Block:
        column = WIDTH / len(facts)

        def draw(y: float) -> object:
            self.page.rule(LEFT + 20, RIGHT - 20, y, GOLD, 0.3)
            for i, (label, value, caption) in enumerate(facts):
                x = LEFT + i * column
                if i:
                    with self.pdf.local_context(draw_color=(210, 212, 216), line_width=0.2):
                        self.pdf.line(x, y + 5, x, y + 19)
                yy = self.page.label(label, x, y + 5, column)
                size, lines = self.page.fit(value, "serif", "B", FACT_SIZES, column - 4)
                self.pdf.set_text_color(*(GREY if value == WITHHELD else INK))
                yy = self.page.lines(lines, x, yy + 0.8, column, size)
                if caption:
                    self.page.font("sans", 7.5, "", GREY)
                    self.page.lines([self.page.ellipsis_if_needed(caption, column - 4)], x, yy, column, 7.5)
            self.page.rule(LEFT + 20, RIGHT - 20, y + 24, GOLD, 0.3)
            return y + 24

        return _Block(24.0, draw)

    def items_block(self, room: float) -> _Block | None:
        assert self.layout.items is not None
        label, path = self.layout.items
        size, line_h = 9.0, 9.0 * PT * 1.3
        if self.hidden(path):
            entries = [f"{label} withheld by the holder"]
        else:
            value = self.shown(path)
            if not isinstance(value, list) or not value:
                return None
            entries = [str(v) for v in value]
        self.page.font("sans", size)
        width = WIDTH - 30
        most = max(1, int((room - 6) // line_h))
        lines: list[str] = []
        shown = 0
        for entry in entries:
            wrapped = self.page.wrap(entry, width - 5)
            if len(lines) + len(wrapped) > most - (1 if shown + 1 < len(entries) else 0):
                break
            lines.extend(("• " if i == 0 else "   ") + w for i, w in enumerate(wrapped))
            shown += 1
        if shown < len(entries):
            rest = len(entries) - shown
            lines = lines[: most - 1]
            more = f"and {rest:,} more" if shown else f"{rest:,} {label.lower()}"
            lines.append(f"{more}, listed in the attached {ATTACHMENT_NAME}")
        if not lines:
            return None

        widest = max(self.pdf.get_string_width(line) for line in lines)
        x = PAGE_W / 2 - min(widest, width) / 2  # a left-aligned list, centred on the page as a block

        def draw(y: float) -> object:
            yy = self.page.label(label, LEFT, y, WIDTH)
            self.page.font("sans", size, "", INK)
            for line in lines:
                self.pdf.set_xy(x, yy + 1)
                self.pdf.cell(width, line_h, line, align="L")
                yy += line_h
            return yy

        return _Block(5 + len(lines) * line_h, draw)

    def issuer_block(self) -> None:
        x, width = LEFT, 98.0
        self.page.rule(LEFT, RIGHT, MIDDLE_END, (200, 203, 208), 0.2)
        y = self.page.label("Issued by", x, QR_TOP - 1, width, align="L")
        name = self.read.issuer_name or self.institution
        size, lines = self.page.fit(name, "serif", "B", [(12.0, 1), (10.0, 2)], width)
        self.pdf.set_text_color(*INK)
        y = self.page.lines(lines, x, y + 0.5, width, size, align="L")
        self.page.font("sans", 7.5, "", GREY)
        y = self.page.lines(self.page.wrap(self.read.issuer_ref, width)[:2], x, y, width, 7.5, align="L")
        valid = f"Valid from {_date(self.page.moment.date())}"
        if self.read.valid_until is not None:
            valid += f" until {_date(_moment(self.read.valid_until).date())}"
        y = self.page.lines([valid], x, y, width, 7.5, align="L")
        y = self.page.label("Accreditation", x, y + 3, width, align="L")
        self.page.font("sans", 8, "", INK)
        line_h, gap = 8 * PT * 1.22, 1.0
        items = [self.page.wrap(text, width) for text in self.accreditation if text.strip()]
        if not items:
            self.pdf.set_text_color(*GREY)
            items = [self.page.wrap("Checked on chain when this certificate is verified.", width)]
        y += 0.5
        for i, lines in enumerate(items):  # one sentence a link of the path, a little apart
            room = int((SCAN_TOP - 1 - y) // line_h)
            if room < 1:
                break
            last = i == len(items) - 1
            if len(lines) > room or (not last and len(lines) == room):
                cut = lines[:room]
                self.page.lines([*cut[:-1], self.page.ellipsis(cut[-1], width)], x, y, width, 8, align="L")
                break
            y = self.page.lines(lines, x, y, width, 8, align="L") + gap

    def qr_block(self) -> None:
        x = RIGHT - QR_SIZE
        module = draw_qr(self.pdf, self.verify_url, x, QR_TOP, QR_SIZE)
        assert module * QUIET_ZONE <= HOST_TOP - QR_TOP - QR_SIZE
        width = 56.0
        self.page.font("sans", 8.5, "B", INK)
        self.page.lines([self.page.ellipsis_if_needed(self.host, width)], RIGHT - width, HOST_TOP, width, 8.5, "R")
        self.page.font("sans", 7.5, "", GREY)
        scan = f"Scan or open {self.host}/verify to check this certificate"
        self.page.lines([self.page.ellipsis_if_needed(scan, WIDTH)], LEFT, SCAN_TOP, WIDTH, 7.5, "R")

    def footer(self) -> None:
        anchor = self.read.proof.anchor
        assert anchor is not None  # verify_integrity required it
        self.page.rule(LEFT, RIGHT, FOOTER_TOP, (200, 203, 208), 0.2)
        rows = [
            ("Credential", self.read.credential_id),
            ("Merkle root", anchor.merkle_root),
            ("Anchored", f"chain {anchor.chain_id}, block {anchor.block_number}, registry {anchor.registry}"),
        ]
        y = FOOTER_TOP + 2
        for label, value in rows:
            self.page.font("sans", 6.5, "B", GREY)
            self.page.lines([label], LEFT, y, 20, 6.5, "L")
            self.page.font("mono", 6.5, "", GREY)
            self.page.lines([self.page.ellipsis_if_needed(value, WIDTH - 20)], LEFT + 20, y, WIDTH - 20, 6.5, "L")
            y += 6.5 * PT * 1.35
        self.page.font("sans", 6.5, "", GREY)
        note = (
            f"The credential file is attached to this PDF as {ATTACHMENT_NAME}. Fields the holder withheld are "
            "marked “withheld” and not printed."
        )
        self.page.lines(self.page.wrap(note, WIDTH)[:2], LEFT, y + 0.8, WIDTH, 6.5, "L")


def _fact_value(fact: Fact, value: Any) -> tuple[str, str | None]:
    if fact.kind == "date" and isinstance(value, str):
        return _date_text(value), None
    if fact.kind == "credits" and isinstance(value, int):
        return f"{value:,}", f"{notional_hours(value):,} notional hours"
    if fact.kind == "hours" and isinstance(value, int):
        return f"{value:,} hours", None
    return str(value), None


def _date_text(value: str) -> str:
    try:
        return _date(dt.date.fromisoformat(value))
    except ValueError:
        return value


def _date(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
