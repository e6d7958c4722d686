"""Security headers on every response, error pages and fragments included.

Written here rather than with flask-talisman: its last release is from 2023,
it sets neither Cross-Origin-Opener-Policy nor Cross-Origin-Resource-Policy,
and it adds headers browsers have dropped (X-XSS-Protection). Ours are a
handful of constant strings, built once.
"""

from flask import Flask

from .site import site_of

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])

# Everything the site does not use is switched off.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen", "geolocation",
    "gyroscope", "magnetometer", "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
    "screen-wake-lock", "serial", "usb", "xr-spatial-tracking", "browsing-topics",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"


def init_app(app: Flask) -> None:
    served_over_https = site_of(app).url.startswith("https://")
    headers = {**HEADERS, **({"Strict-Transport-Security": HSTS} if served_over_https else {})}

    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["APP_ENV"] == "production",
    )

    # Werkzeug would answer //work//write with a redirect to an absolute URL
    # built from the Host header, which anyone may set: such paths are a 404.
    app.url_map.merge_slashes = False

    @app.after_request
    def add_security_headers(response):
        response.headers.update(headers)
        return response
