"""The issue as an official-style .docx (python-docx): A4, the GB/T 9704 margins (top 37 mm,
bottom 35 mm, left 28 mm, right 26 mm), the masthead (red) and the items' titles in 小标宋
22 pt, the text in 仿宋_GB2312 16 pt. The East Asian font is named in each run's
``w:rFonts/@w:eastAsia`` so Word uses it for Chinese characters (``run.font.name`` alone sets
only the Latin font)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from rules.information import Digest, entry_text

TITLE_FONT = "方正小标宋简体"  # 小标宋
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
RED = RGBColor(0xC0, 0x00, 0x00)


def _run(
    paragraph: Paragraph,
    text: str,
    font: str,
    size: Pt,
    *,
    bold: bool = False,
    color: RGBColor | None = None,
) -> None:
    run = paragraph.add_run(text)
    run.font.name = font
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), font)


def _paragraph(
    document: DocumentObject,
    text: str,
    font: str = BODY_FONT,
    size: Pt = BODY_SIZE,
    *,
    align: WD_ALIGN_PARAGRAPH | None = None,
    bold: bool = False,
    color: RGBColor | None = None,
) -> Paragraph:
    """One paragraph at a fixed 28 pt line pitch; body text indented by two characters."""
    p = document.add_paragraph()
    if align is not None:
        p.alignment = align
    else:
        p.paragraph_format.first_line_indent = Pt(32)
    p.paragraph_format.line_spacing = Pt(28)
    _run(p, text, font, size, bold=bold, color=color)
    return p


def render_docx(digest: Digest, path: Path) -> str:
    """Write the issue to ``path``; returns its SHA-256."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(document, digest.masthead, TITLE_FONT, TITLE_SIZE, align=center, color=RED)
    _paragraph(document, digest.number_line, BODY_FONT, BODY_SIZE, align=center)
    _paragraph(
        document, f"{digest.office}　　　　{digest.date_line}", BODY_FONT, BODY_SIZE, align=center
    )
    n = 0
    for part in digest.sections:
        _paragraph(document, part.heading, HEADING_FONT, BODY_SIZE)
        for entry in part.entries:
            n += 1
            _paragraph(document, f"{n}. {entry.title}", TITLE_FONT, TITLE_SIZE, align=center)
            _paragraph(document, entry_text(entry))
    _paragraph(document, digest.duty_heading, HEADING_FONT, BODY_SIZE)
    for line in digest.duty_lines:
        _paragraph(document, line)

    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return hashlib.sha256(path.read_bytes()).hexdigest()
