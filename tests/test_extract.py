"""Extraction of uploaded files and the metadata proposed for them.

The fixtures under tests/data/files are real files (see the README there for how the
binary ones were made); Word files and hostile PDFs are built here.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path

import pytest

from archive.extract import (
    Extracted,
    ExtractionError,
    Limits,
    clean_text,
    extract_text,
    find_dates,
    find_repeated_blocks,
    fix_reversed_digits,
    fix_visual_order,
    language_shares,
    match_organisation,
    propose,
    slug,
    visual_to_logical,
)
from archive.registry import Registry

from .conftest import PROJECT

FILES = Path(__file__).parent / "data" / "files"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(PROJECT / "corpus")


def extract(name: str, limits: Limits | None = None) -> Extracted:
    return extract_text((FILES / name).read_bytes(), name, limits or Limits())


def proposal_for(text: str, registry: Registry, name: str = "upload.txt"):
    return propose(Extracted(clean_text(text), "txt", "utf-8"), name, registry)


def flagged(proposal, field: str) -> list[str]:
    return [f.message.format(**f.params) for f in proposal.flags if f.field == field]


# --- PDF ----------------------------------------------------------------------------------


def test_arabic_pdf_comes_out_in_reading_order(registry):
    extracted = extract("arabic-statement.pdf")
    text = extracted.text
    assert extracted.format == "pdf" and extracted.pages == 1
    # Presentation forms became letters (NFKC) and the words read right to left.
    assert not any("\ufb50" <= c <= "\ufeff" for c in text)
    assert "نحن، المنظمات الموقّعة أدناه، ندعو إلى وقف فوري" in text
    # Diacritics drawn apart from their letters are back inside their words.
    assert "استُخدم منذ عام 2016 ضد المدافع الإماراتي" in text
    assert "الذي يقضي حكماً بالسجن عشر سنوات." in text
    # Latin words and both kinds of digits keep their own order inside Arabic lines.
    assert "برنامج Pegasus التابع لمجموعة NSO" in text
    assert "بيروت، ٢٦ تموز ٢٠٢١" in text
    # Wrapped lines are one paragraph; the signatories stay one per line.
    assert "الاستبدادية في منطقة الشرق الأوسط" in text
    assert "1. مركز الخليج لحقوق الإنسان (GCHR)\n2. مؤسسة حرية الفكر والتعبير\n3. سمكس" in text

    proposal = propose(extracted, "arabic-statement.pdf", registry)
    document = proposal.document
    assert document.language == "ar"
    assert document.date == "2021-07-26"  # ٢٦ تموز ٢٠٢١
    assert document.title == "بيان مشترك بشأن تقنيات المراقبة"  # the PDF's own title
    assert document.id == "byn-mshtrk-bshn-tqnyt-lmrqb"  # the title, transliterated
    assert document.organisations[:3] == ("gchr", "afte", "smex")
    assert set(document.countries) >= {"AE", "MA", "BH", "SA"}
    assert document.people == ("ahmed-mansoor",)


def test_visual_order_arabic_is_detected_and_reversed():
    logical = "المنظمات الموقعة على البيان حول برنامج Pegasus في ٢٠٢١ (الجزء 2)"
    visual = "(2 ءزجلا) ٢٠٢١ يف Pegasus جمانرب لوح نايبلا ىلع ةعقوملا تامظنملا"
    assert visual_to_logical(visual) == logical
    text = f"{visual}\n{visual}\nNSO Group"
    assert fix_visual_order(text) == f"{logical}\n{logical}\nNSO Group"
    assert fix_visual_order(logical) == logical  # reading order is left alone


@pytest.mark.parametrize(
    "logical, visual",
    [
        # Latin names inside Arabic keep their own word order.
        (
            "برنامج Pegasus التابع لمجموعة NSO Group الإسرائيلية",
            "ةيليئارسإلا NSO Group ةعومجمل عباتلا Pegasus جمانرب",
        ),
        (
            "منظمات: Access Now، SMEX، وHuman Rights Watch",
            "Human Rights Watchو ،Access Now، SMEX :تامظنم",
        ),
        # After Arabic words, numbers joined by "-" are read part by part from the right,
        # as they were typed; "/", "." and the Arabic separators hold a number together.
        ("القضية رقم 123-2021 أمام محكمة الاستئناف", "فانئتسالا ةمكحم مامأ 2021-123 مقر ةيضقلا"),
        ("صدر التقرير في 2021-07-18، وفيه 50 صفحة", "ةحفص 50 هيفو ،18-07-2021 يف ريرقتلا ردص"),
        ("القانون رقم 2020-05", "05-2020 مقر نوناقلا"),  # at the end of the line too
        ("أكثر من ١٬٢٠٠ معتقل، أي ٣٫٥٪ من السكان", "ناكسلا نم ٪٣٫٥ يأ ،لقتعم ١٬٢٠٠ نم رثكأ"),
        ("للتواصل: info@smex.org أو +961 1 234 567", "567 234 1 961+ وأ info@smex.org :لصاوتلل"),
        # Brackets and quotation marks face the words they enclose.
        ("ارتفع العدد من 10 إلى 20 (أي 100%)", "(%100 يأ) 20 ىلإ 10 نم ددعلا عفترا"),
        (
            "مركز الخليج لحقوق الإنسان (GCHR) ومنظمة العفو",
            "وفعلا ةمظنمو (GCHR) ناسنإلا قوقحل جيلخلا زكرم",
        ),
        (
            "قال المتحدث: «لن نتوقف عن المطالبة بالإفراج عنه».",
            ".«هنع جارفإلاب ةبلاطملا نع فقوتن نل» :ثدحتملا لاق",
        ),
    ],
)
def test_visual_order_lines_with_latin_numbers_and_brackets(logical, visual):
    # `visual` is the line as a visual-order PDF draws it, left to right.
    assert visual_to_logical(visual) == logical


def test_reversed_arabic_indic_numbers_are_put_back():
    assert fix_reversed_digits("بيروت، ٦٢ تموز ١٢٠٢") == "بيروت، ٢٦ تموز ٢٠٢١"
    assert fix_reversed_digits("في ٢٦/٧/٢٠٢١") == "في ٢٦/٧/٢٠٢١"  # already right
    assert fix_reversed_digits("في ١٢٠٢/٧/٦٢") == "في ٢٦/٧/٢٠٢١"


def test_scanned_pdf_is_refused_with_a_clear_message():
    with pytest.raises(ExtractionError) as error:
        extract("scanned-letter.pdf")
    assert "scanned-letter.pdf" in str(error.value)
    assert "no text layer (scanned?)" in str(error.value)
    assert error.value.template.startswith("{file}: ")


def _pdf(contents: bytes | None = None, pages: int | None = None) -> bytes:
    """A one-page PDF with Helvetica, the given content stream (Flate-compressed) and,
    if given, a page count that lies."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, EncodedStreamObject, NameObject, NumberObject

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    if contents is not None:
        stream = EncodedStreamObject()
        stream._data = zlib.compress(contents, 9)
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        page[NameObject("/Contents")] = writer._add_object(stream)
    if pages is not None:
        writer._root_object["/Pages"][NameObject("/Count")] = NumberObject(pages)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_with_a_huge_page_count_is_refused_before_reading_pages(monkeypatch):
    from archive.extract import pdf

    data = _pdf(b"BT /F1 12 Tf 10 100 Td (Hello world, this is a page) Tj ET", pages=10_000_000)
    assert len(data) < 2000
    read = []
    monkeypatch.setattr(pdf, "_page_text", lambda page: read.append(page) or "")
    with pytest.raises(ExtractionError, match=r"bomb\.pdf: the PDF has more than 500 pages"):
        extract_text(data, "bomb.pdf")
    assert read == []  # not one page was read


