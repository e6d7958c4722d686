"""Helpers for asserting on HTML with BeautifulSoup."""

from bs4 import BeautifulSoup

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(response) -> str:
    return " ".join(soup(response).get_text(" ").split())


def project_titles(response) -> list[str]:
    return [h.get_text(strip=True) for h in soup(response).select(".project .project-title")]


def hidden_fields(response) -> dict:
    """The contact form's hidden fields (CSRF token, submission key, signed time), as a browser would send them."""
    return {i["name"]: i.get("value", "") for i in soup(response).select('#contact-form input[type="hidden"]')}
