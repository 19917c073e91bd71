"""The printable certificate (node/render): a genuine bundle becomes one A4 page whose QR code a real decoder reads,
whose attached credential.json is the bundle byte for byte (read back with pypdf, not the library that wrote it), and
that prints only what the bundle shows.

Rasterising needs poppler's ``pdftoppm`` (Debian ``poppler-utils``; ``make setup`` installs it as root or under CI):
under ``CI=true`` a missing one fails these tests, elsewhere they skip saying how to install it; the same for the DejaVu
fonts (Debian ``fonts-dejavu-core``) the renderer prints with.
``CREDREG_SCREENSHOTS=update`` rewrites docs/screenshots/certificate.png (else it is written only when missing).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from node.config import PROJECT_ROOT
from node.credentials.bundle import AnchorInfo, batch_tree, dumps_bundle, make_bundles
from node.credentials.document import build_document, disclose
from node.credentials.reader import BundleReadError
from node.render import ATTACHMENT_NAME, DEVNET_TEXT, CertificateError, render_certificate
from node.render.page import FONT_DIR, FONTS
from tests.samples import VALID, za_id

VECTORS = PROJECT_ROOT / "tests" / "vectors"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
ANCHOR = AnchorInfo(31_337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", bytes(range(32)), 1_204)
VERIFY_URL = "https://verify.example.ac.za/verify?id=urn:uuid:1f0c7d6e-2b9a-4c3e-8d5f-6a7b8c9d0e1f"
ACCREDITATION = [
    "Accredited by Council on Higher Education (body 1) on chain 31337, for formal qualifications up to NQF level 10",
    "Council on Higher Education accredited by the registry's governance (2 of 3 governors)",
]
DPI = 150
MM_PER_PX = 25.4 / DPI


# --- helpers ----------------------------------------------------------------------------------------------------


def _missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message + " — under CI=true this fails the run")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _fonts() -> None:
    missing = [name for name in FONTS.values() if not (FONT_DIR / name).is_file()]
    if missing:
        _missing(
            f"the DejaVu fonts are missing from {FONT_DIR} ({', '.join(missing)}): install fonts-dejavu-core "
            "(`apt-get install -y fonts-dejavu-core` as root; `make setup` does it when it can)"
        )


def issue(type_name: str, subject: dict[str, Any], **kwargs: Any) -> str:
    """An anchored bundle's file text, as the holder gets it."""
    document = build_document(
        type_name,
        subject,
        issuer_id="did:web:uni.example.ac.za",
        valid_from=dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC),
        **kwargs,
    )
    [bundle] = make_bundles([document], batch_tree([document]), ANCHOR)
    return dumps_bundle(bundle)


def formal(**changes: Any) -> dict[str, Any]:
    subject = json.loads(json.dumps(VALID["formal-qualification"]))
    for key, value in changes.items():
        if key in ("title", "nqfLevel", "credits"):
            subject["qualification"][key] = value
        elif key == "name":
            subject["learner"]["name"] = value
        else:
            subject[key] = value
    return subject


def render(text: str, **kwargs: Any) -> bytes:
    kwargs.setdefault("verify_url", VERIFY_URL)
    kwargs.setdefault("accreditation", ACCREDITATION)
    return render_certificate(text, **kwargs)


def page_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """The text with its line breaks (where a long text wrapped) as spaces."""
    return " ".join(text.split())


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        message = (
            "pdftoppm is missing: install poppler-utils (`apt-get update && apt-get install -y poppler-utils` as "
            "root; `make setup` does it when it can)"
        )
        _missing(message)
    assert found is not None
    return found


def rasterise(pdf: bytes, dpi: int = DPI) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "certificate.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [pdftoppm(), "-r", str(dpi), "-png", "-singlefile", str(source), str(Path(tmp) / "page")],
            check=True,
            capture_output=True,
            timeout=120,
        )
        with Image.open(Path(tmp) / "page.png") as image:
            return image.convert("RGB")


