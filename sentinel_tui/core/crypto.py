"""Local RSA-PSS verification of KMS signatures (pure computation, no I/O).

KMS's RSASSA_PSS_SHA_256 is PSS with SHA-256 and MGF1-SHA-256. AWS uses a salt
of 32 bytes; the emulator uses the maximum length, so the salt length is
recovered from the signature (PSS.AUTO), which accepts both.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class PublicKeyError(ValueError):
    """The public key cannot verify RSASSA_PSS_SHA_256 (not RSA, or not a key at all)."""


@lru_cache(maxsize=64)
def load_rsa_public_key(der: bytes) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise PublicKeyError(f"the public key is not a DER SubjectPublicKeyInfo: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise PublicKeyError(f"the key is {type(key).__name__}, not RSA: it cannot make RSASSA_PSS_SHA_256 signatures")
    return key


def verify_pss_sha256(der: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid RSASSA_PSS_SHA_256 signature of `message` under the key."""
    key = load_rsa_public_key(der)
    try:
        key.verify(
            signature,
            message,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return False
    except ValueError:
        # e.g. a signature of the wrong length for the modulus
        return False
    return True
