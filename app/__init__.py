"""Harsh Tiwari's portfolio: a Flask app, one blueprint per feature."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import assets, bodies, config, contact, content, cv, development, errors, rendering, requestlog, security, social
from .health import bp as health_bp
from .pages import bp as pages_bp


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(config.ROOT / "templates"),
        static_folder=None,  # app/assets.py serves static/ from memory, under hashed names
    )
    app.config.from_mapping(config.from_environment())
    if test_config is not None:
        app.config.update(test_config)
    config.ensure_secret_key(app.config, Path(app.instance_path))
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    # Content is static per deploy: read and validated once, here; in production
    # a mistake in data/ stops start-up instead of failing a visitor's request.
    content.init_app(app)

    requestlog.init_app(app)  # first, so every request is timed and logged, even one refused early
    security.init_app(app)
    bodies.init_app(app)
    assets.init_app(app)
    rendering.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages_bp)
    social.init_app(app)
    cv.init_app(app)
    contact.init_app(app)
    app.register_blueprint(contact.bp)  # TEMPORARY (issue-18-contact): app core registers every blueprint
    app.register_blueprint(health_bp)
    development.init_app(app)  # outermost: under make run, an edit reaches past every cache
    return app
