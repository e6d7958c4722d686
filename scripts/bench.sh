#!/usr/bin/env bash
# make bench: the production stack (nginx in front of granian, as `make serve`
# runs it) and granian alone (`make serve-granian`), against nginx serving the
# identical bytes of / from disk, in one run.
#
# Starts each on a throw-away database, loads them with wrk (bounded runs,
# loopback only) and prints a Markdown table: requests per second, p50 and p99
# latency, and the ratio to nginx static. Runs of / alternate between nginx
# static, the stack and granian alone, and the median of each is reported, so
# drift on a shared machine hits all three alike. Then the p99 of / through
# the stack while 20 contact messages a second arrive, and while 50 clients
# each send a POST body one byte a second.
#
# Then HTTPS: the stack with TLS on (TLS=files, a throw-away certificate for
# bench.example) against nginx serving the same bytes with the same certificate
# and TLS settings (deploy/nginx-tls.conf.template), keep-alive; and the first
# view of / and Lighthouse (mobile) in Chromium over HTTPS
# (scripts/bench_https_view.py).
#
#   DURATION=10s ROUNDS=3 CONNECTIONS=16 make bench
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-8s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
PYTHON=${PYTHON:-.venv/bin/python}
WORK=$(mktemp -d)
chmod 755 "$WORK"  # nginx workers, started by root, run as an unprivileged user
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 300); do curl -fsk -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not answering: $1" >&2; exit 1; }

# wrk --latency output -> "requests/s p50_ms p99_ms"
summarise() {
  awk 'function ms(v) { if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
                        if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
                        if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000 }
       $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } /^Requests\/sec:/ { rps = $2 }
       END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}
load() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | summarise; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

APP_SETTINGS=(APP_ENV=production SECRET_KEY="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')"
  SITE_URL=https://bench.example CONTACT_RATE_LIMIT=off CONTACT_MIN_SECONDS=0)

# --- the stack, as `make serve` runs it; the same without nginx's page cache -------------
STACK_PORT=$(free_port)
env "${APP_SETTINGS[@]}" DATABASE_PATH="$WORK/stack.db" HOST=127.0.0.1 PORT=$STACK_PORT \
  "$PYTHON" -m deploy.stack 2>"$WORK/stack.log" &
PIDS+=($!)
STACK=http://127.0.0.1:$STACK_PORT
NOCACHE_PORT=$(free_port)
env "${APP_SETTINGS[@]}" DATABASE_PATH="$WORK/nocache.db" HOST=127.0.0.1 PORT=$NOCACHE_PORT PROXY_CACHE=off \
  "$PYTHON" -m deploy.stack 2>"$WORK/nocache.log" &
PIDS+=($!)
NOCACHE=http://127.0.0.1:$NOCACHE_PORT

# --- granian alone, as `make serve-granian` runs it ------------------------------------------
ALONE_PORT=$(free_port)
env "${APP_SETTINGS[@]}" DATABASE_PATH="$WORK/alone.db" HOST=127.0.0.1 PORT=$ALONE_PORT \
  "$PYTHON" server.py 2>"$WORK/alone.log" &
PIDS+=($!)
ALONE=http://127.0.0.1:$ALONE_PORT

# --- the stack over HTTPS (TLS=files), with a throw-away certificate ------------------------
mkdir -p "$WORK/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.example \
  -addext subjectAltName=DNS:bench.example -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
TLS_STACK_PORT=$(free_port)
env "${APP_SETTINGS[@]}" SITE_URL=https://bench.example:$TLS_STACK_PORT DATABASE_PATH="$WORK/tls.db" HOST=127.0.0.1 \
  PORT="$(free_port)" HTTPS_PORT=$TLS_STACK_PORT TLS=files TLS_CERT="$WORK/tls/cert.pem" TLS_KEY="$WORK/tls/key.pem" \
  "$PYTHON" -m deploy.stack 2>"$WORK/tls.log" &
PIDS+=($!)
TLS_STACK=https://127.0.0.1:$TLS_STACK_PORT
wait_for "$STACK/"; wait_for "$NOCACHE/"; wait_for "$ALONE/"; wait_for "$TLS_STACK/"

# --- nginx, serving the very bytes the app sends for / --------------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/root" "$WORK/nginx/tmp"
curl -fs "$ALONE/" -o "$WORK/nginx/root/index.html"
curl -fsk "$TLS_STACK/" -o "$WORK/nginx/root/tls.html"
NGINX_TLS_PORT=$(free_port)
"$PYTHON" -c 'import sys; from deploy.nginx import TLS_TEMPLATE, render_config
print(render_config(TLS_TEMPLATE, CERTIFICATE=sys.argv[1], CERTIFICATE_KEY=sys.argv[2]))' \
  "$WORK/tls/cert.pem" "$WORK/tls/key.pem" >"$WORK/nginx/tls.conf"
cat >"$WORK/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/tmp;
    proxy_temp_path $WORK/nginx/tmp;
    fastcgi_temp_path $WORK/nginx/tmp;
    uwsgi_temp_path $WORK/nginx/tmp;
    scgi_temp_path $WORK/nginx/tmp;
    sendfile on;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/nginx/root;
        default_type "text/html; charset=utf-8";
        location = / { try_files /index.html =404; }
    }
    server {
        listen 127.0.0.1:$NGINX_TLS_PORT ssl http2;
        include $WORK/nginx/tls.conf;
        root $WORK/nginx/root;
        default_type "text/html; charset=utf-8";
        location = / { try_files /tls.html =404; }
    }
}
CONF
nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
PIDS+=($!)
NGINX=http://127.0.0.1:$NGINX_PORT
NGINX_TLS=https://127.0.0.1:$NGINX_TLS_PORT
wait_for "$NGINX/"; wait_for "$NGINX_TLS/"
for server in "$STACK" "$ALONE"; do
  cmp -s "$WORK/nginx/root/index.html" <(curl -fs "$server/") || { echo "$server does not send nginx's bytes" >&2; exit 1; }
