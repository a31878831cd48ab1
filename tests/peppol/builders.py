"""Test data for Peppol: valid Belgian enterprise numbers, a certificate, configured settings."""

import datetime
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from partnerspace.peppol.services import peppol_settings_save


def be_number(index: int) -> str:
    """The index-th valid Belgian enterprise number: 0 + 7 digits + 97-modulus check."""
    base = f"0{2_000_000 + index:07d}"
    return f"{base}{97 - int(base) % 97:02d}"


@lru_cache(maxsize=1)
def certificate_pem() -> str:
    """A self-signed certificate standing in for the access point's Peppol certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "POP000000 test access point")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def settings_data(smp, **overrides) -> dict:
    data = {
        "smp_base_url": smp.url,
        "auth_scheme": "basic",
        "username": smp.username,
        "secret": smp.password,
        "document_types": "\n".join(
            [
                "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:"
                "en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1",
                "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2::CreditNote##urn:"
                "cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1",
            ]
        ),
        "process_id": "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
        "access_point_url": "https://ap.alfa.example/as4",
        "access_point_certificate": certificate_pem(),
        "transport_profile": "peppol-transport-as4-v2_0",
        "service_description": "Alfa access point",
        "technical_contact": "peppol@alfa.example",
        "auto_register": False,
    }
    data.update(overrides)
    return data


def configure(membership, smp, **overrides):
    return peppol_settings_save(membership=membership, data=settings_data(smp, **overrides))
