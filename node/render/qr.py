"""QR codes drawn as vector squares on a PDF page (segno makes the symbol; no raster image, so it prints sharp).

:func:`qr_matrix` is the symbol's modules (``True`` = dark), :func:`draw_qr` puts them on an fpdf2 page, one
rectangle per horizontal run of dark modules. The caller keeps the quiet zone (:data:`QUIET_ZONE` modules of white on
each side) clear of anything else.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import segno
from fpdf import FPDF

QUIET_ZONE = 4
"""Modules of white a reader needs around the symbol (ISO/IEC 18004)."""

ERROR_LEVEL = "m"
"""Error correction M (15 % of the symbol may be lost: a fold, a smudge, a staple)."""


MIN_VERSION = 5
"""The smallest symbol drawn (37 modules): in a square of 38 mm a module is at most 1.03 mm, so the quiet zone below
the symbol is at most 4.2 mm whatever the URL."""


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of the smallest QR code of at least :data:`MIN_VERSION` (error correction :data:`ERROR_LEVEL`,
    never a Micro QR) for ``text``; ``ValueError`` (segno's ``DataOverflowError``) when it is too long for any."""
    symbol = segno.make(text, error=ERROR_LEVEL, micro=False, boost_error=False)
    if isinstance(symbol.version, int) and symbol.version < MIN_VERSION:
        symbol = segno.make(text, error=ERROR_LEVEL, version=MIN_VERSION, boost_error=False)
    return [[bool(module) for module in row] for row in symbol.matrix]


def draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> float:
    """Draw the QR code for ``text`` as a square of side ``size`` at (``x``, ``y``) in the page's units (the
    symbol only: keep :data:`QUIET_ZONE` modules around it blank). Returns the width of one module."""
    matrix = qr_matrix(text)
    module = size / len(matrix)
    with pdf.local_context(fill_color=(0, 0, 0)):
        for r, row in enumerate(matrix):
            c = 0
            while c < len(row):
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                # a hair of overlap so that no white seam shows between runs at any zoom
                pdf.rect(x + start * module, y + r * module, (c - start) * module + 0.01, module + 0.01, style="F")
    return module


def url_host(url: str) -> str:
    """The host (with its port, if any) of an http(s) URL; ``ValueError`` for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url[:200]!r} is not an http(s) URL with a host")
    return parts.netloc.rsplit("@", 1)[-1]
