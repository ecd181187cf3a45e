"""A local certificate authority and a server certificate for the hub (`vw-hub init`).

Kiosks and consoles trust `ca.pem` only. An existing CA is never overwritten:
re-running `init` re-issues the server certificate from the same CA when it is
missing or lacks a requested hostname, so clients keep trusting the hub.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.durable import write_atomically
from shared.private_files import PRIVATE

DEFAULT_NAMES = ["localhost", "127.0.0.1", "::1"]
CA_DAYS = 3650
SERVER_DAYS = 825


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, PRIVATE)


def _write_public(path: Path, data: bytes) -> None:
    """A certificate: public, and copied to every kiosk and console (so 0644, whatever the
    umask: a copy made with `cp` stays readable by the kiosk's user)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, 0o644)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _make_ca(tls_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Remote Virtual Window hub CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(tls_dir / "ca.key", _key_pem(key))
    _write_public(tls_dir / "ca.pem", cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _load_ca(tls_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate((tls_dir / "ca.pem").read_bytes())
    key = serialization.load_pem_private_key((tls_dir / "ca.key").read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("ca.key is not an EC key")
    return cert, key


def _server_names(path: Path) -> set[str] | None:
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return None
    names = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return names | set(san.get_values_for_type(x509.DNSName))


def ensure_tls(tls_dir: Path, hostnames: list[str]) -> bool:
    """Make the CA (once) and a server certificate covering the default names and `hostnames`.

    Returns True when a server certificate was (re)issued.
    """
    tls_dir.mkdir(parents=True, exist_ok=True)
    if (tls_dir / "ca.pem").exists() and (tls_dir / "ca.key").exists():
        ca_cert, ca_key = _load_ca(tls_dir)
    elif (tls_dir / "ca.pem").exists() or (tls_dir / "ca.key").exists():
        raise FileExistsError(f"{tls_dir}: ca.pem or ca.key is missing its pair; not overwriting")
    else:
        ca_cert, ca_key = _make_ca(tls_dir)
    names = list(dict.fromkeys(DEFAULT_NAMES + hostnames))
    canonical = {str(ipaddress.ip_address(n)) if _is_ip(n) else n for n in names}
    have = _server_names(tls_dir / "server.pem")
    if have is not None and canonical <= have and (tls_dir / "server.key").exists():
        return False
    if have:
        names = list(dict.fromkeys(names + sorted(have)))
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(_san(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(tls_dir / "server.key", _key_pem(key))
    _write_public(tls_dir / "server.pem", cert.public_bytes(serialization.Encoding.PEM))
    return True


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
