"""Official documents laid out as GB/T 9704-2012 (党政机关公文格式) requires; the text of a .docx.

Pure: python-docx in, bytes out. No Prefect, no database, no settings. Fonts are named in the
document (``w:eastAsia``) even when this machine lacks them, so Word on the reader's machine
uses 方正小标宋简体 / 仿宋_GB2312 / 黑体 / 宋体 where they are installed.
"""

from __future__ import annotations

import datetime
import io
import math
import re
import zipfile
from dataclasses import dataclass

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor, Twips

XIAOBIAOSONG = "方正小标宋简体"  # 小标宋: title and the authority's mark
FANGSONG = "仿宋_GB2312"  # 仿宋: body, number, record block
HEITI = "黑体"  # 密级, 紧急程度, first-level headings in the text
KAITI = "楷体_GB2312"  # second-level headings
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
#   the default font size (16 pt, Normal) in 1/4096 pt: (15.793 - 16) × 4096 = -848.4, rounded
#   down to -849 so that 28 characters of the resulting pitch still fit.
LINE_PITCH = TEXT_HEIGHT // 22  # 579
CHAR_SPACE = math.floor((TEXT_WIDTH / 28 / 20 - BODY_PT) * 4096)  # -849: 28 still fit
CHAR = TEXT_WIDTH / 28  # one character of the grid, in twips
# The page number's 一字线 sits 7 mm below the text block: its 14 pt line (~5 mm) ends about
# 35 - 7 - 5 = 23 mm above the page's bottom edge, which is the footer distance.
FOOTER_DISTANCE = 1304  # 23 mm
HEADER_DISTANCE = 851  # 15 mm (there is no header text)

_NUMBER = re.compile(r"〔\d{4}〕")
_LEVELS = (
    (re.compile("[一二三四五六七八九十]+、"), HEITI),
    (re.compile("[（(][一二三四五六七八九十]+[）)]"), KAITI),
)
# What XML 1.0 (so a .docx) cannot hold: control characters other than tab and newlines.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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
    # The grid's character pitch is reckoned from the default font size: make it 16 pt both in
    # w:docDefaults and in Normal, the fonts named (not themed), the language Chinese (so Word
    # applies Chinese line-breaking rules to punctuation).
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    _set_fonts(rpr, FANGSONG, LATIN)
    rpr.get_or_add_sz().set(qn("w:val"), str(BODY_PT * 2))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal = document.styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), FANGSONG, LATIN)
    normal.font.size = Pt(BODY_PT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Twips(LINE_PITCH)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = False


def _indent_chars(
    paragraph, *, first: float = 0, left: float = 0, right: float = 0, pt: float | None = None
) -> None:
    """Indents counted in characters: on the grid as w:firstLineChars etc. (hundredths of a
    grid character, which Word follows) with the twips for other readers; off the grid (``pt``,
    the text's size) in twips only. A negative ``first`` hangs."""
    fmt, unit = paragraph.paragraph_format, (pt * 20 if pt else CHAR)
    if first:
        fmt.first_line_indent = Twips(round(first * unit))
    if left:
        fmt.left_indent = Twips(round(left * unit))
    if right:
        fmt.right_indent = Twips(round(right * unit))
    if pt:
        return
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    first_attr = "firstLineChars" if first >= 0 else "hangingChars"
    for attr, value in ((first_attr, abs(first)), ("leftChars", left), ("rightChars", right)):
        if value:
            ind.set(qn(f"w:{attr}"), str(round(value * 100)))


# The children of w:pPr in the order the schema wants them (ECMA-376 17.3.1.26).
_PPR_NAMES = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
    "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
    "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
    "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
    "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
)
_PPR_ORDER = tuple(_PPR_NAMES.split())


