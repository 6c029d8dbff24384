"""The GB/T 9704-2012 layout of an official document, checked on the reopened .docx."""

from __future__ import annotations

import dataclasses
import datetime
import io
import zipfile

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Emu, Pt, RGBColor
from hypothesis import given, settings
from hypothesis import strategies as st

from officeflow.inputs import InputError
from officeflow.layout import (
    OfficialDocumentLayout,
    docx_text,
    render_official_document,
    set_run_font,
    setup_official_page,
)

BODY = (
    "为切实做好2026年冬季安全生产工作，现将有关事项通知如下。\n"
    "\n"
    "一、提高思想认识。各单位要把安全生产摆在突出位置。\n"
    "（一）落实工作责任。主要负责人是第一责任人。\n"
    "二、加强隐患排查\n"
    "　　1.重点行业领域开展全面排查，确保平稳有序。"
)
LAYOUT = OfficialDocumentLayout(
    authority="X市人民政府办公室",
    number="X府办发〔2026〕1号",
    title="关于做好冬季安全生产工作的通知",
    main_recipients="各区人民政府，市政府各部门",
    body=BODY,
    signer="X市人民政府办公室",
    written_on=datetime.date(2026, 11, 28),
    copy_to=("市委办公室", "市人大常委会办公室"),
    printer="X市人民政府办公室秘书处",
    printed_on=datetime.date(2026, 11, 30),
    copy_number="000001",
    classification="秘密★1年",
    urgency="特急",
)


@pytest.fixture(scope="module")
def doc():
    return docx.Document(io.BytesIO(render_official_document(LAYOUT)))


def paragraph(doc, text):
    found = [p for p in doc.paragraphs if p.text == text]
    assert len(found) == 1, f"{text!r}: {[p.text for p in doc.paragraphs]}"
    return found[0]


def east_asian(run) -> str:
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def border(p, side):
    line = p._p.pPr.find(qn("w:pBdr")).find(qn(f"w:{side}"))
    return None if line is None else {k.split("}")[1]: v for k, v in line.attrib.items()}


def close(length, mm):
    return abs(length.mm - mm) < 0.05


