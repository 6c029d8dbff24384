"""The issue as an official-style .docx: the GB/T 9704 page of `officeflow.layout` (A4, margins
37/35/28/26 mm, the 22 × 28 grid, page numbers `— 1 —`), the masthead in red and the items'
titles in 小标宋 22 pt, the text in 仿宋_GB2312 16 pt, each font named for East Asian text
(``w:eastAsia``) so Word uses it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from officeflow.layout import (
    BODY_PT,
    FANGSONG,
    HEITI,
    RED,
    XIAOBIAOSONG,
    add_page_numbers,
    set_run_font,
    setup_official_page,
)
from rules.information import Digest, entry_text

TITLE_PT = 22  # 二号


def _paragraph(
    document: DocumentObject,
    text: str,
    font: str = FANGSONG,
    size_pt: float = BODY_PT,
    *,
    center: bool = False,
    color: str | None = None,
) -> Paragraph:
    """One paragraph; body text indented by two characters, headings and titles centred."""
    p = document.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        p.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    set_run_font(p.add_run(text), east_asian=font, size_pt=size_pt, color=color)
    return p


def render_docx(digest: Digest, path: Path) -> str:
    """Write the issue to ``path``; returns its SHA-256."""
    document = Document()
    setup_official_page(document)
    add_page_numbers(document)

    _paragraph(document, digest.masthead, XIAOBIAOSONG, TITLE_PT, center=True, color=RED)
    _paragraph(document, digest.number_line, center=True)
    _paragraph(document, f"{digest.office}　　　　{digest.date_line}", center=True)
    n = 0
    for part in digest.sections:
        _paragraph(document, part.heading, HEITI)
        for entry in part.entries:
            n += 1
            _paragraph(document, f"{n}. {entry.title}", XIAOBIAOSONG, TITLE_PT, center=True)
            _paragraph(document, entry_text(entry))
    _paragraph(document, digest.duty_heading, HEITI)
    for line in digest.duty_lines:
        _paragraph(document, line)

    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return hashlib.sha256(path.read_bytes()).hexdigest()