def margin_is_blank(image: Image.Image, mm: float = 9.0) -> bool:
    """Nothing drawn in the outer ``mm`` of the page (the frame sits at 10 mm): no text ran off its place."""
    grey = image.convert("L")
    edge = round(mm / MM_PER_PX)
    w, h = grey.size
    strips = [(0, 0, w, edge), (0, h - edge, w, h), (0, 0, edge, h), (w - edge, 0, w, h)]
    return all(grey.crop(box).getextrema()[0] >= 250 for box in strips)


# --- (a) one page, (b) the bundle attached byte for byte -----------------------------------------------------------


@pytest.fixture(scope="module")
def genuine() -> str:
    vector = json.loads((VECTORS / "genuine-formal-qualification.json").read_text(encoding="utf-8"))
    return dumps_bundle(vector["bundle"])


def test_a_genuine_bundle_is_one_a4_page(genuine: str) -> None:
    pdf = render(genuine)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    text = page_text(pdf)
    for shown in ("University of Example", "Bachelor of Commerce", "awarded to", "Thandiwe Nkosi", "12 April 2025"):
        assert shown in text
    assert "Qualification id 94738" in text
    assert "NQF LEVEL\n7" in text
    assert "360\n3,600 notional hours" in text
    for line in ACCREDITATION:
        assert line.split(",")[0] in flat(text)
    bundle = json.loads(genuine)
    assert bundle["id"] in text
    assert bundle["proof"]["anchor"]["merkleRoot"] in text
    assert DEVNET_TEXT not in text


def test_the_bundle_is_attached_as_credential_json_byte_for_byte(genuine: str) -> None:
    reader = PdfReader(io.BytesIO(render(genuine)))
    assert list(reader.attachments) == [ATTACHMENT_NAME]
    assert reader.attachments[ATTACHMENT_NAME] == [genuine.encode("utf-8")]
    # a standard embedded file: the EmbeddedFiles name tree of the catalogue, a Filespec, its stream's MIME type
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == ATTACHMENT_NAME
    spec = names[1].get_object()
    assert spec["/Type"] == "/Filespec"
    assert spec["/UF"] == ATTACHMENT_NAME
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/application/json"


def test_the_output_depends_only_on_the_arguments(genuine: str) -> None:
    assert render(genuine) == render(genuine)
    assert render(genuine) != render(genuine, accreditation=["Accredited by another body"])


# --- (c) the QR code ------------------------------------------------------------------------------------------


def test_the_qr_code_decodes_to_the_verify_url_and_is_at_least_35_mm(genuine: str) -> None:
    image = rasterise(render(genuine))
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [b.text for b in found] == [VERIFY_URL]
    position = found[0].position
    xs = [position.top_left.x, position.top_right.x, position.bottom_left.x, position.bottom_right.x]
    ys = [position.top_left.y, position.top_right.y, position.bottom_left.y, position.bottom_right.y]
    width_mm, height_mm = (max(xs) - min(xs)) * MM_PER_PX, (max(ys) - min(ys)) * MM_PER_PX
    assert width_mm >= 35 and height_mm >= 35, (width_mm, height_mm)
    # the bottom right corner of the page
    w, h = image.size
    assert min(xs) > w / 2 and min(ys) > h * 2 / 3
    text = flat(page_text(render(genuine)))
    assert "verify.example.ac.za" in text
    assert "Scan or open verify.example.ac.za/verify to check this certificate" in text