def test_page_is_a4_with_the_standard_margins_and_grid(doc):
    section = doc.sections[0]
    assert close(section.page_width, 210) and close(section.page_height, 297)
    assert close(section.top_margin, 37) and close(section.left_margin, 28)
    assert close(section.right_margin, 26) and close(section.bottom_margin, 35)
    text_width = Emu(section.page_width - section.left_margin - section.right_margin)
    text_height = Emu(section.page_height - section.top_margin - section.bottom_margin)
    assert close(text_width, 156) and close(text_height, 225)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    line_pitch = int(grid.get(qn("w:linePitch")))  # twips
    assert int(text_height.twips // line_pitch) == 22
    char_pt = 16 + int(grid.get(qn("w:charSpace"))) / 4096
    assert 28 * char_pt <= text_width.pt < 28.01 * char_pt  # 28 characters, just
    assert (
        doc.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:sz")).get(qn("w:val"))
        == "32"
    )  # the grid's reference size: 16 pt
    normal = doc.styles["Normal"]
    assert normal.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert normal.paragraph_format.line_spacing.twips == line_pitch
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_head_marks_red_authority_number_and_separator(doc):
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[:5] == [
        "000001",
        "秘密★1年",
        "特急",
        "X市人民政府办公室文件",
        "X府办发〔2026〕1号",
    ]
    assert [east_asian(paragraph(doc, t).runs[0]) for t in ("秘密★1年", "特急")] == ["黑体"] * 2
    for t in texts[:3]:
        assert paragraph(doc, t).alignment in (None, WD_ALIGN_PARAGRAPH.LEFT)
    mark = paragraph(doc, "X市人民政府办公室文件")
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    (run,) = mark.runs
    assert run.font.color.rgb == RGBColor(0xFF, 0, 0)
    assert east_asian(run) == "方正小标宋简体"
    assert run.font.size > Pt(22)
    # larger than the grid's 16 pt: off the character grid, so each character keeps its width
    assert mark._p.pPr.find(qn("w:snapToGrid")).get(qn("w:val")) == "0"
    number = paragraph(doc, "X府办发〔2026〕1号")
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert east_asian(number.runs[0]) == "仿宋_GB2312" and number.runs[0].font.size == Pt(16)
    line = border(number, "bottom")
    assert line["val"] == "single" and line["color"] == "FF0000"
    assert 9 <= int(line["space"]) <= 13  # 4 mm (11.3 pt) under the number
    # two empty lines between the mark and the number
    index = [p.text for p in doc.paragraphs].index
    assert index("X府办发〔2026〕1号") - index("X市人民政府办公室文件") == 3


def test_title_and_body_fonts_and_indent(doc):
    title = paragraph(doc, LAYOUT.title)
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert {east_asian(r) for r in title.runs} == {"方正小标宋简体"}
    assert {r.font.size for r in title.runs} == {Pt(22)}
    assert title._p.pPr.find(qn("w:snapToGrid")).get(qn("w:val")) == "0"
    recipients = paragraph(doc, "各区人民政府，市政府各部门：")
    assert recipients.paragraph_format.first_line_indent in (None, 0)
    lines = [line.strip() for line in BODY.splitlines() if line]  # typed indents dropped
    fonts = {}
    for line in lines:
        p = paragraph(doc, line)
        fonts[line] = [(r.text, east_asian(r)) for r in p.runs]
        assert {r.font.size for r in p.runs} == {Pt(16)}
        assert p._p.pPr.ind.get(qn("w:firstLineChars")) == "200"
        assert p._p.pPr.find(qn("w:snapToGrid")) is None  # the text stays on the grid
        assert abs(p.paragraph_format.first_line_indent.pt - 2 * 15.79) < 0.1
    # 结构层次: 一、 in 黑体, （一） in 楷体 up to the first 。, 1. and plain text in 仿宋
    fs, hei, kai = "仿宋_GB2312", "黑体", "楷体_GB2312"
    assert list(fonts.values()) == [
        [(lines[0], fs)],
        [("一、提高思想认识。", hei), ("各单位要把安全生产摆在突出位置。", fs)],
        [("（一）落实工作责任。", kai), ("主要负责人是第一责任人。", fs)],
        [("二、加强隐患排查", hei)],
        [("1.重点行业领域开展全面排查，确保平稳有序。", fs)],
    ]
    assert paragraph(doc, lines[0]).runs[0]._element.rPr.rFonts.get(qn("w:ascii")) == (
        "Times New Roman"
    )
    texts = [p.text for p in doc.paragraphs]
    i = texts.index(lines[-1])
    assert texts[i + 1 : i + 4] == ["", "X市人民政府办公室", "2026年11月28日"]
    signer, date = paragraph(doc, "X市人民政府办公室"), paragraph(doc, "2026年11月28日")
    assert signer.alignment == date.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # the date two characters in from the right; its first character two characters to the
    # right of the signer's: signer 8.5 characters wide, date 7
    assert date._p.pPr.ind.get(qn("w:rightChars")) == "200"
    assert signer._p.pPr.ind.get(qn("w:rightChars")) == "250"


def cell_border(cell, side):
    line = cell._tc.tcPr.find(qn("w:tcBorders")).find(qn(f"w:{side}"))
    return None if line is None else {k.split("}")[1]: v for k, v in line.attrib.items()}


def test_record_block(doc):
    body = doc.element.body
    (table,) = doc.tables
    assert body.index(table._tbl) == len(body) - 2  # the last thing before w:sectPr
    assert table._tbl.tblPr.find(qn("w:tblW")).get(qn("w:w")) == "8844"  # as wide as the text
    cc, issued = (row.cells[0] for row in table.rows)
    assert cc.text == "抄送：市委办公室，市人大常委会办公室。"
    assert issued.text == "X市人民政府办公室秘书处\t2026年11月30日印发"
    for cell in (cc, issued):
        (p,) = cell.paragraphs
        assert {east_asian(r) for r in p.runs} == {"仿宋_GB2312"}
        assert {r.font.size for r in p.runs} == {Pt(14)}
    # thick first and last lines (0.35 mm ≈ 1 pt = sz 8), a thin one between (sz 6)
    assert cell_border(cc, "top")["sz"] == "8" and cell_border(cc, "bottom")["sz"] == "6"
    assert cell_border(issued, "top") is None and cell_border(issued, "bottom")["sz"] == "8"
    # a second 抄送 line starts under the first name, after "抄送："
    assert cc.paragraphs[0].paragraph_format.first_line_indent == -Pt(42)
    assert cc.paragraphs[0].paragraph_format.left_indent == Pt(42)
    (stop,) = issued.paragraphs[0].paragraph_format.tab_stops
    assert stop.alignment == WD_TAB_ALIGNMENT.RIGHT


def test_footer_page_number_is_a_page_field_between_dashes(doc):
    assert doc.settings.odd_and_even_pages_header_footer
    section = doc.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        assert not footer.is_linked_to_previous
        (p,) = footer.paragraphs
        assert p.text == "— 1 —" and p.alignment == align
        instr = [e.text.strip() for e in p._p.iter(qn("w:instrText"))]
        assert instr == ["PAGE"]
        kinds = [e.get(qn("w:fldCharType")) for e in p._p.iter(qn("w:fldChar"))]
        assert kinds == ["begin", "separate", "end"]
        assert {east_asian(r) for r in p.runs} == {"宋体"}
        assert {r.font.size for r in p.runs} == {Pt(14)}


def test_optional_parts_left_out():
    plain = dataclasses.replace(
        LAYOUT,
        copy_to=(),
        printer="",
        printed_on=None,
        copy_number=None,
        classification=None,
        urgency="平件",
    )
    data = render_official_document(plain)
    doc = docx.Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[0] == "X市人民政府办公室文件"
    assert "平件" not in docx_text(data) and "抄送" not in docx_text(data)
    # no printer, no printing date: the signer and the date written, between two thick lines
    ((issued,),) = (row.cells for row in doc.tables[0].rows)
    assert issued.text == "X市人民政府办公室\t2026年11月28日印发"
    assert cell_border(issued, "top")["sz"] == cell_border(issued, "bottom")["sz"] == "8"


def test_copy_number_is_six_digits_and_copy_to_punctuation_is_tidied():
    layout = dataclasses.replace(
        LAYOUT, copy_number="12", copy_to=("市委办公室，", " 市纪委。 ", "")
    )
    text = docx_text(render_official_document(layout)).splitlines()
    assert text[0] == "000012"
    assert "抄送：市委办公室，市纪委。" in text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": "X府办发2026年1号"}, "number"),
        ({"number": "X府办发[2026]1号"}, "number"),
        ({"number": "X府办发〔26〕1号"}, "number"),
        ({"title": ""}, "title"),
        ({"title": "  \n "}, "title"),
        ({"body": ""}, "body"),
        ({"authority": ""}, "authority"),
        ({"urgency": "很急"}, "urgency"),
        ({"body": "正文\x00"}, "body"),
        ({"signer": "办公室\x0b"}, "signer"),
        ({"copy_to": ("市委", "市政府\x07")}, "copy_to[1]"),
    ],
)
def test_bad_input_names_the_field(change, field):
    with pytest.raises(InputError) as caught:
        render_official_document(dataclasses.replace(LAYOUT, **change))
    assert str(caught.value).startswith(f"{field}: ")
    assert isinstance(caught.value, ValueError)


