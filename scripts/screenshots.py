"""Screenshots of every page: desktop and phone, light and dark, JavaScript on and off.

    make screenshots        # writes PNGs to screenshots/ (ignored by git)

Uses the suite's live server and Chromium, so what you look at is what the tests drive.
"""

import sys
from itertools import product
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser_support import chromium_launch_args, live_server  # noqa: E402

PAGES = {
    "home": "/",
    "work-python": "/work?tag=python",
    "case-study": "/work/l1-market-data-engine",
    "contact": "/contact",
    "not-found": "/work/nope",
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
        browser.close()


if __name__ == "__main__":
    main(Path("screenshots"), sys.argv[1:])