def test_pdf_stream_that_inflates_enormously_is_refused_quickly():
    # 80 MB of content squeezed into about 80 KB.
    data = _pdf(b"BT /F1 12 Tf 10 100 Td (Hello) Tj ET" + b" " * 80_000_000)
    assert len(data) < 200_000
    with pytest.raises(ExtractionError, match="unpacks to more than the allowed size"):
        extract_text(data, "bomb.pdf")


def test_pdf_text_longer_than_the_limit_is_refused():
    with pytest.raises(ExtractionError, match="longer than 100 characters"):
        extract("arabic-statement.pdf", Limits(max_chars=100))


def test_pdf_with_more_pages_than_allowed_is_refused():
    data = _pdf(b"BT /F1 12 Tf 10 100 Td (A short page of text in English) Tj ET")
    assert "A short page of text in English" in extract_text(data, "a.pdf").text
    with pytest.raises(ExtractionError, match="more than 0 pages"):
        extract_text(data, "a.pdf", Limits(max_pages=0))


# --- HTML ---------------------------------------------------------------------------------


def test_saved_ngo_page_keeps_the_letter_and_every_signatory(registry):
    extracted = extract("ngo-joint-letter.html")
    text = extracted.text
    for boilerplate in (
        "cookies",
        "About us",
        "Donate",
        "Related content",
        "newsletter",
        "Follow Us",
        "All rights reserved",
        "Facebook",
        "dataLayer",
    ):
        assert boilerplate not in text
    assert text.startswith("We, the undersigned human rights organisations")
    assert "have access to remedy." in text
    signatories = [
        "Access Now",
        "Gulf Centre for Human Rights (GCHR)",
        "SMEX",
        "Red Line for Gulf",
        "ALQST for Human Rights",
        "Skyline International for Human Rights",
        "Coalition of Free Voices of the Peninsula",
    ]
    lines = text.split("\n")
    for name in signatories:
        assert any(line.endswith(f" {name}") and len(line) < len(name) + 5 for line in lines), name
    assert extracted.title == "Stop the sale of spyware to the Gulf states"
    assert extracted.source == "https://gulfrights.example.org/en/letters/stop-spyware-sales"

    proposal = propose(extracted, "ngo-joint-letter.html", registry)
    document = proposal.document
    assert document.title == "Stop the sale of spyware to the Gulf states"
    assert document.id == "stop-the-sale-of-spyware-to-the-gulf-states"
    assert document.type == "letter"
    assert document.language == "en"
    assert document.date == "2021-07-26"
    assert document.source == extracted.source
    assert document.organisations == (
        "access-now",
        "gchr",
        "smex",
        "red-line-for-gulf",
        "alqst",
        "skyline-international",
    )
    assert proposal.new_organisations == ["Coalition of Free Voices of the Peninsula"]
    assert set(document.countries) == {"AE", "MA", "BH", "SA"}
    assert document.countries[0] == "MA"  # "Morocco" and "Moroccan"
    assert document.people == ("ahmed-mansoor",)
    assert proposal.flags == []