done
cmp -s "$WORK/nginx/root/tls.html" <(curl -fsk "$TLS_STACK/") || { echo "$TLS_STACK does not send nginx's bytes" >&2; exit 1; }

# Warm everything (renders, nginx's cache) before measuring.
for server in "$NGINX" "$STACK" "$NOCACHE" "$ALONE" "$NGINX_TLS" "$TLS_STACK"; do wrk -t2 -c"$CONNECTIONS" -d2s "$server/" >/dev/null; done

# --- / : alternating rounds, medians -----------------------------------------------------
: >"$WORK/nginx.runs"; : >"$WORK/stack.runs"; : >"$WORK/alone.runs"; : >"$WORK/nginx-tls.runs"; : >"$WORK/stack-tls.runs"
for _ in $(seq "$ROUNDS"); do
  load "$NGINX/" >>"$WORK/nginx.runs"
  load "$STACK/" >>"$WORK/stack.runs"
  load "$ALONE/" >>"$WORK/alone.runs"
  load "$NGINX_TLS/" >>"$WORK/nginx-tls.runs"
  load "$TLS_STACK/" >>"$WORK/stack-tls.runs"
done
column_median() { cut -d' ' -f"$2" "$1" | median; }
medians() { echo "$(column_median "$1" 1) $(column_median "$1" 2) $(column_median "$1" 3)"; }
STATIC_RPS=$(column_median "$WORK/nginx.runs" 1)

row() { # label, rps, p50, p99 (the ratio is to BASE_RPS, nginx static's rate)
  printf "| %s | %s | %s | %s | %s |\n" "$1" "$2" "$3" "$4" "$(awk -v a="$2" -v b="${BASE_RPS:-$STATIC_RPS}" 'BEGIN { printf "%.3f", a / b }')"
}

HX=(-H "HX-Request: true" -H "HX-Request-Type: partial")
ETAG=$(curl -fsI "$STACK/" | awk 'tolower($1) == "etag:" { sub(/\r$/, "", $2); print $2 }')
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$STACK/")" = 304 ] || { echo "no 304 for /" >&2; exit 1; }
STYLESHEET=$(curl -fs "$STACK/" | grep -o '/static/css/site\.[0-9a-f]*\.css' | head -1)

# p99 of / through the stack while other traffic arrives: wrk measures, bench_clients.py adds the rest.
with_background() { # label, bench_clients.py arguments...
  local label=$1; shift
  "$PYTHON" scripts/bench_clients.py "$@" 2>>"$WORK/background.log" &
  local background=$!
  sleep 1
  row "$label" $(load "$STACK/")
  wait "$background"
}
SECONDS_BACKGROUND=$(( ${DURATION%s} + 2 ))

{
  echo "| request | requests/s | p50 ms | p99 ms | ratio to nginx static / |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  row "nginx static: the same bytes of /" $(medians "$WORK/nginx.runs")
  row "stack: /" $(medians "$WORK/stack.runs")
  row "stack: case-study fragment /work/write (htmx)" $(load "${HX[@]}" "$STACK/work/write")
  row "stack: hashed static file (site.css, gzip)" $(load -H "Accept-Encoding: gzip" "$STACK$STYLESHEET")
  row "stack: / with If-None-Match, answered 304" $(load -H "If-None-Match: $ETAG" "$STACK/")
  row "stack without nginx's page cache: /" $(load "$NOCACHE/")
  row "granian alone: /" $(medians "$WORK/alone.runs")
  row "granian alone: case-study fragment /work/write (htmx)" $(load "${HX[@]}" "$ALONE/work/write")
  row "granian alone: hashed static file (site.css, gzip)" $(load -H "Accept-Encoding: gzip" "$ALONE$STYLESHEET")
  row "granian alone: / with If-None-Match, answered 304" $(load -H "If-None-Match: $ETAG" "$ALONE/")
  with_background "stack: / while 20 contact messages a second arrive" posts "$STACK_PORT" 20 "$SECONDS_BACKGROUND"
  with_background "stack: / while 50 clients send a body one byte a second" slow "$STACK_PORT" 50 "$SECONDS_BACKGROUND"
} | tee "$WORK/table.md"

STORED=$("$PYTHON" -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from messages').fetchone()[0])" "$WORK/stack.db")
echo
echo "Messages stored through the stack during the POST run: $STORED; $(grep posts "$WORK/background.log")."
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); wrk -t2 -c$CONNECTIONS -d$DURATION on loopback;" \
  "granian with ${WORKERS:-$(nproc)} workers; $(nginx -v 2>&1 | sed 's/.*: //'), worker_processes auto; load average $(cut -d' ' -f1-3 /proc/loadavg)."

echo
BASE_RPS=$(column_median "$WORK/nginx-tls.runs" 1)
{
  echo "| request over HTTPS (TLS 1.3, HTTP/1.1 keep-alive) | requests/s | p50 ms | p99 ms | ratio to nginx static over TLS / |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  row "nginx static over TLS: the same bytes of /, the same certificate" $(medians "$WORK/nginx-tls.runs")
  row "stack over TLS: /" $(medians "$WORK/stack-tls.runs")
} | tee -a "$WORK/table.md"
unset BASE_RPS

echo
"$PYTHON" scripts/bench_https_view.py "https://bench.example:$TLS_STACK_PORT" "$WORK/tls/cert.pem"
