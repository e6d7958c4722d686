"""server.py: the production server's settings come from the environment."""

import server
from app import config


def test_defaults_bind_loopback_with_a_worker_per_cpu():
    settings = server.settings({})
    assert (settings["address"], settings["port"]) == ("127.0.0.1", 8000)
    assert settings["workers"] == config.cpu_count() >= 1
    assert settings["target"] == "wsgi:app"
    assert settings["respawn_failed_workers"] and settings["workers_kill_timeout"] == 30
    assert settings["blocking_threads"] == 1


def test_host_port_and_workers_override():
    settings = server.settings({"HOST": "0.0.0.0", "PORT": "8080", "WORKERS": "5"})
    assert (settings["address"], settings["port"], settings["workers"]) == ("0.0.0.0", 8080, 5)


def test_the_app_writes_the_access_log_once():
    settings = server.settings({})
    assert settings["log_access"] is False  # the app logs each request itself, with its id
    assert "app" in settings["log_dictconfig"]["loggers"]


def test_behind_nginx_it_listens_on_a_private_unix_socket():
    settings = server.settings({"SOCKET": "/run/portfolio/app.sock", "HOST": "0.0.0.0"})
    assert str(settings["uds"]) == "/run/portfolio/app.sock" and settings["uds_permissions"] == 0o600
    assert "address" not in settings and "port" not in settings


def test_the_socket_takes_the_mode_it_is_given_in_octal():
    settings = server.settings({"SOCKET": "/run/portfolio/app.sock", "SOCKET_MODE": "666"})
    assert settings["uds_permissions"] == 0o666
