# The app's image: granian's workers, as `make serve-granian` runs them. Run it
# behind nginx with deploy/compose.yaml, or alone where a platform's proxy
# buffers bodies and times out slow clients (README, "Deploying").
#   docker build -t portfolio .
#   docker run -p 8000:8000 -e SECRET_KEY=... -e SITE_URL=https://example.com -v portfolio-data:/data portfolio
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_PATH=/data/messages.db

WORKDIR /srv/portfolio
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

# The messages live in a volume, owned by an unprivileged user that runs the server;
# /srv/shared is where compose.yaml's nginx finds its configuration and static files.
RUN useradd --system --uid 10001 --no-create-home portfolio \
    && mkdir /data /srv/shared && chown portfolio /data /srv/shared
USER portfolio
VOLUME /data
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"

CMD ["python", "server.py"]
