"""make bench, over HTTPS: the first view of / in Chromium, and Lighthouse (mobile).

    python scripts/bench_https_view.py https://bench.example:8443 CERT.pem

Chromium is told that the site's name is 127.0.0.1 (--host-resolver-rules) and
trusts the certificate by its public key (--ignore-certificate-errors-spki-list),
so the page is loaded as a visitor's browser would: by name, over TLS, HTTP/2.
Prints Markdown: what the first view transferred and how long it took, then
Lighthouse's mobile scores (node_modules/.bin/lighthouse, CHROME_PATH=Chromium).
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser.support import QUIET_FLAGS, chromium_path  # noqa: E402


def browser_flags(site_url: str, certificate: Path) -> list[str]:
    leaf = x509.load_pem_x509_certificate(certificate.read_bytes())
    spki = leaf.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return [*QUIET_FLAGS, "--no-sandbox", f"--host-resolver-rules=MAP {urlsplit(site_url).hostname} 127.0.0.1",
            f"--ignore-certificate-errors-spki-list={base64.b64encode(hashlib.sha256(spki).digest()).decode()}"]


TIMING = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  const paint = Object.fromEntries(performance.getEntriesByType('paint').map(p => [p.name, p.startTime]));
  return {ttfb: n.responseStart - n.startTime,
          fcp: paint['first-contentful-paint'], load: n.loadEventEnd - n.startTime, protocol: n.nextHopProtocol};
}"""


def first_view(site_url: str, flags: list[str]) -> dict:
    with sync_playwright() as playwright:
        runs = []
        for _ in range(5):  # a new browser each time: no cache, no connection, no TLS session
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=flags)
            page = browser.new_page()
            responses = []
            page.on("requestfinished", lambda request: responses.append(request))
            page.goto(site_url + "/", wait_until="load")
            page.wait_for_timeout(300)
            timing = page.evaluate(TIMING)
            timing["requests"] = len(responses)
            timing["bytes"] = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in responses)
            runs.append(timing)
            browser.close()
    median = lambda key: sorted(run[key] for run in runs)[len(runs) // 2]  # noqa: E731
    return {key: median(key) for key in ("ttfb", "fcp", "load", "requests", "bytes")} | {"protocol": runs[0]["protocol"]}


def lighthouse(site_url: str, flags: list[str], runs: int = 3) -> dict:
    """The run with the median performance score of `runs`, as Lighthouse's docs advise on a busy machine."""
    reports = sorted((lighthouse_once(site_url, flags) for _ in range(runs)), key=lambda r: r["scores"]["Performance"])
    return reports[runs // 2] | {"performance_scores": [r["scores"]["Performance"] for r in reports]}


def lighthouse_once(site_url: str, flags: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        subprocess.run(
            [str(ROOT / "node_modules/.bin/lighthouse"), site_url + "/", "--quiet", "--output=json",
             f"--output-path={report}",
             # chrome-launcher splits these at spaces, except inside quotes.
             "--chrome-flags=" + " ".join(f'{flag.split("=")[0]}="{flag.split("=", 1)[1]}"' if " " in flag else flag
                                          for flag in ["--headless=new", *flags])],
            env={**os.environ, "CHROME_PATH": chromium_path()}, check=True, timeout=240)
        result = json.loads(report.read_text())
    scores = {category["title"]: round(category["score"] * 100) for category in result["categories"].values()}
    audits = result["audits"]
    return {"scores": scores, "form_factor": result["configSettings"]["formFactor"],
            "fcp": audits["first-contentful-paint"]["displayValue"],
            "lcp": audits["largest-contentful-paint"]["displayValue"],
            "https": audits["is-on-https"]["score"]}


def main(site_url: str, certificate: str) -> None:
    flags = browser_flags(site_url, Path(certificate))
    view = first_view(site_url, flags)
    print(f"First view of {site_url}/ in Chromium (a new browser each time, median of 5): "
          f"{view['requests']} requests, {view['bytes']:,} bytes with headers, over {view['protocol']}; "
          f"first byte {view['ttfb']:.1f} ms after navigation start (connection and TLS handshake included), "
          f"first contentful paint {view['fcp']:.0f} ms, load {view['load']:.0f} ms.")
    report = lighthouse(site_url, flags)
    print(f"\nLighthouse 13.5.0, {report['form_factor']}, over HTTPS (is-on-https: {report['https']:g}), "
          f"the median of {len(report['performance_scores'])} runs by performance {report['performance_scores']}: "
          + ", ".join(f"{name} {score}" for name, score in report["scores"].items())
          + f"; first contentful paint {report['fcp']}, largest {report['lcp']} (simulated slow 4G).")


if __name__ == "__main__":
    main(*sys.argv[1:3])