def test_a_local_node_url_keeps_its_port(genuine: str) -> None:
    url = "http://127.0.0.1:8000/verify#credential=urn:uuid:e2fdba3d-16bb-4cd9-8278-00db89d08ff4"
    pdf = render(genuine, verify_url=url)
    assert "Scan or open 127.0.0.1:8000/verify" in flat(page_text(pdf))
    found = zxingcpp.read_barcodes(rasterise(pdf), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [b.text for b in found] == [url]


@pytest.mark.parametrize(
    "url",
    [
        "verify.example.ac.za/verify",
        "ftp://example.ac.za/verify",
        "https:///verify",
        "",
        "https://a.example/" + "x" * 600,
    ],
)
def test_a_verify_url_that_is_not_http_is_refused(genuine: str, url: str) -> None:
    with pytest.raises(ValueError, match=r"http|QR code"):
        render(genuine, verify_url=url)


def test_a_short_verify_url_is_drawn_at_the_same_size_and_decodes(genuine: str) -> None:
    url = "http://a.example/verify"
    found = zxingcpp.read_barcodes(rasterise(render(genuine, verify_url=url)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [b.text for b in found] == [url]


def test_a_long_verify_url_still_decodes(genuine: str) -> None:
    url = "https://verify.example.ac.za/verify#share=" + "AbCdEf0123456789-_" * 30  # 582 characters
    assert len(url) <= 600
    found = zxingcpp.read_barcodes(rasterise(render(genuine, verify_url=url)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [b.text for b in found] == [url]


# --- (d) what the holder hid is not printed ---------------------------------------------------------------------


def test_a_disclosed_bundle_prints_no_hidden_value() -> None:
    subject = formal(name="Thandiwe Nkosi", credits=480)
    full = json.loads(issue("formal-qualification", subject))
    hidden = dumps_bundle(disclose(full, ["/credentialSubject/learner", "/credentialSubject/qualification/credits"]))
    pdf = render(hidden)
    text = page_text(pdf)
    assert "Bachelor of Commerce" in text
    assert "University of Example" in text
    attached = PdfReader(io.BytesIO(pdf)).attachments[ATTACHMENT_NAME][0]
    for withheld in ("Thandiwe", "Nkosi", subject["learner"]["identity"]["number"]):
        assert withheld not in text
        assert withheld.encode() not in attached
    assert "4,800" not in text and "CREDITS\n480" not in text and b'"credits"' not in attached
    assert "name withheld" in text
    assert "CREDITS\nwithheld" in text
    # and the full bundle does print them
    shown = page_text(render(json.dumps(full, ensure_ascii=False)))
    assert "Thandiwe Nkosi" in shown and "4,800 notional hours" in shown


def test_each_disclosed_vector_prints_without_its_hidden_fields() -> None:
    for kind in ("formal-qualification", "micro-credential-level", "recognition-of-prior-learning"):
        name = f"disclosed-{kind}"
        vector = json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))
        text = page_text(render(dumps_bundle(vector["bundle"])))
        assert "withheld" in text, name


# --- (e) long text stays on the page ----------------------------------------------------------------------------


def test_a_200_character_title_renders_on_one_page_whole() -> None:
    title = (
        "Advanced Diploma in Integrated Environmental Management and Sustainable Development Practice with "
        "Specialisation in Coastal, Marine and Freshwater Systems Governance and Community-Led Land Stewardship"
    )
    assert len(title) == 200
    pdf = render(issue("formal-qualification", formal(title=title)))
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert title in flat(page_text(pdf))  # shrunk and wrapped, not cut
    assert margin_is_blank(rasterise(pdf))


def test_the_longest_texts_a_type_allows_stay_inside_the_frame() -> None:
    long = "Ab" * 150  # 300 characters (the schema's most) and no space to break at
    subject = {
        "learner": {"name": "Nomvula " + "Dlamini-Müller " * 19, "identity": {"type": "za-id", "number": za_id()}},
        "title": long,
        "provider": "Zoë " * 75,
        "hours": 99_999,
        "credits": 9_999,
        "nqfLevel": 10,
        "competencies": [f"{i:03} " + "competency text " * 18 for i in range(100)],
        "awardDate": "2025-09-30",
    }
    pdf = render(
        issue("micro-credential", subject, issuer_name="Issuer " * 40), accreditation=["Accredited " * 60] * 12
    )
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "listed in the attached credential.json" in flat(page_text(pdf))
    assert margin_is_blank(rasterise(pdf))


def test_unicode_names_print_as_written() -> None:
    for name in ("Thandiwe Nkosi", "Zoë Ngcobo", "Nomvula Dlamini-Müller", "Ṣọ̀lá Adébáyọ̀"):
        text = page_text(render(issue("formal-qualification", formal(name=name))))
        assert name in text, name


# --- (f) the devnet band ----------------------------------------------------------------------------------------


def test_the_devnet_band_is_printed_only_when_asked(genuine: str) -> None:
    assert DEVNET_TEXT in page_text(render(genuine, devnet=True))
    assert DEVNET_TEXT not in page_text(render(genuine, devnet=False))
    assert "DEVNET" not in page_text(render(genuine))
    # and it is visible: the band is red across the top of the page
    image = rasterise(render(genuine, devnet=True), dpi=50)
    r, g, b = image.getpixel((image.size[0] // 8, round(20 / (25.4 / 50))))
    assert r > 150 and g < 60 and b < 60
    plain = rasterise(render(genuine), dpi=50)
    assert plain.getpixel((plain.size[0] // 8, round(20 / (25.4 / 50)))) == (255, 255, 255)


# --- every type has its layout -----------------------------------------------------------------------------------


def test_each_type_is_laid_out_with_its_own_fields() -> None:
    micro = flat(page_text(render(issue("micro-credential", VALID["micro-credential"]))))
    assert "MICRO-CREDENTIAL" in micro and "Solar PV installation basics" in micro
    assert "Example Skills Academy" in micro and "Jan de Wet" in micro
    assert "40 hours" in micro and "Install panels safely" in micro and "30 September 2025" in micro
    rpl = flat(page_text(render(issue("recognition-of-prior-learning", VALID["recognition-of-prior-learning"]))))
    assert "RECOGNITION OF PRIOR LEARNING" in rpl and "Introductory Accounting" in rpl
    assert "Module id ACC101" in rpl and "Example TVET College" in rpl and "1 June 2025" in rpl


# --- (g) what the reader refuses, the renderer refuses ------------------------------------------------------------


@pytest.mark.parametrize(
    ("vector", "code"),
    [
        ("unknown-type-schema-id", "UNKNOWN_TYPE"),
        ("unknown-type-version", "UNKNOWN_TYPE"),
        ("duplicate-member", "DUPLICATE_MEMBER"),
        ("malformed-not-json", "MALFORMED"),
        ("unknown-member-top", "UNKNOWN_MEMBER"),
        ("disclosure-not-allowed-institution", "DISCLOSURE_NOT_ALLOWED"),
    ],
)
def test_a_bundle_the_reader_refuses_is_refused(vector: str, code: str) -> None:
    raw = json.loads((VECTORS / f"{vector}.json").read_text(encoding="utf-8"))
    text = raw["bundleText"] if "bundleText" in raw else dumps_bundle(raw["bundle"])
    with pytest.raises(BundleReadError) as refused:
        render(text)
    assert refused.value.code == code


@pytest.mark.parametrize("vector", ["fields-altered-value", "fields-altered-added", "credential-hash-mismatch"])
def test_a_tampered_bundle_is_refused(vector: str) -> None:
    bundle = json.loads((VECTORS / f"{vector}.json").read_text(encoding="utf-8"))["bundle"]
    with pytest.raises((CertificateError, BundleReadError)):
        render(dumps_bundle(bundle))


def test_an_edited_value_is_refused_with_a_sentence(genuine: str) -> None:
    edited = genuine.replace('"Bachelor of Commerce"', '"Doctor of Medicine"')
    with pytest.raises(CertificateError, match="No certificate is printed for this bundle"):
        render(edited)


def test_an_unanchored_document_is_refused() -> None:
    document = build_document("formal-qualification", VALID["formal-qualification"], issuer_id="did:web:uni.example")
    with pytest.raises(CertificateError, match="anchor"):
        render(dumps_bundle(document))


# --- the picture in the README ------------------------------------------------------------------------------------


def test_the_screenshot_of_a_certificate() -> None:
    subject = {
        "learner": {"name": "Nomvula Dlamini-Müller", "identity": {"type": "za-id", "number": za_id()}},
        "qualification": {"id": "94738", "title": "Bachelor of Commerce in Accounting", "nqfLevel": 7, "credits": 360},
        "institution": "University of Example",
        "awardDate": "2025-04-12",
    }
    pdf = render(issue("formal-qualification", subject, issuer_name="University of Example"), devnet=True)
    path = SCREENSHOTS / "certificate.png"
    if path.exists() and os.environ.get("CREDREG_SCREENSHOTS") != "update":
        path = Path(tempfile.gettempdir()) / "credreg-screenshots" / "certificate.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    image = rasterise(pdf, dpi=100)
    image.save(path)
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [VERIFY_URL]
