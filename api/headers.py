"""Security headers on every answer, errors and the docs included (plain ASGI: no task hop per request)."""
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Local download and upload links carry their signature in the path: no page may pass it on as a referrer.
    (b"referrer-policy", b"no-referrer"),
    # frame-ancestors only: /docs and /redoc start their same-origin bundles with inline scripts, which a script-src would block.
    (b"content-security-policy", b"frame-ancestors 'none'"),
)


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response start, unless the response set one of them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