def test_html_that_is_not_html_is_refused():
    with pytest.raises(ExtractionError, match="page.html: this is not an HTML page"):
        extract_text(b"Just a few words of plain text.", "page.html")
    with pytest.raises(ExtractionError, match="page.htm: this is a PNG image file"):
        extract_text(b"\x89PNG\r\n\x1a\n" + bytes(100), "page.htm")


def test_html_page_trafilatura_cannot_read_falls_back_to_the_page_text():
    page = (
        "<html><head><title>Signatories</title></head><body><nav>Home | About</nav>"
        "<table><tr><td>Access Now</td></tr><tr><td>SMEX</td></tr></table>"
        "<footer>Follow us</footer></body></html>"
    )
    text = extract_text(page.encode(), "list.html").text
    assert "Access Now" in text and "SMEX" in text
    assert "Follow us" not in text and "About" not in text


# --- Word ---------------------------------------------------------------------------------


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Letter to the Minister of the Interior"
    document.add_heading("Letter to the Minister of the Interior", level=1)
    document.add_paragraph("Amman, 3 March 2020")
    document.add_paragraph("Dear Minister,")
    document.add_paragraph(
        "We, the undersigned organisations, are writing about the Jordanian activists held "
        "since last week for their posts online. We ask that they be released."
    )
    document.add_paragraph("Signatories")
    table = document.add_table(rows=0, cols=3)
    for row in (
        ("No.", "Organisation", "Country"),
        ("1", "Gulf Center for Humman Rights", "Lebanon"),
        ("2", "JOSA", "Jordan"),
        ("3", "Skyline International for Human Rights", "Sweden"),
        ("4", "Bahrain Freedom Collective", "Bahrain"),
    ):
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    document.add_paragraph("Copied to the Prime Minister.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_paragraphs_and_signatories_table(registry):
    extracted = extract_text(_docx(), "letter.docx")
    text = extracted.text
    assert extracted.format == "docx"
    assert "Dear Minister,\n\nWe, the undersigned organisations" in text
    # Each row a line, cells separated, in document order (the table before the last line).
    assert "1 | Gulf Center for Humman Rights | Lebanon\n2 | JOSA | Jordan" in text
    assert text.index("4 | Bahrain Freedom Collective") < text.index("Copied to the Prime")

    proposal = propose(extracted, "letter.docx", registry)
    document = proposal.document
    assert document.title == "Letter to the Minister of the Interior"
    assert document.type == "letter"
    assert document.date == "2020-03-03"
    # A misspelt name (fuzzy), an acronym and an exact name; the unknown one is proposed.
    assert document.organisations == ("gchr", "josa", "skyline-international")
    assert proposal.new_organisations == ["Bahrain Freedom Collective"]
    # Countries come from the text, not from where the signatories are based.
    assert document.countries == ("JO",)


def test_docx_zip_bomb_is_refused_before_unpacking():
    data = io.BytesIO(_docx())
    with zipfile.ZipFile(data, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("word/media/image1.png", bytes(110 * 1024 * 1024))
    assert len(data.getvalue()) < 1_000_000
    with pytest.raises(ExtractionError, match=r"bomb\.docx: the Word file unpacks to more than"):
        extract_text(data.getvalue(), "bomb.docx")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"PK\x03\x04 not really a zip", "this is not a Word (.docx) file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Word file (.doc)"),
        (b"Some plain text", "this is not a Word (.docx) file"),
    ],
)
def test_files_that_are_not_docx_are_refused(data, message):
    with pytest.raises(ExtractionError, match=rf"^report\.docx: .*{re.escape(message)}"):
        extract_text(data, "report.docx")


def test_zip_without_a_word_document_is_refused():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("content.xml", "<office:document/>")
    with pytest.raises(ExtractionError, match="not a Word"):
        extract_text(data.getvalue(), "report.DOCX")


# --- Text files and encodings -------------------------------------------------------------


def test_windows_1256_arabic_text(registry):
    extracted = extract("arabic-cp1256.txt")
    assert extracted.encoding == "cp1256"
    assert "تدين المنظمات الموقّعة أدناه احتجاز ثلاثة ناشطين أردنيين" in extracted.text
    assert "\r" not in extracted.text
    proposal = propose(extracted, "arabic-cp1256.txt", registry)
    assert proposal.document.language == "ar"
    assert proposal.document.date == "2020-03-03"  # 3 آذار 2020
    assert proposal.document.organisations == ("gchr", "josa", "rsf")
    # عمان is Amman here, not Oman: the archivist is told to check.
    assert any("Oman or the city of Amman" in m for m in flagged(proposal, "countries"))


