"""The one sanitizer for text shown on a screen or a terminal, and credential scrubbing.

Anything that comes from AWS, a policy or a file (names, values, YAML, error texts) may hold
characters a terminal acts on (ESC, CR, BEL, C1 controls) or characters that change how text
reads without being seen: bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C),
zero-width characters (U+200B-U+200D, U+2060, U+FEFF), soft hyphens, line and paragraph
separators, odd spaces (no-break, thin, ideographic...). :func:`inert` shows every one of
them escaped (``\\x1b``, ``\\u202e``), so a policy name or value reads as what it is.

The rule is :func:`hidden`: Unicode categories Cc, Cf, Zl, Zp, Cs, and Zs other than the
plain space. The diff view (:mod:`core.diff`), the UI's ``clean()`` and every error message
(:class:`sentinel_tui.errors.SentinelError`) use it.

Pure: no I/O, no third-party import.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["hidden", "escape_char", "inert", "scrub", "REDACTED"]


def escape_char(ch: str) -> str:
    """``\\xNN`` below U+0100, ``\\uNNNN`` in the BMP, ``\\UNNNNNNNN`` above."""
    o = ord(ch)
    if o < 0x100:
        return f"\\x{o:02x}"
    if o < 0x10000:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


def hidden(ch: str) -> bool:
    """A character a terminal may interpret, or that looks like nothing or like a space."""
    if " " <= ch <= "~":
        return False
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cf", "Zl", "Zp", "Cs") or (cat == "Zs" and ch != " ")


def inert(text: str, keep: str = "\n") -> str:
    """Text with every :func:`hidden` character but those in ``keep`` shown escaped.

    Nothing else changes: printable text, Unicode letters and symbols, backslashes and
    markup-looking brackets stay as they are (callers append the result to Rich ``Text``
    as a plain string). The result cannot drive a terminal and cannot read differently from
    what it holds.
    """
    if not text:
        return text
    if text.isascii() and text.isprintable():  # the common case, fast
        return text
    return "".join(escape_char(ch) if ch not in keep and hidden(ch) else ch for ch in text)


# --------------------------------------------------------------------------
# Credentials
# --------------------------------------------------------------------------

REDACTED = "[REDACTED]"
_R = REDACTED

# Order matters: header/keyword forms first (they swallow the key id inside
# them), then bare tokens.
_SCRUB_RULES: list[tuple[re.Pattern[str], str]] = [
    # Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...
    # as a header line, in a dict repr ('Authorization': b'...'), or in JSON.
    (
        re.compile(
            r"""(?ix)
            (authorization ["']? \s* [:=] \s* b? ["']?)
            [^"'\r\n]+
            """
        ),
        r"\1" + _R,
    ),
    # X-Amz-Security-Token / X-Amz-Credential / X-Amz-Signature as header or query.
    (
        re.compile(
            r"""(?ix)
            (x-amz-(?:security-token|credential|signature) ["']? \s* [:=] \s* b? ["']?)
            [^"'\s&,;]+
            """
        ),
        r"\1" + _R,
    ),
    # Credential=AKIA.../date/region/service/aws4_request, Signature=<hex>
    (re.compile(r"(?i)\b(credential\s*=\s*)[^\s,&\"';]+"), r"\1" + _R),
    (re.compile(r"(?i)\b(signature\s*=\s*)[0-9a-f]{16,}"), r"\1" + _R),
    # aws_secret_access_key = ..., "SecretAccessKey": "...", secret_key: ...
    (
        re.compile(
            r"""(?ix)
            (secret[\w\-]* ["']? \s* [:=] \s* b? ["']?)
            [A-Za-z0-9/+=]{16,}
            """
        ),
        r"\1" + _R,
    ),
    # aws_session_token = ..., "SessionToken": "...", security_token, "Token": ...
    (
        re.compile(
            r"""(?ix)
            ((?:session[_\-]?token|security[_\-]?token|\btoken) ["']? \s* [:=] \s* b? ["']?)
            [A-Za-z0-9/+=%]{16,}
            """
        ),
        r"\1" + _R,
    ),
    # Bare STS session tokens: they start with a few well-known base64 prefixes.
    (
        re.compile(
            r"(?<![A-Za-z0-9/+])(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|FQoDYXdz|AQoDYXdz|AgoJb3JpZ2lu)"
            r"[A-Za-z0-9/+=%]+"
        ),
        _R,
    ),
    # Access key ids: AKIA (long-term), ASIA (temporary), ABIA/ACCA (service bearer).
    (re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"), _R),
    # A bare 40-character secret access key: base64-ish, mixed case, standing alone.
    (
        re.compile(
            r"(?<![A-Za-z0-9/+=])"
            r"(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[0-9/+])"
            r"[A-Za-z0-9/+]{40}"
            r"(?![A-Za-z0-9/+=])"
        ),
        _R,
    ),
]


def scrub(text: str) -> str:
    """Replace anything that looks like an AWS credential by ``[REDACTED]``.

    Covers access key ids (AKIA/ASIA/ABIA/ACCA + 16), secret keys (after a
    ``secret...`` key, or a bare 40-character mixed-case base64 token), session
    tokens (after a ``...token`` key, or by their base64 prefixes), and the
    values of ``Authorization``, ``X-Amz-Security-Token``, ``X-Amz-Credential``,
    ``X-Amz-Signature`` and ``Credential=`` / ``Signature=``.
    """
    if not text:
        return text
    for pattern, repl in _SCRUB_RULES:
        text = pattern.sub(repl, text)
    return text
