"""HMAC-signed, expiring tokens for the local store's upload and download links."""
import base64
import hashlib
import hmac
import json
import time

from models.errors import SignedLinkRefused


def link_key(secret: str) -> bytes:
    """A key for evidence links derived from the app secret, so a token can never pass for anything else."""
    return hmac.new(secret.encode(), b"tisheng evidence links v1", hashlib.sha256).digest()


def sign(key: bytes, purpose: str, claims: dict, expires_at: float) -> str:
    """A URL-safe token carrying `claims` for `purpose` until `expires_at` (epoch seconds)."""
    body = _b64(json.dumps({**claims, "p": purpose, "e": int(expires_at)}, separators=(",", ":")).encode())
    return f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


def verify(key: bytes, purpose: str, token: str, now: float | None = None) -> dict:
    """The claims of a genuine, unexpired token for `purpose`, else SignedLinkRefused."""
    try:
        body, _, signature = (part.encode("ascii") for part in token.partition("."))
    except UnicodeEncodeError:
        raise SignedLinkRefused("the link is not a valid evidence link") from None
    expected = _b64(hmac.new(key, body, hashlib.sha256).digest()).encode()
    if not signature or not hmac.compare_digest(signature, expected):
        raise SignedLinkRefused("the link's signature is not valid (forged or altered)")
    claims = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
    if claims.get("p") != purpose:
        raise SignedLinkRefused(f"the link is not an evidence {purpose} link")
    if claims["e"] <= (time.time() if now is None else now):
        raise SignedLinkRefused("the link has expired")
    return claims


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
