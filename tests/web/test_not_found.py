"""Addresses that are no page: a bilingual page in the site's style, JSON under the API, and
the icon browsers ask for."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/no-such-page", "/kiosk/1/extra/parts", "/admin/nowhere"])
def test_an_unknown_address_gets_a_bilingual_page_in_the_sites_style(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "找不到该页面" in html and "Page not found" in html
    assert 'lang="zh-CN"' in html and "css/base.css" in html, "the site's own page"
    assert 'href="/"' in html, "a way back to the start page"
    assert "The requested URL was not found" not in html


def test_an_unknown_api_route_still_answers_json(client):
    response = client.get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "not_found",
        "message": "找不到该接口",
        "message_en": "No such API route",
    }


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.get_data()[:4] == b"\x00\x00\x01\x00", "an ICO file"
    assert "max-age" in response.headers["Cache-Control"]
