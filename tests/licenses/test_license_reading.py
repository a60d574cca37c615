"""Reading licence files in odd encodings and shapes without ever raising."""

from __future__ import annotations

import codecs
import time
from pathlib import Path

from scanner.licenses import identify_text, read_license_text
from scanner.licenses.catalog import reference_text
from scanner.licenses.reading import MAX_LICENSE_BYTES
from scanner.report.model import Severity

APACHE = reference_text("texts/apache-2.0.txt")
QWEN = reference_text("texts/qwen.txt")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_utf8_is_read_as_is(tmp_path: Path) -> None:
    read = read_license_text(write(tmp_path, "LICENSE", QWEN.encode("utf-8")))
    assert read.text == QWEN and read.encoding == "utf-8" and read.problem is None
    assert not read.truncated and not read.was_html


def test_utf16_with_byte_order_marks(tmp_path: Path) -> None:
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        read = read_license_text(write(tmp_path, f"LICENSE-{codec}", bom + QWEN.encode(codec)))
        assert read.encoding == "utf-16" and read.problem is None
        assert identify_text(read.text, source=read.path).license_id == "qwen"


def test_utf16_without_byte_order_mark(tmp_path: Path) -> None:
    read = read_license_text(write(tmp_path, "LICENSE", APACHE.encode("utf-16-le")))
    assert read.encoding == "utf-16-le"
    assert identify_text(read.text, source=read.path).license_id == "apache-2.0"


def test_utf8_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    read = read_license_text(write(tmp_path, "LICENSE", codecs.BOM_UTF8 + b"MIT License"))
    assert read.text == "MIT License" and read.encoding == "utf-8-sig"


def test_latin1_and_cp1252_fall_back(tmp_path: Path) -> None:
    latin1 = "Licence accordée à Société Générale — «sans garantie».".replace("—", "-")
    read = read_license_text(write(tmp_path, "LICENSE", latin1.encode("latin-1")))
    assert read.text == latin1 and read.encoding in {"cp1252", "latin-1"}
    curly = "“Licensed” under the ‘Apache’ License"
    read = read_license_text(write(tmp_path, "LICENSE.txt", curly.encode("cp1252")))
    assert read.text == curly and read.encoding == "cp1252"
    undefined_in_cp1252 = b"abc \x81 def"
    read = read_license_text(write(tmp_path, "LICENSE.bin", undefined_in_cp1252))
    assert read.encoding == "latin-1" and read.text == "abc \x81 def"


def test_an_html_licence_page_is_reduced_to_its_text(tmp_path: Path) -> None:
    paragraphs = "".join(f"<p>{p.replace('&', '&amp;')}</p>\n" for p in QWEN.split("\n") if p.strip())
    page = (
        "<!DOCTYPE html><html><head><title>License</title><style>p {color: red}</style>"
        "<script>var licence = 'MIT';</script></head><body><nav>Home</nav>"
        f"<main>{paragraphs}</main></body></html>"
    )
    read = read_license_text(write(tmp_path, "LICENSE.html", page.encode("utf-8")))
    assert read.was_html
    assert "<p>" not in read.text and "color: red" not in read.text and "var licence" not in read.text
    result = identify_text(read.text, source=read.path)
    assert result.license_id == "qwen" and not result.modified


def test_an_empty_licence_is_reported(tmp_path: Path) -> None:
    read = read_license_text(write(tmp_path, "LICENSE", b""))
    assert read.text == "" and read.size == 0
    assert read.problem is not None and read.problem.code == "license.empty"
    assert read.problem.severity is Severity.WARNING
    blank = read_license_text(write(tmp_path, "LICENSE.md", b" \n\t\n"))
    assert blank.problem is not None and blank.problem.message.endswith("contains no text")


def test_a_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    read = read_license_text(tmp_path / "absent", name="LICENSE")
    assert read.problem is not None and read.problem.code == "file.unreadable"
    assert read.problem.message.startswith("LICENSE: cannot be read")


def test_a_binary_file_is_not_treated_as_text(tmp_path: Path) -> None:
    read = read_license_text(write(tmp_path, "LICENSE", bytes(range(256)) * 8))
    assert read.text == ""
    assert read.problem is not None and read.problem.code == "license.binary"