def test_windows_1252_french_text(registry):
    extracted = extract("french-cp1252.txt")
    assert extracted.encoding == "cp1252"
    assert "l’œuvre d’un journaliste" in extracted.text
    assert "« Ce verdict est un coup porté" in extracted.text
    proposal = propose(extracted, "french-cp1252.txt", registry)
    document = proposal.document
    assert (document.language, document.type, document.date) == ("fr", "statement", "2020-03-01")
    assert document.title == "Communiqué de presse"
    assert document.id == "communique-de-presse"
    assert document.organisations == ("rsf", "fidh", "amji")
    assert document.countries == ("MA",)
    assert document.people == ("omar-radi",)


def test_utf16_with_bom(registry):
    extracted = extract("utf16-statement.txt")
    assert extracted.encoding == "utf-16"
    assert "Ahmed Mansoor (أحمد منصور) has now spent" in extracted.text
    proposal = propose(extracted, "utf16-statement.txt", registry)
    assert proposal.document.date == "2021-07-26"
    assert proposal.document.type == "statement"
    assert proposal.document.people == ("ahmed-mansoor",)


def test_big_endian_utf16_and_utf8_with_bom():
    text = "Déclaration commune — بيان مشترك"
    extracted = extract_text("\ufeff".encode("utf-16-be") + text.encode("utf-16-be"), "a.txt")
    assert (extracted.text, extracted.encoding) == (text, "utf-16")
    extracted = extract_text(b"\xef\xbb\xbf" + text.encode("utf-8"), "a.txt")
    assert (extracted.text, extracted.encoding) == (text, "utf-8")


def test_markdown_front_matter_is_used_and_not_part_of_the_body(registry):
    extracted = extract("utf8-bom-letter.md")
    assert extracted.format == "md"
    assert extracted.front_matter["title"] == "Lettre conjointe sur la surveillance au Maroc"
    assert extracted.text.startswith("Nous, organisations soussignées")
    document = propose(extracted, "utf8-bom-letter.md", registry).document
    assert document.title == "Lettre conjointe sur la surveillance au Maroc"
    assert (document.type, document.language, document.date) == ("letter", "fr", "2021-07-26")
    assert document.countries == ("MA",)
    assert document.organisations == ("access-now",)


def test_markdown_with_broken_front_matter_is_refused():
    with pytest.raises(ExtractionError, match=r"^notes\.md: front matter: invalid YAML"):
        extract_text(b"---\ntitle: [unclosed\n---\nBody text.\n", "notes.md")