def _ppr_child(paragraph, name: str, **attrs: str):
    """The w:pPr child ``name`` of ``paragraph`` (added in schema order), with ``attrs`` set."""
    ppr = paragraph._p.get_or_add_pPr()
    child = ppr.find(qn(f"w:{name}"))
    if child is None:
        child = OxmlElement(f"w:{name}")
        rank = _PPR_ORDER.index(name)
        later = (c for c in ppr if c.tag.split("}")[1] in _PPR_ORDER[rank + 1 :])
        nxt = next(later, None)
        nxt.addprevious(child) if nxt is not None else ppr.append(child)
    for key, value in attrs.items():
        child.set(qn(f"w:{key}"), value)
    return child


def _line(parent, side: str, **attrs: str) -> None:
    """Append ``<w:side w:key="value" …/>`` to ``parent`` (a border or margin list)."""
    element = OxmlElement(f"w:{side}")
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), value)
    parent.append(element)


def _border(paragraph, side: str, *, size_eighths: int, color: str, space_pt: int = 0) -> None:
    """A line on one side of the paragraph: as wide as the text block (版心)."""
    attrs = {"val": "single", "sz": str(size_eighths), "space": str(space_pt), "color": color}
    _line(_ppr_child(paragraph, "pBdr"), side, **attrs)


def _off_grid(paragraph) -> None:
    """Not on the character grid: text larger or smaller than 3号 (the red mark, the title, the
    record block) keeps its own width instead of taking whole grid cells."""
    _ppr_child(paragraph, "snapToGrid", val="0")


def _width(text: str) -> float:
    """Width in characters: CJK full width 1, ASCII half width 0.5."""
    return sum(0.5 if ord(c) < 0x2E80 and c not in "—〔〕" else 1 for c in text)


def _refuse(field: str | tuple[str | int, ...], message: str) -> ValueError:
    """The project's ``InputError`` (a ValueError) naming ``field``. officeflow.inputs imports
    the ledger's models (SQLAlchemy), so it is imported only when refusing: importing this
    module stays free of the database layer."""
    from officeflow.inputs import input_error

    return input_error(field, message)


def _check(layout: OfficialDocumentLayout) -> None:
    for field in ("authority", "number", "title", "main_recipients", "body", "signer"):
        value = getattr(layout, field)
        if not isinstance(value, str) or not value.strip():
            raise _refuse(field, "is empty")
    if isinstance(layout.copy_to, str) or layout.copy_to is None:
        raise _refuse("copy_to", "is a list of names (one name is a list of one)")
    names = ("authority", "number", "title", "main_recipients", "body", "signer", "printer")
    texts = [(f, getattr(layout, f)) for f in (*names, "copy_number", "classification")]
    texts += [(("copy_to", i), c) for i, c in enumerate(layout.copy_to)]
    for field, value in texts:
        if value is not None and not isinstance(value, str):
            raise _refuse(field, f"is not text: {value!r}")
        if value and _NOT_XML.search(value):
            raise _refuse(field, "holds a control character a .docx cannot hold")
    if not _NUMBER.search(layout.number):
        raise _refuse(
            "number",
            f"{layout.number!r} has no year in 〔〕 brackets, like X府办发〔2026〕1号",
        )
    if not isinstance(layout.written_on, datetime.date):
        raise _refuse("written_on", "is not a date")
    if layout.printed_on is not None and not isinstance(layout.printed_on, datetime.date):
        raise _refuse("printed_on", "is not a date")
    if layout.urgency not in (None, "", "平件", "特急", "加急"):
        raise _refuse("urgency", f"{layout.urgency!r} is not 特急, 加急 or 平件")


