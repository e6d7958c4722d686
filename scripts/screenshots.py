"""Screenshots of every page: desktop and phone, light and dark, JavaScript on and off;
then the phone while each click waits on the network, and every link-preview picture.

    make screenshots        # writes PNGs to screenshots/ (ignored by git)

Uses the suite's live server and Chromium, so what you look at is what the tests drive.
"""

import re
import sys
import urllib.request
from itertools import product
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser.support import chromium_launch_args, live_server  # noqa: E402

PAGES = {
    "home": "/",
    "work-python": "/work?tag=python",
    "case-study": "/work/l1-market-data-engine",
    "contact": "/contact",
    "not-found": "/work/nope",
    "cv": "/cv",
}
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


def main(out_dir: Path, only: list[str]) -> None:
    out_dir.mkdir(exist_ok=True)
    with live_server() as base_url, sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch_args())
        for (name, path), (device, viewport), scheme, js in product(
            PAGES.items(), VIEWPORTS.items(), ("light", "dark"), (True, False)
        ):
            if only and name not in only:
                continue
            context = browser.new_context(viewport=viewport, color_scheme=scheme, java_script_enabled=js, reduced_motion="reduce")
            page = context.new_page()
            page.goto(base_url + path)
            file = out_dir / f"{name}-{device}-{scheme}-{'js' if js else 'nojs'}.png"
            page.screenshot(path=file, full_page=True)
            context.close()
            print(file)
        if not only or "waiting" in only:
            waiting(browser, base_url, out_dir)
        if not only or "previews" in only:
            previews(base_url, out_dir)
        browser.close()


def waiting(browser, base_url: str, out_dir: Path) -> None:
    """The phone with a request held open: what a visitor sees while the network is slow."""
    clicks = {
        "case-study": ("/", "#toggle-write", "#project-write"),
        "filter": ("/", "#filter-docker", "#work"),
        "form-arriving": ("/", None, "#contact"),
        "sending": ("/contact", "#contact-form button", "#contact-form"),
    }
    for name, (path, control, region) in clicks.items():
        context = browser.new_context(viewport=VIEWPORTS["phone"], has_touch=True, is_mobile=True, reduced_motion="reduce")
        page = context.new_page()
        page.goto(base_url + path)
        if name == "sending":
            for field, value in (("#name", "Ada"), ("#email", "ada@example.com"), ("#message", "Hello from a slow phone.")):
                page.locator(field).fill(value)
        # Hold every request from now on: never answered, so the page stays waiting.
        page.route("**/*", lambda route: None)
        if control:
            page.locator(control).click()
        page.locator(region).scroll_into_view_if_needed()
        page.wait_for_timeout(150)
        file = out_dir / f"waiting-{name}-phone.png"
        page.screenshot(path=file)
        context.close()
        print(file)


def previews(base_url: str, out_dir: Path) -> None:
    """Every link-preview picture the pages name, as the tags name it."""
    for path in ["/", *(f"/work/{slug}" for slug in project_slugs(base_url))]:
        html = urllib.request.urlopen(base_url + path).read().decode()
        image = re.search(r'<meta property="og:image" content="[^"]*?(/social/[^"]+)"', html).group(1)
        file = out_dir / f"preview-{image.rsplit('/', 1)[1].split('.')[0]}.png"
        file.write_bytes(urllib.request.urlopen(base_url + image).read())
        print(file)


def project_slugs(base_url: str) -> list[str]:
    html = urllib.request.urlopen(base_url + "/work").read().decode()
    return re.findall(r'id="toggle-([a-z0-9-]+)"', html)


if __name__ == "__main__":
    main(Path("screenshots"), sys.argv[1:])
