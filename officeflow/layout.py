"""Official documents laid out as GB/T 9704-2012 (党政机关公文格式) requires; the text of a .docx.

Pure: python-docx in, bytes out. No Prefect, no database, no settings. Fonts are named in the
document (``w:eastAsia``) even when this machine lacks them, so Word on the reader's machine
uses 方正小标宋简体 / 仿宋_GB2312 / 黑体 / 宋体 where they are installed.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass

import docx
from docx.enum.section import WD_SECTION_START
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor, Twips

from officeflow.inputs import input_error

XIAOBIAOSONG = "方正小标宋简体"  # 小标宋: title and the authority's mark
FANGSONG = "仿宋_GB2312"  # 仿宋: body, number, record block
HEITI = "黑体"  # 密级, 紧急程度
SONGTI = "宋体"  # page numbers
LATIN = "Times New Roman"  # digits and Latin letters in the text
RED = "FF0000"

# The page, in twips (1/1440 inch; 1 mm = 56.69 twips), rounded so the text block is exact:
# A4 210 × 297 mm; top 37 mm, bottom 35 mm, left 28 mm, right 26 mm → text block 156 × 225 mm.
PAGE_WIDTH, PAGE_HEIGHT = 11906, 16838
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 2098, 1984, 1588, 1474
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 8844 twips = 156.0 mm
TEXT_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM  # 12756 twips = 225.0 mm
BODY_PT = 16  # 3号
# 22 lines of 28 characters in that block:
# - line pitch = 12756 / 22 = 579.8 twips; rounded down to 579 (28.95 pt) so 22 lines still fit.
#   The body's line spacing is fixed ("exact") at the same 579 twips, so every line lands on
#   the grid whatever the font's own height (16 pt 仿宋 would otherwise take ~20.8 pt per line
#   and Word would snap each to two grid lines).
# - character pitch = 8844 / 28 = 315.86 twips = 15.79 pt. w:charSpace is the difference from
#   the default font size (16 pt, Normal) in 1/4096 pt: (15.793 - 16) × 4096 = -848.
LINE_PITCH = TEXT_HEIGHT // 22  # 579
CHAR_SPACE = round((TEXT_WIDTH / 28 / 20 - BODY_PT) * 4096)  # -848
CHAR = TEXT_WIDTH / 28  # one character of the grid, in twips
# The page number's 一字线 sits 7 mm below the text block: its 14 pt line (~5 mm) ends about
# 35 - 7 - 5 = 23 mm above the page's bottom edge, which is the footer distance.
FOOTER_DISTANCE = 1304  # 23 mm
HEADER_DISTANCE = 851  # 15 mm (there is no header text)

_NUMBER = re.compile(r"〔\d{4}〕")


@dataclass(frozen=True)
class OfficialDocumentLayout:
    authority: str  # 发文机关标志, printed in red as "<authority>文件"
    number: str  # 发文字号, e.g. "X府办发〔2026〕1号" (must contain 〔YYYY〕)
    title: str  # 标题
    main_recipients: str  # 主送机关
    body: str  # the text; paragraphs separated by newlines
    signer: str  # 落款 (issuing authority name)
    written_on: datetime.date  # 成文日期
    copy_to: tuple[str, ...] = ()  # 抄送
    printer: str = ""  # 印发机关 (empty: the signer)
    printed_on: datetime.date | None = None  # 印发日期 (None: the date written)
    copy_number: str | None = None  # 份号
    classification: str | None = None  # 密级 e.g. "秘密★1年"
    urgency: str | None = None  # 紧急程度 特急/加急 (平件 prints nothing)


def chinese_date(day: datetime.date) -> str:
    """2026年11月28日: Arabic numerals, the year in full, no leading zeros (GB/T 9704 7.3.5)."""
    return f"{day.year}年{day.month}月{day.day}日"


def set_run_font(
    run,
    *,
    east_asian: str,
    size_pt: float,
    bold: bool = False,
    color: str | None = None,
    latin: str = LATIN,
) -> None:
    """Name the East Asian font (``w:eastAsia``) and the Latin font (``w:ascii``/``w:hAnsi``/
    ``w:cs``, Times New Roman unless ``latin`` says otherwise) of ``run``; size, bold, colour
    (``"FF0000"`` or ``"#FF0000"``)."""
    _set_fonts(run._element.get_or_add_rPr(), east_asian, latin)
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = RGBColor.from_string(color.lstrip("#").upper())


def _set_fonts(rpr, east_asian: str, latin: str) -> None:
    fonts = rpr.get_or_add_rFonts()
    for attr, name in (("ascii", latin), ("hAnsi", latin), ("cs", latin), ("eastAsia", east_asian)):
        fonts.set(qn(f"w:{attr}"), name)
    fonts.set(qn("w:hint"), "eastAsia")


def setup_official_page(document) -> None:
    """Give every section of ``document`` the GB/T 9704 page: A4, margins 37/35/28/26 mm, the
    grid of 22 lines × 28 characters; and make Normal 3号仿宋 at that fixed line pitch."""
    for section in document.sections:
        section.page_width, section.page_height = Twips(PAGE_WIDTH), Twips(PAGE_HEIGHT)
        section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
        section.left_margin, section.right_margin = Twips(MARGIN_LEFT), Twips(MARGIN_RIGHT)
        section.header_distance, section.footer_distance = (
            Twips(HEADER_DISTANCE),
            Twips(FOOTER_DISTANCE),
        )
        section.gutter = Twips(0)
        sect_pr = section._sectPr
        grid = sect_pr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            later = [sect_pr.find(qn(t)) for t in ("w:printerSettings", "w:sectPrChange")]
            later = [e for e in later if e is not None]
            later[0].addprevious(grid) if later else sect_pr.append(grid)
        grid.set(qn("w:type"), "linesAndChars")
        grid.set(qn("w:linePitch"), str(LINE_PITCH))
        grid.set(qn("w:charSpace"), str(CHAR_SPACE))
    normal = document.styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), FANGSONG, LATIN)
    normal.font.size = Pt(BODY_PT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Twips(LINE_PITCH)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = False


def _indent_chars(paragraph, *, first: float = 0, left: float = 0, right: float = 0) -> None:
    """Indents counted in characters (w:firstLineChars etc., hundredths of a character, which
    Word follows on the grid) with the twips equivalent for other readers."""
    fmt = paragraph.paragraph_format
    if first:
        fmt.first_line_indent = Twips(round(first * CHAR))
    if left:
        fmt.left_indent = Twips(round(left * CHAR))
    if right:
        fmt.right_indent = Twips(round(right * CHAR))
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    for attr, value in (("firstLineChars", first), ("leftChars", left), ("rightChars", right)):
        if value:
            ind.set(qn(f"w:{attr}"), str(round(value * 100)))


def _border(paragraph, side: str, *, size_eighths: int, color: str, space_pt: int = 0) -> None:
    """A line on one side of the paragraph: as wide as the text block (版心)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        # w:pBdr comes right after w:keepNext…w:pageBreakBefore/w:framePr/w:widowControl/
        # w:numPr/w:suppressLineNumbers; before w:shd, w:tabs, w:spacing, w:ind, w:jc.
        after = [qn(t) for t in ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:spacing")]
        after += [qn(t) for t in ("w:ind", "w:jc", "w:outlineLvl", "w:rPr")]
        nxt = next((c for c in ppr if c.tag in after), None)
        nxt.addprevious(borders) if nxt is not None else ppr.append(borders)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size_eighths))
    line.set(qn("w:space"), str(space_pt))
    line.set(qn("w:color"), color)
    borders.append(line)


