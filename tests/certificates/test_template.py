"""The certificate's layout file (template.toml) and what the settings add: no database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from events_service.certificates.pdf import (
    DEFAULT_TEMPLATE,
    TEMPLATE_MESSAGES,
    CertificateFacts,
    Decorations,
    TemplateError,
    load_layout,
    render_certificate,
)
from events_service.qr import qr_png
from events_service.settings import Settings

FACTS = CertificateFacts(
    registration_id=7, language="it", name="Łukasz Čapek", company=None, event="Industria 4.0", date="martedì 24 novembre 2026",
    minutes=75, code="7-ABCDEFGHIJKLMNOP", verify_url="http://events.test/certificates/7-ABCDEFGHIJKLMNOP", programme="Programma PMI",
)


def test_every_word_of_the_shipped_template_is_in_the_catalogs() -> None:
    layout = load_layout()
    texts = [line.text for line in layout.line if line.text.strip("{}").isidentifier() is False or " " in line.text]
    texts += [layout.qr.text, layout.qr.hint]
    assert texts
    assert set(texts) <= set(TEMPLATE_MESSAGES)


def test_a_template_with_a_mistake_is_refused_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "certificate.toml"
    broken.write_text(DEFAULT_TEMPLATE.read_text().replace("size = 30", "size = \"huge\""))
    with pytest.raises(TemplateError, match="certificate.toml"):
        load_layout(broken)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(DEFAULT_TEMPLATE.read_text() + "\n[footer]\ntext = 'x'\n")
    with pytest.raises(TemplateError, match="footer"):
        load_layout(unknown)
    with pytest.raises(ValueError, match="EVENTS_CERTIFICATE_TEMPLATE"):
        Settings.from_env({"EVENTS_CERTIFICATE_TEMPLATE": str(tmp_path / "missing.toml"), "EVENTS_SECRET_KEY": "k" * 40})


def test_an_edited_template_is_what_gets_printed(tmp_path: Path) -> None:
    edited = tmp_path / "ours.toml"
    edited.write_text(DEFAULT_TEMPLATE.read_text().replace('text = "held on {date}"', 'text = "on {date}, by {programme}"'))
    text = PdfReader(io.BytesIO(render_certificate(FACTS, load_layout(edited)))).pages[0].extract_text()
    assert "on martedì 24 novembre 2026, by Programma PMI" in text  # not in the catalogs: printed as written
    assert "{company}" not in text  # no company: its line is left out


def test_logo_and_signatory_come_from_the_settings(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(qr_png("logo"))
    settings = Settings.from_env({"EVENTS_CERTIFICATE_LOGO": str(logo), "EVENTS_CERTIFICATE_SIGNATORY": "Dott.ssa Giulia Ferrari",
                                  "EVENTS_SECRET_KEY": "k" * 40})
    plain = PdfReader(io.BytesIO(render_certificate(FACTS, load_layout()))).pages[0]
    decorated = PdfReader(io.BytesIO(render_certificate(
        FACTS, load_layout(), Decorations(logo=settings.certificate_logo, signatory=settings.certificate_signatory)
    ))).pages[0]
    assert len(plain.images) == 0
    assert len(decorated.images) == 1
    assert "Dott.ssa Giulia Ferrari" in decorated.extract_text()
    assert "Dott.ssa Giulia Ferrari" not in plain.extract_text()
    with pytest.raises(ValueError, match="EVENTS_CERTIFICATE_LOGO"):
        Settings.from_env({"EVENTS_CERTIFICATE_LOGO": str(tmp_path), "EVENTS_SECRET_KEY": "k" * 40})