def test_docx_text_reads_rendered_documents_and_tables():
    text = docx_text(render_official_document(LAYOUT))
    assert LAYOUT.title in text.splitlines()
    for line in BODY.splitlines():
        assert line.strip() in text
    assert "— 1 —" in text  # the footer
    other = docx.Document()
    setup_official_page(other)
    cell = other.add_table(rows=1, cols=2).rows[0].cells[1]
    cell.text = "表格里的督办事项"
    other.sections[0].header.paragraphs[0].text = "页眉文字"
    out = io.BytesIO()
    other.save(out)
    text = docx_text(out.getvalue())
    assert "表格里的督办事项" in text and "页眉文字" in text


def xlsx_bytes() -> bytes:
    import openpyxl

    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [b"", b"plain text, not a document", b"PK\x03\x04broken", "xlsx", "zip"],
)
def test_docx_text_refuses_what_is_not_a_docx(data):
    data = {"xlsx": xlsx_bytes, "zip": zip_bytes}[data]() if isinstance(data, str) else data
    with pytest.raises(ValueError, match=r"not a .*\.docx"):
        docx_text(data)


def test_set_run_font_names_both_fonts():
    document = docx.Document()
    run = document.add_paragraph().add_run("2026年")
    set_run_font(run, east_asian="仿宋_GB2312", size_pt=16, bold=True, color="#C00000")
    fonts = run._element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:hAnsi")) == "Times New Roman"
    assert run.font.size == Pt(16) and run.font.bold
    assert run.font.color.rgb == RGBColor(0xC0, 0, 0)