# --- Hostile or broken input --------------------------------------------------------------


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "empty.txt", "empty.txt: the file is empty"),
        (b"", "empty.pdf", "empty.pdf: the file is empty"),
        (b"hello, I am not a PDF", "fake.pdf", "fake.pdf: this is not a PDF file"),
        (bytes(range(256)) * 20, "junk.txt", "junk.txt: this looks like binary data"),
        (b"%PDF-1.7\n%%EOF garbage", "broken.pdf", "broken.pdf: the PDF cannot be read"),
        (b"%PDF-1.4\n" + b"\x00" * 5, "broken.pdf", "broken.pdf: the PDF cannot be read"),
        (b"%PDF-1.4 pretending", "report.txt", "report.txt: this is a PDF file, not a text"),
        (b"\n\n \t \n", "blank.md", "blank.md: no text found"),
        (b"MZ\x90\x00", "setup.exe", "setup.exe: files of this type cannot be added"),
        (b"\xff\xfeA\x00\x00\xd8", "bad.txt", "bad.txt: the file says it is UTF-16 but is not"),
    ],
)
def test_hostile_inputs_give_a_clear_error(data, name, message):
    with pytest.raises(ExtractionError) as error:
        extract_text(data, name)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_truncated_pdf_gives_a_clear_error():
    data = (FILES / "arabic-statement.pdf").read_bytes()
    with pytest.raises(ExtractionError, match="truncated.pdf: "):
        extract_text(data[: len(data) // 3], "truncated.pdf")


def test_file_over_the_size_limit_is_refused_before_reading():
    with pytest.raises(ExtractionError, match="larger than"):
        extract_text(b"x" * 2000, "big.txt", Limits(max_bytes=1000))


def test_nul_bytes_bidi_controls_and_spacing_are_cleaned():
    raw = (
        "\u202bبيان\u202c\x00 صحفي\r\n\r\n\r\n\r\nFirst\u200e   line\t\tends\x07 here  \r\n"
        "second\u2066 line\u2069\x0c\n\n\nLast\u061c paragraph\u200f"
    )
    extracted = extract_text(raw.encode("utf-8"), "dirty.txt")
    assert extracted.text == ("بيان صحفي\n\nFirst line ends here\nsecond line\n\nLast paragraph")


def test_eight_bit_guess():
    from archive.extract import guess_8bit_encoding

    assert guess_8bit_encoding("مرحبا بالعالم، هذا نص عربي".encode("cp1256")) == "cp1256"
    assert guess_8bit_encoding("Élan, déjà vu, façade, œuvre".encode("cp1252")) == "cp1252"


# --- Repeated blocks ----------------------------------------------------------------------


def test_repeated_block_is_found_and_kept_once(registry):
    extracted = extract("repeated-joint-letter.txt")
    assert extracted.text.count("We, the undersigned organisations") == 2
    proposal = propose(extracted, "repeated-joint-letter.txt", registry)
    [block] = proposal.repeated_blocks
    assert block.count == 2
    assert "We, the undersigned organisations" in block.text
    assert block.text.endswith("Sinai Foundation for Human Rights (SFHR)")
    assert len(block.text.split()) > 100
    body = proposal.deduplicated_body
    assert body.count("We, the undersigned organisations") == 1
    assert body.count("Sinai Foundation for Human Rights (SFHR)") == 1
    assert "This page gathers our work" in body and body.endswith("email address below")
    # The archivist chooses whether to keep the repeat; the title and the
    # "Date:" line above the text are left out of it either way.
    heading, text = extracted.text.split("Date: 12 March 2024\n", 1)
    assert heading.strip() == proposal.document.title
    assert proposal.document.body == text.lstrip()
    assert len(flagged(proposal, "body")) == 2
    # The run-together list is cut at the names the registry knows.
    assert proposal.document.organisations[:4] == (
        "amnesty-international",
        "cihrs",
        "eipr",
        "hrw",
    )
    assert proposal.new_organisations == ["Sinai Foundation for Human Rights (SFHR)"]
    assert proposal.document.date == "2024-03-12"


ARABIC_NOTE = "بيان مشترك بشأن مراقبة الصحفيين\n\nعمّان، 26 تموز 2021\n\n{body}\n"


def test_the_title_and_dateline_lines_leave_the_body(registry):
    body = "تدعو المنظمات الموقعة أدناه إلى وقف استخدام برامج التجسس ضد الصحفيين."
    proposal = proposal_for(ARABIC_NOTE.format(body=body), registry)
    document = proposal.document
    assert (document.title, document.date) == ("بيان مشترك بشأن مراقبة الصحفيين", "2021-07-26")
    assert document.body == body  # paragraph 1 is the text's first paragraph
    [flag] = [f for f in proposal.flags if f.field == "body"]
    assert "عمّان، 26 تموز 2021" in flag.render("ar") and flag.render("ar").startswith("النص:")
    # A first line that is neither stays (the file declares another title), and
    # so does a text that would be nothing but its title.
    kept = "Press freedom in the region\n\nThe courts sentenced two journalists."
    declared = Extracted(kept, "html", "utf-8", title="Two journalists sentenced")
    assert propose(declared, "page.html", registry).document.body == kept
    alone = "Omar Radi was arrested in July 2020 and sentenced in July 2021."
    assert proposal_for(alone, registry).document.body == alone


def test_short_repeats_are_not_blocks():
    text = "Free them now. " * 30  # 90 words, but repeats of 3
    assert find_repeated_blocks(" ".join(f"w{i}" for i in range(200)))[0] == []
    blocks, body = find_repeated_blocks(text)
    assert body is None or len(body.split()) >= 49


def test_block_repeated_three_times():
    passage = " ".join(f"word{i}" for i in range(60))
    blocks, body = find_repeated_blocks(f"Intro.\n\n{passage}\n\n{passage}\n\n{passage}\n\nEnd.")
    assert [(b.text, b.count) for b in blocks] == [(passage, 3)]
    assert body == f"Intro.\n\n{passage}\n\nEnd."


# --- Dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Date : Monday, 26 July, 2021", "2021-07-26"),
        ("Published on July 26, 2021.", "2021-07-26"),
        ("It happened on 9th July 2021 in Rabat.", "2021-07-09"),
        ("Paris, le 1er mars 2020", "2020-03-01"),
        ("Fait à Tunis, le 26 juillet 2021", "2021-07-26"),
        ("Genève, 3 décembre 2019", "2019-12-03"),
        ("القاهرة في 26 يوليو 2021", "2021-07-26"),  # Egypt
        ("القاهرة في ٢٦ يونيه ٢٠٢١", "2021-06-26"),  # Egyptian spelling, Arabic-Indic digits
        ("بيروت، 26 تموز 2021", "2021-07-26"),  # Levant
        ("بغداد 1 كانون الثاني 2022", "2022-01-01"),  # Iraq, two-word month
        ("دمشق في 15 تشرين الأول 2020", "2020-10-15"),
        ("الجزائر في ٢٦ جويلية ٢٠٢١", "2021-07-26"),  # Maghreb
        ("تونس في 14 جانفي 2011", "2011-01-14"),
        ("الرباط في 19 يوليوز 2021", "2021-07-19"),  # Morocco
        ("الرباط في 3 غشت 2020", "2020-08-03"),
        ("الرباط، 10 دجنبر 2019", "2019-12-10"),
        ("عمّان، 26 تموز/يوليو 2021م", "2021-07-26"),
        ("التاريخ: 2021-07-26", "2021-07-26"),
        ("Ref. 2021/7/26", "2021-07-26"),
        ("Tunis, 25/12/2020", "2020-12-25"),
    ],
)
def test_dates_in_three_languages(text, expected, registry):
    assert find_dates(text)[0].value == expected
    proposal = proposal_for(f"{text}\n\nA short text follows the date line here.", registry)
    assert proposal.document.date == expected
    assert not flagged(proposal, "date")