def render_official_document(layout: OfficialDocumentLayout) -> bytes:
    """The .docx of ``layout`` (版头, 主体, 版记 and page numbers as GB/T 9704-2012 shows)."""
    _check(layout)
    document = docx.Document()
    setup_official_page(document)
    add_page_numbers(document)
    props = document.core_properties
    props.title, props.author, props.subject = layout.title, layout.signer, layout.number

    def para(text: str = "", *, font: str = FANGSONG, size: float = BODY_PT, **kw):
        paragraph = document.add_paragraph()
        if text:
            set_run_font(paragraph.add_run(text), east_asian=font, size_pt=size, **kw)
        return paragraph

    # 版头: 份号, 密级和保密期限, 紧急程度 at the top left, each on its own line.
    if layout.copy_number:  # six digits
        copy_number = layout.copy_number.strip()
        para(copy_number.zfill(6) if copy_number.isdigit() else copy_number)
    if layout.classification:
        para(layout.classification, font=HEITI)
    urgent = layout.urgency if layout.urgency != "平件" else None
    if urgent:
        para(urgent, font=HEITI)
    mark = layout.authority if layout.authority.endswith("文件") else f"{layout.authority}文件"
    # The mark is red 小标宋 on one line: as large as fits the text block with a tenth to spare
    # (fonts differ), at most 42 pt.
    mark_pt = max(BODY_PT, min(42, int(0.9 * TEXT_WIDTH / 20 / _width(mark))))
    above = sum(1 for x in (layout.copy_number, layout.classification, urgent) if x)
    head = para(mark, font=XIAOBIAOSONG, size=mark_pt, color=RED)
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _off_grid(head)
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
        _off_grid(title)
    para()
    recipients = layout.main_recipients.strip()
    para(recipients if recipients.endswith(("：", ":")) else f"{recipients}：")
    for line in _lines(layout.body):
        paragraph = para()
        _indent_chars(paragraph, first=2)
        # 结构层次序数 (GB/T 9704 7.3.3): "一、" in 黑体, "（一）" in 楷体, "1." and "（1）" in
        # 仿宋; a heading that ends in "。" inside the paragraph is set apart to there.
        font = next((f for pattern, f in _LEVELS if pattern.match(line)), FANGSONG)
        end = line.find("。") + 1 if font != FANGSONG else len(line)
        for text, run_font in (
            (line[: end or len(line)], font),
            (line[end or len(line) :], FANGSONG),
        ):
            if text:
                set_run_font(paragraph.add_run(text), east_asian=run_font, size_pt=BODY_PT)
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

    # 版记 (GB/T 9704 7.4): 4号仿宋 in a one-column table as wide as the text block, so that its
    # lines are too: a thick first and last line, a thin one between 抄送 and 印发; the text one
    # character in from both sides. It follows the 落款; the standard puts it at the foot of
    # the last (even) page, which is left to the person printing.
    pt = 14
    copy_to = [c.strip().rstrip("，,、；;。. ") for c in layout.copy_to]
    copy_to = [c for c in copy_to if c]
    printer = layout.printer.strip() or layout.signer
    rows = [f"抄送：{'，'.join(copy_to)}。"] if copy_to else []
    rows.append(f"{printer}\t{chinese_date(layout.printed_on or layout.written_on)}印发")
    table = document.add_table(rows=len(rows), cols=1)
    tbl_pr = table._tbl.tblPr
    tbl_pr.find(qn("w:tblW")).attrib.update({qn("w:w"): str(TEXT_WIDTH), qn("w:type"): "dxa"})
    look = tbl_pr.find(qn("w:tblLook"))  # the new elements go between w:tblW and w:tblLook
    for name, attrs in (("tblInd", {"w": "0", "type": "dxa"}), ("tblLayout", {"type": "fixed"})):
        _line(tbl_pr, name, **attrs)
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        _line(margins, side, w=str(pt * 20), type="dxa")
    tbl_pr.append(margins)
    if look is not None:
        tbl_pr.append(look)
    table._tbl.tblGrid.find(qn("w:gridCol")).set(qn("w:w"), str(TEXT_WIDTH))
    for i, text in enumerate(rows):
        cell = table.cell(i, 0)
        cell.width = Twips(TEXT_WIDTH)
        borders = OxmlElement("w:tcBorders")
        if i == 0:
            _line(borders, "top", val="single", sz="8", space="0", color="000000")
        last = i == len(rows) - 1
        _line(borders, "bottom", val="single", sz="8" if last else "6", space="0", color="000000")
        cell._tc.get_or_add_tcPr().append(borders)
        paragraph = cell.paragraphs[0]
        set_run_font(paragraph.add_run(text), east_asian=FANGSONG, size_pt=pt)
        _off_grid(paragraph)
        if text.startswith("抄送："):  # a second line starts under the first name
            _indent_chars(paragraph, left=3, first=-3, pt=pt)
            paragraph.paragraph_format.keep_with_next = True
        else:  # 印发机关 at the left, 印发日期 at the right
            paragraph.paragraph_format.tab_stops.add_tab_stop(
                Twips(TEXT_WIDTH - 2 * pt * 20), WD_TAB_ALIGNMENT.RIGHT
            )

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def add_page_numbers(document) -> None:
    """Footers "— 1 —" in 4号半角宋体 (14 pt): odd pages at the right, even pages at the left,
    one character in from the edge of the text block (GB/T 9704 7.5)."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = getattr(WD_ALIGN_PARAGRAPH, side.upper())
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        _indent_chars(paragraph, **{side: 1})
        _off_grid(paragraph)
        # "— ", then the PAGE field (begin, instruction, separate, its last result, end), " —"
        parts = [
            ("t", "— "),
            ("fldChar", "begin"),
            ("instrText", " PAGE "),
            ("fldChar", "separate"),
        ]
        for tag, value in [*parts, ("t", "1"), ("fldChar", "end"), ("t", " —")]:
            run = paragraph.add_run(value if tag == "t" else None)
            set_run_font(run, east_asian=SONGTI, size_pt=14, latin=SONGTI)
            if tag != "t":
                element = OxmlElement(f"w:{tag}")
                if tag == "fldChar":
                    element.set(qn("w:fldCharType"), value)
                else:
                    element.set(qn("xml:space"), "preserve")
                    element.text = value
                run._r.append(element)


# A .docx whose XML would unpack to more than this is refused (a "zip bomb" sent as a file).
MAX_DOCX_XML = 64 * 1024 * 1024


def docx_text(data: bytes) -> str:
    """All the text of a .docx: the body's paragraphs (tables and text boxes included, in
    document order), then headers, footers, footnotes and endnotes; one paragraph a line.
    ValueError when ``data`` is not a .docx (or one too large unpacked to read)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            infos = package.infolist()
        xml_size = sum(i.file_size for i in infos if i.filename.endswith((".xml", ".rels")))
        if xml_size > MAX_DOCX_XML:
            raise ValueError(f"its XML unpacks to {xml_size} bytes, more than {MAX_DOCX_XML}")
        document = docx.Document(io.BytesIO(data))
        lines = [_paragraph_text(p) for p in document.element.body.iter(qn("w:p"))]
        names = ("header", "footer", "footnotes", "endnotes")
        for rel in document.part.rels.values():
            if rel.is_external or rel.reltype.rsplit("/", 1)[-1] not in names:
                continue
            part = rel.target_part  # footnotes/endnotes are plain parts in python-docx 1.2
            root = part.element if hasattr(part, "element") else parse_xml(part.blob)
            lines += [_paragraph_text(p) for p in root.iter(qn("w:p"))]
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"not a .docx file ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # damaged XML or zip inside
        raise ValueError(f"not a readable .docx file ({type(exc).__name__}: {exc})") from exc
    return "\n".join(line for line in lines if line and line.strip())


def _paragraph_text(p) -> str | None:
    """The text of paragraph ``p``: its own runs (not those of a text box inside it, which are
    paragraphs of their own); None for the fallback copy of a text box (mc:Fallback)."""
    if any(a.tag == _FALLBACK for a in p.iterancestors()):
        return None
    parts = []
    for run in p.iter(qn("w:r")):  # w:tab also names tab stops in w:pPr: only runs' children
        if next(run.iterancestors(qn("w:p"))) is not p:
            continue
        for node in run:
            if node.tag == qn("w:t"):
                parts.append(node.text or "")
            elif node.tag == qn("w:tab"):
                parts.append("\t")
            elif node.tag in (qn("w:br"), qn("w:cr")):
                parts.append("\n")
    return "".join(parts)


_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