def test_docx_text_refuses_a_docx_whose_xml_unpacks_too_large(monkeypatch):
    import officeflow.layout as layout_module

    data = render_official_document(LAYOUT)
    assert docx_text(data)
    monkeypatch.setattr(layout_module, "MAX_DOCX_XML", 10_000)
    with pytest.raises(ValueError, match=r"not a \.docx file .*more than 10000"):
        docx_text(data)


def test_copy_to_given_as_one_text_is_refused():
    with pytest.raises(InputError, match=r"^copy_to: is a list of names"):
        render_official_document(dataclasses.replace(LAYOUT, copy_to="市委办公室"))


def test_docx_text_reads_a_text_box_once():
    from docx.oxml import parse_xml

    ns = {
        "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
        "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
        "v": "urn:schemas-microsoft-com:vml",
    }
    box = "<w:txbxContent><w:p><w:r><w:t>文本框里的字</w:t></w:r></w:p></w:txbxContent>"
    run = parse_xml(
        "<w:r " + " ".join(f'xmlns:{k}="{v}"' for k, v in ns.items()) + ">"
        "<mc:AlternateContent>"
        f'<mc:Choice Requires="wps"><w:drawing><wps:txbx>{box}</wps:txbx></w:drawing></mc:Choice>'
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict>"
        "</mc:Fallback></mc:AlternateContent></w:r>"
    )
    document = docx.Document()
    p = document.add_paragraph("外面的字")
    p._p.append(run)
    out = io.BytesIO()
    document.save(out)
    assert docx_text(out.getvalue()).splitlines() == ["外面的字", "文本框里的字"]


def test_importing_the_layout_loads_no_database_or_prefect():
    import subprocess
    import sys

    code = (
        "import sys, officeflow.layout; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'prefect'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@settings(max_examples=40, deadline=None)
@given(
    title=st.text(min_size=1, max_size=40),
    body=st.text(min_size=1, max_size=200),
    copy_to=st.lists(st.text(max_size=12), max_size=3),
)
def test_any_text_renders_or_is_refused_naming_the_field(title, body, copy_to):
    layout = dataclasses.replace(LAYOUT, title=title, body=body, copy_to=tuple(copy_to))
    try:
        data = render_official_document(layout)
    except InputError as exc:
        assert str(exc).split(":")[0] in ("title", "body", "copy_to[0]", "copy_to[1]", "copy_to[2]")
        return
    text = docx_text(data)
    for line in title.splitlines():
        assert line.strip() in text
    for line in body.splitlines():
        assert line.strip() in text
