# Two commands set everything up on a fresh machine:
#   make run    serve the site at http://127.0.0.1:5000 (development; PORT=... for another port)
#   make test   the whole suite, browser tests included
# And for a deployment:
#   make serve          the production stack, nginx in front of granian, on 127.0.0.1:8000; HOST, PORT, WORKERS override
#                       (TLS=acme SITE_URL=https://… HOST=0.0.0.0 PORT=80: HTTPS on 443 with a certificate it obtains itself)
#   make serve-granian  granian alone, for a platform whose own proxy buffers and times out clients (README)
#   make bench          the stack and granian alone against nginx serving the same bytes, over HTTP and HTTPS (BENCHMARKS.md)
#   make bench-contact  POST /contact with notifications off and on (BENCHMARKS.md)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
VNU := node_modules/vnu-jar/build/dist/vnu.jar
AXE := node_modules/axe-core/axe.min.js
LIGHTHOUSE := node_modules/.bin/lighthouse

.PHONY: run serve serve-granian nginx pebble testssl pango poppler systemd-analyze test bench bench-contact bench-tools screenshots browser java clean

# The development server: werkzeug's reloader restarts it when Python code changes; the app itself
# follows new, changed and deleted files under data/, templates/ and static/ (app/development.py).
# PORT=5001 make run (or make run PORT=5001) when 5000 is taken (macOS's AirPlay receiver uses it).
run: $(RUNTIME) pango
	$(BIN)/flask run --debug --port "$${PORT:-$${FLASK_RUN_PORT:-5000}}"

# exec: the recipe's shell becomes the server, so a SIGTERM sent to it reaches the server.
serve: $(RUNTIME) nginx pango
	APP_ENV=production exec $(BIN)/python -m deploy.stack

serve-granian: $(RUNTIME) pango
	APP_ENV=production exec $(BIN)/python server.py

test: $(DEV) $(VNU) $(AXE) browser java nginx pebble testssl systemd-analyze pango poppler
	$(BIN)/python -m pytest

bench: $(DEV) bench-tools browser $(LIGHTHOUSE)
	scripts/bench.sh

bench-contact: $(RUNTIME) bench-tools
	$(BIN)/python scripts/bench_contact.py

screenshots: $(DEV) browser pango poppler
	$(BIN)/python scripts/screenshots.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(DEV): requirements.txt requirements-dev.txt $(RUNTIME)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The Nu HTML Checker and axe-core, for the HTML validity and accessibility tests; Lighthouse for make bench.
$(VNU) $(AXE) $(LIGHTHOUSE) &: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(VNU) $(AXE) $(LIGHTHOUSE)

# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
browser:
	@if [ -n "$$CHROMIUM_PATH" ] || command -v chromium >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is missing: install Debian's 'chromium' package, or set CHROMIUM_PATH to a Chromium executable." >&2; exit 1; fi

# Poppler: pdftotext reads back the printed home page and the CV's PDF in their tests; pdffonts and pdfinfo check the PDF, and make screenshots renders it with pdftoppm.
poppler:
	@if command -v pdftotext >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	else echo "pdftotext is missing: install Debian's 'poppler-utils' package." >&2; exit 1; fi

# Debian's nginx: in front of the app in make serve, and in the stack's tests.
# (nginx-light has every module the template uses: gzip_static, limit_conn, proxy_cache.)
nginx:
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	else echo "nginx is missing: install Debian's 'nginx-light' package." >&2; exit 1; fi

# A private ACME CA for the HTTPS tests (tests/acme.py): pebble and its DNS server, pebble-challtestsrv.
# (certbot, the ACME client make serve uses, is in requirements.txt: README, "Deploying".)
pebble:
	@if command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pebble >/dev/null; \
	else echo "pebble is missing: install Debian's 'pebble' package." >&2; exit 1; fi

# testssl.sh grades the stack's TLS configuration in the tests.
testssl:
	@if command -v testssl >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq testssl.sh >/dev/null; \
	else echo "testssl is missing: install Debian's 'testssl.sh' package." >&2; exit 1; fi

# WeasyPrint draws /cv.pdf with Pango (text layout) and HarfBuzz; Debian's libpango-1.0-0 and libpangoft2-1.0-0 bring both.
pango:
	@if ldconfig -p | grep -q 'libpangoft2-1.0.so.0'; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	else echo "WeasyPrint needs Pango: install Debian's 'libpango-1.0-0' and 'libpangoft2-1.0-0' packages." >&2; exit 1; fi


# The deployment test checks deploy/portfolio.service with systemd's own verifier.
systemd-analyze:
	@if command -v systemd-analyze >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null; \
	else echo "systemd-analyze is missing: install Debian's 'systemd' package." >&2; exit 1; fi

# The benchmark's load generator.
bench-tools: nginx
	@if command -v wrk >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else echo "make bench needs wrk: install Debian's 'wrk' package." >&2; exit 1; fi

# The Nu HTML Checker runs on Java.
java:
	@if command -v java >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	else echo "Java is missing: install a Java runtime (11 or newer) for the HTML checker." >&2; exit 1; fi

clean:
	rm -rf $(VENV) node_modules .pytest_cache screenshots
