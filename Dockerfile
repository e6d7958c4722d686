# The site's image: the production stack, as `make serve` runs it (deploy/stack.py:
# nginx in front of granian, and certbot keeping the certificate with TLS=acme).
# Run it with deploy/compose.yaml, or alone:
#   docker build -t portfolio .
#   docker run -p 80:8080 -p 443:8443 -e SECRET_KEY=... -e SITE_URL=https://example.com \
#     -v portfolio-data:/data -v portfolio-certificates:/var/lib/portfolio portfolio
# On a platform that terminates TLS itself, add -e TLS=off and send it to port 8080:
# nginx still buffers requests, times out slow clients and serves the page cache.
FROM python:3.11-slim

# Debian's nginx, as the Makefile installs it for make serve.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/*

# The stack listens on 8080 and 8443 as an unprivileged user; publish them as 80 and 443.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    HTTPS_PORT=8443 \
    TLS=acme \
    STATE_DIR=/var/lib/portfolio \
    DATABASE_PATH=/data/messages.db

WORKDIR /srv/portfolio
# certbot, the ACME client, comes with the site's requirements.
# WeasyPrint (the CV's PDF) lays out text with Pango.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY app/ app/
COPY templates/ templates/
COPY static/ static/
COPY data/ data/
COPY deploy/ deploy/
COPY wsgi.py server.py ./

# The messages and the certificate (with its key and the ACME account) live in volumes,
# owned by the unprivileged user that runs the stack.
RUN useradd --system --uid 10001 --no-create-home portfolio \
    && mkdir /data /var/lib/portfolio && chown portfolio /data /var/lib/portfolio
USER portfolio
VOLUME /data /var/lib/portfolio
EXPOSE 8080 8443

# /healthz through nginx: over HTTPS once the certificate is served (not verified here:
# this checks the process, not the certificate), over plain HTTP with TLS=off.
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import os, ssl, urllib.request as r; tls = os.environ['TLS'] != 'off'; r.urlopen(f\"{'https' if tls else 'http'}://127.0.0.1:{os.environ['HTTPS_PORT' if tls else 'PORT']}/healthz\", context=ssl._create_unverified_context(), timeout=2)"

# SIGTERM stops nginx, then granian, each finishing what it holds; SIGHUP checks the certificate.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "deploy.stack"]
