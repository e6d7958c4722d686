"""Under `make run`, an edit reaches a page already open in the browser, without a manual reload."""

import re

from playwright.sync_api import expect

from tests.browser.pages import is_same_document, mark_document


def test_an_edit_reaches_an_open_page_by_itself(browser, dev_server, content_dir):
    context = browser.new_context()
    page = context.new_page()
    page.goto(dev_server.url + "/")
    mark_document(page)
    hero = page.locator("#hero-title")
    before = hero.inner_text()
    page.wait_for_timeout(500)  # the page's long poll is waiting

    site = content_dir / "site.toml"
    text = site.read_text()
    edited = re.sub(r'(?m)^title = "(.*)"$', r'title = "Edited: \1"', text, count=1)
    assert edited != text
    site.write_text(edited)

    expect(hero).to_have_text(f"Edited: {before}", timeout=5000)
    assert not is_same_document(page)  # reloaded by the page itself; the test never reloaded it
    context.close()