def test_ambiguous_numeric_date_is_flagged(registry):
    proposal = proposal_for("Statement\n\nBeirut, 03/04/2021\n\nWe condemn the arrest.", registry)
    assert proposal.document.date == "2021-04-03"
    [message] = flagged(proposal, "date")
    assert "03/04/2021" in message and "day/month or month/day" in message


def test_labelled_date_wins_and_several_dates_are_flagged(registry):
    text = (
        "He was arrested on 9 May 2020 and sentenced on 19 July 2021 to six years.\n\n"
        "Date: 26 July 2021"
    )
    assert proposal_for(text, registry).document.date == "2021-07-26"
    unlabelled = text.replace("Date: 26 July 2021", "The appeal is set for 1 December 2021.")
    proposal = proposal_for(unlabelled, registry)
    assert proposal.document.date == "2020-05-09"
    [message] = flagged(proposal, "date")
    assert "2020-05-09, 2021-07-19, 2021-12-01" in message


def test_no_date_is_flagged(registry):
    proposal = proposal_for("A statement without any date at all.", registry)
    assert proposal.document.date == ""
    assert flagged(proposal, "date")
    assert proposal.document.id == "a-statement-without-any-date-at-all"


def test_impossible_dates_are_ignored():
    assert find_dates("31 February 2021, 45/13/2020, 2021-13-40") == []


# --- Language, type -----------------------------------------------------------------------


def test_language_of_each_text(registry):
    english = "The authorities have arrested the journalist and they must release him."
    french = "Les autorités ont arrêté le journaliste et elles doivent le libérer."
    arabic = "اعتقلت السلطات الصحفي ويجب عليها الإفراج عنه فوراً ودون شروط."
    for text, language in ((english, "en"), (french, "fr"), (arabic, "ar")):
        proposal = proposal_for(text, registry)
        assert proposal.document.language == language
        assert not flagged(proposal, "language")
    shares = language_shares(f"{english} {arabic}")
    assert shares["en"] > 0.4 and shares["ar"] > 0.4
    mixed = proposal_for(f"{english}\n\n{arabic}", registry)
    [flag] = [f for f in mixed.flags if f.field == "language"]
    message = flag.render("en")
    assert message.startswith("Language: The text mixes languages: ")
    assert "Arabic" in message and "English" in message and "%" in message
    arabic_message = flag.render("ar")
    assert "العربية" in arabic_message and "الإنجليزية" in arabic_message
    assert not re.search("[A-Za-z]", arabic_message)
    assert "French" not in message  # a language with no share is not listed at 0%