def test_a_50mb_file_is_read_only_up_to_the_cap_in_bounded_time(tmp_path: Path) -> None:
    path = tmp_path / "LICENSE"
    chunk = ("This file keeps going and going, line after line of filler text. " * 16 + "\n").encode()
    with open(path, "wb") as handle:
        handle.write(QWEN.encode("utf-8"))
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(chunk)
    start = time.perf_counter()
    read = read_license_text(path)
    result = identify_text(read.text, source=read.path)
    elapsed = time.perf_counter() - start
    assert read.truncated and read.bytes_read == MAX_LICENSE_BYTES and read.size >= 50 * 1024 * 1024
    assert read.problem is not None and read.problem.code == "license.too-large"
    assert f"first {MAX_LICENSE_BYTES} bytes used" in read.problem.message
    assert result.license_id == "qwen" and result.modified
    assert elapsed < 5


def test_a_character_cut_by_the_cap_is_dropped_not_mangled(tmp_path: Path) -> None:
    data = ("Licence " + "é" * 10).encode("utf-8")
    read = read_license_text(write(tmp_path, "LICENSE", data), limit=len(data) - 1)
    assert read.encoding == "utf-8" and read.text == "Licence " + "é" * 9 and read.truncated


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{p.replace('&', '&amp;')}</p>\n" for p in text.split("\n") if p.strip())


def test_a_saved_hub_page_is_reduced_to_its_article(tmp_path: Path) -> None:
    llama = reference_text("texts/llama-3.1.txt")
    page = (
        "<!doctype html><html><head><title>LICENSE · meta-llama/Llama-3.1-8B at main</title></head><body>"
        "<header><a href='/'>Hugging Face</a><nav><a>Models</a><a>Datasets</a><a>Log In</a></nav></header>"
        "<div><h1>meta-llama/Llama-3.1-8B</h1><span>like 1.2k</span><span>Text Generation</span></div>"
        f"<div>main / LICENSE</div><div>7.63 kB</div><article>{_paragraphs(llama)}</article>"
        "<footer><a>Terms of service</a><a>Privacy</a> © Hugging Face</footer></body></html>"
    )
    read = read_license_text(write(tmp_path, "LICENSE.html", page.encode("utf-8")))
    assert read.was_html and "Hugging Face" not in read.text and "7.63 kB" not in read.text
    result = identify_text(read.text, source=read.path)
    assert result.license_id == "llama-3.1" and not result.modified, result.changes


def test_without_an_article_menus_and_footers_are_dropped_and_inline_elements_do_not_glue(tmp_path: Path) -> None:
    mit = reference_text("texts/mit.txt")
    page = (
        "<html><body><nav><ul><li>Home</li><li>Blog</li></ul></nav><aside>Share this page</aside>"
        f"<h1><span>MIT</span><span>License</span></h1><div>{_paragraphs(mit)}</div>"
        "<footer>Subscribe to our newsletter</footer><p>The <em>Licensor</em>'s terms.</p></body></html>"
    )
    text = read_license_text(write(tmp_path, "LICENSE.html", page.encode("utf-8"))).text
    assert text.startswith("MIT License\n") and "Home" not in text and "Share" not in text and "newsletter" not in text
    assert text.endswith("The Licensor's terms.")
    result = identify_text(text[: text.index("The Licensor")], source="LICENSE.html")
    assert result.license_id == "mit" and not result.modified, result.changes


def test_a_pre_block_is_the_document_only_when_it_holds_most_of_the_page(tmp_path: Path) -> None:
    apache = reference_text("texts/apache-2.0.txt")
    raw_view = f"<html><body><div>Raw file · 11.4 kB · Download</div><pre>{apache}</pre></body></html>"
    read = read_license_text(write(tmp_path, "LICENSE.html", raw_view.encode("utf-8")))
    assert not read.text.startswith("Raw file")
    assert identify_text(read.text, source=read.path).expression == "Apache-2.0"
    sample = f"<html><body>{_paragraphs(QWEN)}<pre>pip install qwen</pre></body></html>"
    read = read_license_text(write(tmp_path, "LICENSE2.html", sample.encode("utf-8")))
    assert identify_text(read.text, source=read.path).license_id == "qwen"


def test_utf16_with_a_byte_order_mark_and_an_odd_length_is_text(tmp_path: Path) -> None:
    for data in (codecs.BOM_UTF16_LE + APACHE.encode("utf-16-le") + b"\n", APACHE.encode("utf-16-le") + b"x"):
        read = read_license_text(write(tmp_path, "LICENSE", data))
        assert read.problem is None and read.encoding.startswith("utf-16")
        assert identify_text(read.text, source=read.path).license_id == "apache-2.0"
