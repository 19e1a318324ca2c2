"""/docs and /redoc load nothing from outside the app: offices run on intranets."""
import re

import pytest
from fastapi.testclient import TestClient

from api.app import app

client = TestClient(app)


def asset_urls(html: str) -> list[str]:
    """Every URL a page loads: script src, link href, and the urls Swagger UI's inline script is given."""
    return re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_reference_only_same_origin_urls(page):
    response = client.get(page)
    assert response.status_code == 200
    urls = asset_urls(response.text)
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert not re.search(r"https?://", response.text.replace("http://www.w3.org", "")), "an absolute URL is loaded"


@pytest.mark.parametrize("page, assets", [
    ("/docs", {".js": "javascript", ".css": "text/css", ".png": "image/png"}),
    ("/redoc", {".js": "javascript", ".png": "image/png"}),
])
def test_every_asset_of_the_docs_pages_answers_from_the_app(page, assets):
    urls = [u for u in asset_urls(client.get(page).text) if not u.startswith(app.openapi_url)]
    found = set()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        for suffix, kind in assets.items():
            if url.endswith(suffix):
                assert kind in response.headers["content-type"], (url, response.headers["content-type"])
                assert len(response.content) > 1000 or suffix == ".png"
                found.add(suffix)
    assert found == set(assets)


def test_the_oauth2_redirect_page_is_served():
    response = client.get(app.swagger_ui_oauth2_redirect_url)
    assert response.status_code == 200 and "oauth2" in response.text.lower()