@pytest.mark.parametrize(
    "text, expected",
    [
        ("We, the undersigned organisations, urge you to act.\n\nSigned by:\n\nSMEX", "letter"),
        ("Dear Minister,\n\nWe write to you about the trial.", "letter"),
        ("Nous, organisations soussignées, demandons sa libération.", "letter"),
        ("المنظمات الموقعة:\n\nسمكس", "letter"),
        ("Joint statement: the spyware trade must stop now.", "statement"),
        ("Déclaration sur la surveillance des journalistes.", "statement"),
        ("بيان حول المراقبة الرقمية للصحفيين", "statement"),
        ("He was arrested in May and sentenced in July on charges of espionage.", "case"),
        ("Il a été arrêté puis condamné à six ans lors d'un procès inéquitable.", "case"),
        ("اعتقل الصحفي في أيار ثم حكم عليه بالسجن ست سنوات بعد محاكمة.", "case"),
        # A salutation, an addressee, a closing formula: a letter, whatever it tells.
        (
            "Dear Minister,\n\nWe are writing about journalist Omar Radi, arrested in July 2020 "
            "and sentenced to six years in prison after an unfair trial.\n\nYours sincerely,",
            "letter",
        ),
        (
            "H.E. Mr. Ayman Safadi\nMinister of Foreign Affairs\n\nRe: Detained teachers\n\n"
            "We urge your government to release the members of the Teachers' Syndicate.",
            "letter",
        ),
        (
            "Madame la Ministre,\n\nNous vous écrivons au sujet de trois journalistes détenus.\n\n"
            "Veuillez agréer, Madame la Ministre, l'expression de notre haute considération.",
            "letter",
        ),
        (
            "معالي وزير الداخلية المحترم،\n\nتحية طيبة وبعد،\n\nنكتب إليكم بشأن احتجاز ثلاثة "
            "ناشطين.\n\nوتفضلوا بقبول فائق الاحترام.",
            "letter",
        ),
        (
            "Lettre ouverte au Président de la République\n\nNous, organisations soussignées…",
            "letter",
        ),
        ("This joint letter, signed by 40 organisations, asks states to stop the trade.", "letter"),
        # The type named at the top outweighs "we, the undersigned" and a list of signatories.
        (
            "بيان مشترك\n\nتدين المنظمات الموقعة أدناه احتجاز المدافع أحمد منصور.\n\n"
            "المنظمات الموقعة:\nمركز الخليج لحقوق الإنسان\nسمكس",
            "statement",
        ),
        (
            "FOR IMMEDIATE RELEASE\n\nBahrain: court upholds life sentences of defenders",
            "statement",
        ),
        (
            "Communiqué de presse\n\nLes organisations signataires dénoncent le verdict.",
            "statement",
        ),
        # An imperative headline after a country's name, an organisation quoted.
        (
            "Egypt: Release Alaa Abd El-Fattah now\n\nThe authorities must release the activist, "
            "held in prison since 2019. “His detention is a disgrace,” said his sister.",
            "statement",
        ),
        (
            "Maroc : libérez le journaliste Omar Radi\n\nIl a été condamné à six ans de prison. "
            "« Sa place n'est pas en prison », a déclaré la directrice de l'organisation.",
            "statement",
        ),
        ("السعودية: أفرجوا عن الناشطة لجين الهذلول\n\nاعتُقلت الناشطة عام 2018.", "statement"),
        ("Tunisia: Authorities must drop charges against critics", "statement"),
        # A person's name and what they are, case fields.
        (
            "Loujain al-Hathloul\n\nStatus: Released\nCharges: Seeking to change the system\n\n"
            "She was arrested in May 2018.",
            "case",
        ),
        (
            "محمد الركن\n\nالتهم: قلب نظام الحكم\nالحكم: السجن عشر سنوات\n\nاعتُقل عام 2012.",
            "case",
        ),
        ("Abdulhadi Al-Khawaja\n\nChefs d'accusation : terrorisme\nPeine : perpétuité", "case"),
        (
            "Nabeel Rajab: Bahraini human rights defender released after four years\n\n"
            "He was released on 9 June 2020 after serving most of a five-year sentence.",
            "case",
        ),
        (
            "Ahmed Mansoor\n\nAhmed Mansoor is an Emirati human rights defender. He was "
            "arrested in March 2017.",
            "case",
        ),
        ("هشام المنصوري\n\nهشام المنصوري صحفي استقصائي مغربي طلب اللجوء في فرنسا.", "case"),
        ("Omar Radi\n\nOmar Radi est un journaliste marocain condamné à six ans.", "case"),
    ],
)
def test_type_from_cues(text, expected, registry):
    assert proposal_for(text, registry).document.type == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # What the issue reported: a joint statement proposed as a letter.
        (
            "بيان مشترك: أوقفوا بيع تقنيات المراقبة\n\nنحن، المنظمات الموقّعة أدناه، ندعو إلى "
            "وقف فوري لبيعها.\n\nالمنظمات الموقّعة:\n1. سمكس\n2. مركز الخليج لحقوق الإنسان",
            "statement",
        ),
        ("Dear Minister,\n\nWe write to you about the trial.", "letter"),
        ("Statement on the trial of Ahmed Mansoor\n\nWe call for his release.", "statement"),
        (
            "Omar Radi: Moroccan journalist sentenced to six years\n\nOmar Radi is a Moroccan "
            "journalist. He was arrested in July 2020.",
            "case",
        ),
    ],
)
def test_clear_type_is_not_flagged(text, expected, registry):
    proposal = proposal_for(text, registry)
    assert proposal.document.type == expected
    assert not flagged(proposal, "type")


@pytest.mark.parametrize(
    "text, expected",
    [
        # What the issue reported: a statement proposed as a letter without a warning. An
        # imperative headline says statement, "we, the undersigned" and a list say letter.
        (
            "Jordan: Stop using spyware against activists\n\nWe, the undersigned organisations, "
            "call on the Jordanian authorities to stop using spyware.\n\nSigned by:\nSMEX\nJOSA",
            "statement",
        ),
        # A list of signatories alone: joint statements have them too.
        ("المنظمات الموقعة:\n\nسمكس", "letter"),
        ("Signatories:\n\nAccess Now\nSMEX", "letter"),
        # A case's events, which letters and statements tell too.
        ("He was arrested in May and sentenced in July on charges of espionage.", "case"),
        # The type named in the title, but a salutation below it.
        ("Joint statement\n\nDear Minister,\n\nWe ask you to act.", "letter"),
    ],
)
def test_weak_or_conflicting_type_is_flagged(text, expected, registry):
    proposal = proposal_for(text, registry)
    assert proposal.document.type == expected
    assert flagged(proposal, "type") == [f"Unsure of the type ({expected} assumed); check it."]


def test_type_without_cues_is_flagged(registry):
    proposal = proposal_for("Some words about the weather in spring.", registry)
    assert proposal.document.type == "statement"
    assert flagged(proposal, "type") == ["No cue for the type; statement was assumed."]


def test_case_proposes_subject_and_status(registry):
    text = "Omar Radi was arrested in July 2020. He was sentenced on 19 July 2021 to six years."
    document = proposal_for(text, registry).document
    assert (document.type, document.subject, document.status) == ("case", "omar-radi", "sentenced")


