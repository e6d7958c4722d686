"""/resume.json is JSON Resume 1.0.0, valid against the official schema (npm's @jsonresume/schema)."""

import json

import jsonschema
import pytest

from app.config import ROOT
from tests.cv_support import EMAIL, GITHUB, SITE_URL, fill_in

SCHEMA = ROOT / "node_modules/@jsonresume/schema/schema.json"


def validated(client) -> dict:
    if not SCHEMA.exists():
        pytest.fail(f"{SCHEMA} is missing: run `make test`, which installs it with npm ci.")
    response = client.get("/resume.json")
    assert response.status_code == 200 and response.content_type == "application/json"
    resume = response.get_json()
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(resume, schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return resume


def test_the_schema_check_does_catch_a_wrong_resume():
    # Guards the guard: a misshapen resume is rejected.
    schema = json.loads(SCHEMA.read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"basics": {"name": 1}}, schema)


def test_todays_resume_is_valid_and_leaves_out_what_is_unset(client):
    resume = validated(client)
    assert resume["basics"]["name"] == "Harsh Tiwari" and resume["basics"]["label"] == "Software Engineer"
    assert "email" not in resume["basics"] and "location" not in resume["basics"] and "profiles" not in resume["basics"]
    assert "work" not in resume and "education" not in resume
    assert [p["name"] for p in resume["projects"]][:2] == ["L1 Market Data Engine", "Crypto Exchange"]
    assert resume["projects"][0]["keywords"] == ["Python", "FastAPI", "WebSocket", "Binance API", "Docker", "Rich"]
    assert resume["skills"][0] == {"name": "In 2 projects", "keywords": ["WebSocket", "Docker", "Node.js", "React"]}


def test_filled_in_resume_has_work_education_location_and_profiles(content_dir, make_app):
    fill_in(content_dir)
    resume = validated(make_app(CONTENT_DIR=str(content_dir)).test_client())
    basics = resume["basics"]
    assert basics["email"] == EMAIL and basics["url"] == SITE_URL + "/"
    assert basics["location"] == {"address": "Pune, India"}
    assert {"network": "GitHub", "username": "harsh-example", "url": GITHUB} in basics["profiles"]
    assert resume["work"] == [{
        "name": "L&T Technology Services", "position": "Associate Engineer", "startDate": "2025",
        "summary": "Graduated with a Bachelor's degree in Electronics and Communication Engineering and began a "
                   "professional engineering career at L&T Technology Services.",
    }]
    assert resume["education"][0]["institution"] == "Example Institute of Technology"
    assert (resume["education"][0]["startDate"], resume["education"][0]["endDate"]) == ("2021", "2025")
