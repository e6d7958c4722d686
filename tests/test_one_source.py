"""Every format comes from the one content: a change to data/ reaches all six outputs
(the home page, /cv, the PDF's text, /resume.json, the vCard, the h-card)."""

import subprocess

import mf2py
import vobject

from tests.cv_support import fill_in
from tests.html import text

NAME, ROLE = "Harshita Tiwary", "Embedded Systems Engineer"
MILESTONE, PROJECT = "Staff Engineer at Example Robotics", "Lattice Telemetry Bus"


def pdf_text(client, tmp_path) -> str:
    file = tmp_path / "cv.pdf"
    file.write_bytes(client.get(client.get("/cv.pdf").headers["Location"]).data)
    extracted = subprocess.run(["pdftotext", str(file), "-"], capture_output=True, text=True, check=True, timeout=60).stdout
    return " ".join(extracted.split())


def test_a_change_to_the_content_reaches_every_format(content_dir, tmp_path, make_app):
    fill_in(content_dir)
    site = content_dir / "site.toml"
    site.write_text(site.read_text()
                    .replace('name = "Harsh Tiwari"', f'name = "{NAME}"')
                    .replace('role = "Software Engineer"', f'role = "{ROLE}"')
                    .replace('title = "Associate Engineer at L&T Technology Services"', f'title = "{MILESTONE}"')
                    .replace('position = "Associate Engineer"\n', ""))
    project = content_dir / "projects" / "write.toml"
    project.write_text(project.read_text().replace('title = "Write"', f'title = "{PROJECT}"'))
    client = make_app(CONTENT_DIR=str(content_dir)).test_client()

    home, cv, pdf = text(client.get("/")), text(client.get("/cv")), pdf_text(client, tmp_path)
    resume = client.get("/resume.json").get_data(as_text=True)
    card = vobject.readOne(client.get("/harshita-tiwary.vcf").get_data(as_text=True))
    h_card = mf2py.parse(doc=client.get("/").get_data(as_text=True), url="https://harsh.example/")["items"][0]["properties"]

    for output in (home, cv, pdf, resume):
        assert NAME in output and ROLE in output and MILESTONE in output and PROJECT in output
    assert (card.fn.value, card.title.value) == (NAME, ROLE)
    assert (h_card["name"], h_card["job-title"]) == ([NAME], [ROLE])
