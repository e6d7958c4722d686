"""A copy of data/ with every optional field the CV formats use filled in, as the owner would."""

from pathlib import Path

SITE_URL = "https://harsh.example"
GITHUB = "https://github.com/harsh-example"
LINKEDIN = "https://www.linkedin.com/in/harsh-example"
EMAIL = "harsh@example.com"
AVAILABILITY = """
[availability]
open_to_opportunities = true
looking_for = ["backend and systems roles", "permanent", "remote or on site in Pune"]
starting = "March 2027"
replies = "within two working days"
"""


def fill_in(content_dir: Path) -> Path:
    site = content_dir / "site.toml"
    text = site.read_text()
    text = text.replace('email = ""', f'email = "{EMAIL}"')
    text = text.replace('github = ""', f'github = "{GITHUB}"')
    text = text.replace('linkedin = ""', f'linkedin = "{LINKEDIN}"')
    text = text.replace('url = ""', f'url = "{SITE_URL}"')
    text = text.replace('role = "Software Engineer"\n',
                        'role = "Software Engineer"\nlocation = "Pune, India"\ntime_zone = "Asia/Kolkata"\n')
    text = text.replace('stage = "Education"\n',
                        'stage = "Education"\nkind = "education"\norganisation = "Example Institute of Technology"\n'
                        'position = "Bachelor of Technology"\nuntil = 2025\n')
    text = text.replace('stage = "Career"\n',
                        'stage = "Career"\nkind = "work"\norganisation = "L&T Technology Services"\nposition = "Associate Engineer"\n')
    site.write_text(text + AVAILABILITY)
    return content_dir