# --- Countries, organisations, people -----------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The Moroccan authorities and the Emirati government.", ("MA", "AE")),
        ("Les autorités marocaines et le gouvernement émirien.", ("MA", "AE")),
        ("السلطات المغربية والحكومة الإماراتية", ("MA", "AE")),
        ("Egypt, Égypte, مصر and the Egyptian courts; Bahrain once.", ("EG", "BH")),
        ("تقرير عن سلطنة عمان والعمانيين", ("OM",)),
    ],
)
def test_countries_and_demonyms_in_three_languages(text, expected, registry):
    proposal = proposal_for(text, registry)
    assert proposal.document.countries == expected
    assert not flagged(proposal, "countries")


def test_country_codes_and_short_words_are_not_countries(registry):
    text = "It is in the IN tray, said MA; being so, it is to be done on time."
    assert proposal_for(text, registry).document.countries == ()


def test_oman_or_amman_is_flagged_in_arabic(registry):
    proposal = proposal_for("عقد المؤتمر الصحفي في عمان يوم الأحد.", registry)
    assert proposal.document.countries == ("OM",)
    [message] = flagged(proposal, "countries")
    assert message.startswith("عمان may mean Oman or the city of Amman")
    # Written with its marks, the word is one or the other and nothing is asked.
    city = proposal_for("عقد المؤتمر الصحفي في عمّان يوم الأحد.", registry)
    assert city.document.countries == () and not flagged(city, "countries")
    country = proposal_for("عقد المؤتمر الصحفي في عُمان يوم الأحد.", registry)
    assert country.document.countries == ("OM",) and not flagged(country, "countries")


def test_signatories_matched_exactly_by_acronym_and_by_close_spelling(registry):
    text = (
        "We, the undersigned, call for his release.\n\n"
        "Signatories:\n\n"
        "1. Reporters Without Border\n"  # a letter missing
        "2. HRW\n"  # an acronym
        "3. Syrian Center for Democracy and Civil Rights in Syria\n"
        "4. El Nadim center for rehabilitation of victims of violence, Egypt\n"
        "5. Oman Association for Human Rights (OAHR)\n"
        "6. Collectif des familles de disparus au Nord\n"
        "\nFollow Us:\n"
    )
    proposal = proposal_for(text, registry)
    assert proposal.document.organisations == ("rsf", "hrw", "scdcr", "el-nadim-center", "oahr")
    assert proposal.new_organisations == ["Collectif des familles de disparus au Nord"]
    # Where signatories are based is not what the letter is about.
    assert proposal.document.countries == ()


def test_arabic_and_french_signatory_lists(registry):
    arabic = "الموقعون:\n- مراسلون بلا حدود\n- القسط لحقوق الإنسان\n- منظمة جديدة للحقوق"
    proposal = proposal_for(arabic, registry)
    assert proposal.document.organisations == ("rsf", "alqst")
    assert proposal.new_organisations == ["منظمة جديدة للحقوق"]
    french = "Signataires : Access Now, SMEX, Ligne rouge pour le Golfe, Association Inconnue"
    proposal = proposal_for(french, registry)
    assert proposal.document.organisations == ("access-now", "smex", "red-line-for-gulf")
    assert proposal.new_organisations == ["Association Inconnue"]


def test_match_organisation_is_conservative(registry):
    assert match_organisation("Gulf Centre for Human Rights (GCHR)", registry).id == "gchr"
    assert match_organisation("ACAT Belgique (Action by Christians…)", registry).id == (
        "acat-belgique"
    )
    assert match_organisation("مركز الخليج لحقوق الانسان", registry).id == "gchr"
    assert match_organisation("Egyptian Centre for Human Rights", registry) is None
    assert match_organisation("Arab Network for Human Rights Information", registry) is None


def test_organisations_named_in_the_body(registry):
    text = (
        "Amnesty International and Citizen Lab found NSO Group's spyware; the UN and the EU "
        "were told. Un rapport de l'ONU. Un autre mot: masaar, مسار الحوار."
    )
    organisations = proposal_for(text, registry).document.organisations
    assert organisations == (
        "united-nations",  # named twice: the UN, l'ONU (never the article « un »)
        "amnesty-international",
        "citizen-lab",
        "nso-group",
        "european-union",
    )


def test_people_in_both_scripts(registry):
    text = (
        "Ahmed Mansoor remains in prison; أحمد منصور معتقل منذ 2017. "
        "خاشقجي قُتل في إسطنبول. Raissouni was sentenced. "
        "A man called منصور and a Mr mansoor are not enough."
    )
    people = proposal_for(text, registry).document.people
    assert people == ("ahmed-mansoor", "jamal-khashoggi", "soulaimane-raissouni")
    # A surname shared by two people names neither on its own.
    assert "abdullah-khashoggi" not in people


def test_slug():
    assert slug("Égypte : libérez-les !", "2021-07-26", "fr") == "egypte-liberez-les"
    assert slug("بيان مشترك", "2021-07-26", "ar") == "byn-mshtrk"
    assert slug("«!»", "2021-07-26", "ar") == "document-2021-07-26-ar"
    assert slug("…", "", "ar") == "document-ar"
    long = slug("الإفراج عن الصحفي عمر الراضي فوراً ودون شروط وإنهاء الملاحقات", "", "ar")
    assert len(long) <= 60 and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", long)