def _width(text: str) -> float:
    """Width in characters: CJK full width 1, ASCII half width 0.5."""
    return sum(0.5 if ord(c) < 0x2E80 and c not in "—〔〕" else 1 for c in text)


def _check(layout: OfficialDocumentLayout) -> None:
    for field in ("authority", "number", "title", "main_recipients", "body", "signer"):
        value = getattr(layout, field)
        if not isinstance(value, str) or not value.strip():
            raise input_error(field, "is empty")
    if not _NUMBER.search(layout.number):
        raise input_error(
            "number",
            f"{layout.number!r} has no year in 〔〕 brackets, like X府办发〔2026〕1号",
        )
    if not isinstance(layout.written_on, datetime.date):
        raise input_error("written_on", "is not a date")
    if layout.printed_on is not None and not isinstance(layout.printed_on, datetime.date):
        raise input_error("printed_on", "is not a date")
    if layout.urgency not in (None, "", "平件", "特急", "加急"):
        raise input_error("urgency", f"{layout.urgency!r} is not 特急, 加急 or 平件")


def render_official_document(layout: OfficialDocumentLayout) -> bytes:
    """The .docx of ``layout`` (版头, 主体, 版记 and page numbers as GB/T 9704-2012 shows)."""
    _check(layout)
    document = docx.Document()
    setup_official_page(document)
    _page_numbers(document)
    props = document.core_properties
    props.title, props.author, props.subject = layout.title, layout.signer, layout.number

    def para(text: str = "", *, font: str = FANGSONG, size: float = BODY_PT, **kw):
        paragraph = document.add_paragraph()
        if text:
            set_run_font(paragraph.add_run(text), east_asian=font, size_pt=size, **kw)
        return paragraph

    # 版头: 份号, 密级和保密期限, 紧急程度 at the top left, each on its own line.
    if layout.copy_number:
        para(layout.copy_number, font=FANGSONG)
    if layout.classification:
        para(layout.classification, font=HEITI)
    urgent = layout.urgency if layout.urgency != "平件" else None
    if urgent:
        para(urgent, font=HEITI)
    mark = layout.authority if layout.authority.endswith("文件") else f"{layout.authority}文件"
    # The mark is red 小标宋 on one line: as large as fits the text block, at most 42 pt.
    mark_pt = max(BODY_PT, min(42, int(TEXT_WIDTH / 20 / _width(mark))))
    above = sum(1 for x in (layout.copy_number, layout.classification, urgent) if x)
    head = para(mark, font=XIAOBIAOSONG, size=mark_pt, color=RED)
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    # Its top edge 35 mm (99 pt) below the text block's top (下行文/平行文), under those lines.
    head.paragraph_format.space_before = Pt(max(0, round(99 - above * LINE_PITCH / 20)))
    para(), para()  # 发文字号 is two lines below the mark
    number = para(layout.number)
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # The red separator 4 mm (11 pt) under the number, as wide as the text block.
    _border(number, "bottom", size_eighths=12, color=RED, space_pt=11)

    # 主体: the title two lines below the separator; 主送 one line below the title.
    para(), para()
    for line in _lines(layout.title):
        title = para(line, font=XIAOBIAOSONG, size=22)
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para()
    recipients = layout.main_recipients.strip()
    para(recipients if recipients.endswith(("：", ":")) else f"{recipients}：")
    for line in _lines(layout.body):
        _indent_chars(para(line), first=2)
    # 落款 one line below the text, then 成文日期 (GB/T 9704 7.3.5.2): the date two characters
    # from the right; its first character two to the right of the signer's first character.
    para()
    written = chinese_date(layout.written_on)
    signer_w, date_w = _width(layout.signer), _width(written)
    date_right = max(2.0, signer_w - date_w)
    signer_right = date_right + date_w + 2 - signer_w
    for text, right in ((layout.signer, signer_right), (written, date_right)):
        paragraph = para(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _indent_chars(paragraph, right=right)

    # 版记: 4号仿宋; 抄送 and 印发 lines between a thick first and last line, a thin one between.
    para()
    record_pt = 14
    printed = chinese_date(layout.printed_on or layout.written_on) + "印发"
    printer = layout.printer.strip() or layout.signer
    copy_to = [c.strip() for c in layout.copy_to if c.strip()]
    if copy_to:
        cc = para(f"抄送：{'，'.join(copy_to)}。", size=record_pt)
        _indent_chars(cc, left=1, right=1)
        cc.paragraph_format.keep_with_next = True
        _border(cc, "top", size_eighths=8, color="000000", space_pt=1)
        _border(cc, "bottom", size_eighths=6, color="000000", space_pt=1)
    issued = para(f"{printer}\t{printed}", size=record_pt)
    _indent_chars(issued, left=1)
    issued.paragraph_format.tab_stops.add_tab_stop(
        Twips(TEXT_WIDTH - round(CHAR)), WD_TAB_ALIGNMENT.RIGHT
    )
    if not copy_to:
        _border(issued, "top", size_eighths=8, color="000000", space_pt=1)
    _border(issued, "bottom", size_eighths=8, color="000000", space_pt=1)

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _page_numbers(document) -> None:
    """Footers "— 1 —" in 4号半角宋体 (14 pt): odd pages at the right, even pages at the left,
    one character in from the edge of the text block (GB/T 9704 7.5)."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = getattr(WD_ALIGN_PARAGRAPH, side.upper())
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        _indent_chars(paragraph, **{side: 1})
        for kind, text in (("text", "— "), ("field", "PAGE"), ("text", " —")):
            if kind == "text":
                run = paragraph.add_run(text)
                set_run_font(run, east_asian=SONGTI, size_pt=14, latin=SONGTI)
                continue
            for char_type, inner in (("begin", None), (None, text), ("separate", None)):
                run = paragraph.add_run()
                set_run_font(run, east_asian=SONGTI, size_pt=14, latin=SONGTI)
                if char_type:
                    fld = OxmlElement("w:fldChar")
                    fld.set(qn("w:fldCharType"), char_type)
                    run._r.append(fld)
                else:
                    instr = OxmlElement("w:instrText")
                    instr.set(qn("xml:space"), "preserve")
                    instr.text = f" {inner} "
                    run._r.append(instr)
            set_run_font(paragraph.add_run("1"), east_asian=SONGTI, size_pt=14, latin=SONGTI)
            end = paragraph.add_run()
            set_run_font(end, east_asian=SONGTI, size_pt=14, latin=SONGTI)
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), "end")
            end._r.append(fld)


def docx_text(data: bytes) -> str:
    """All the text of a .docx: the body's paragraphs (tables and text boxes included, in
    document order), then headers, footers, footnotes and endnotes; one paragraph a line.
    ValueError when ``data`` is not a .docx."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"not a .docx file ({type(exc).__name__})") from exc
    except Exception as exc:  # a damaged zip or XML inside a zip
        raise ValueError(f"not a readable .docx file ({type(exc).__name__}: {exc})") from exc
    lines = [_paragraph_text(p) for p in document.element.body.iter(qn("w:p"))]
    names = ("header", "footer", "footnotes", "endnotes")
    for rel in document.part.rels.values():
        if rel.is_external or rel.reltype.rsplit("/", 1)[-1] not in names:
            continue
        root = rel.target_part.element if hasattr(rel.target_part, "element") else None
        if root is None:  # footnotes/endnotes are plain XML parts in python-docx 1.2
            root = parse_xml(rel.target_part.blob)
        lines += [_paragraph_text(p) for p in root.iter(qn("w:p"))]
    return "\n".join(line for line in lines if line.strip())


def _paragraph_text(p) -> str:
    parts = []
    for run in p.iter(qn("w:r")):  # w:tab also names tab stops in w:pPr: only runs' children
        for node in run:
            if node.tag == qn("w:t"):
                parts.append(node.text or "")
            elif node.tag == qn("w:tab"):
                parts.append("\t")
            elif node.tag in (qn("w:br"), qn("w:cr")):
                parts.append("\n")
    return "".join(parts)
