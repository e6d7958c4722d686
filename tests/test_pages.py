"""The pages a visitor reads: sections, words, case studies, filter, SEO files."""

import json
from xml.etree import ElementTree

import pytest

from tests.html import PARTIAL, project_titles, soup, text

L1, EXCHANGE, WEBRTC, WRITE, SUN = (
    "L1 Market Data Engine", "Crypto Exchange", "WebRTC Video Platform", "Write", "Interactive Sun Ray Casting Simulation",
)


def test_home_has_every_section_in_the_seeds_order(client):
    page = soup(client.get("/"))
    ids = [s.get("id") or s.get("class")[0] for s in page.select("main > section")]
    assert ids == ["hero", "about", "work", "principles", "journey", "philosophy", "numbers", "contact"]
    assert page.select_one("footer").get_text(" ", strip=True).startswith("© 2026 Harsh Tiwari")


@pytest.mark.parametrize("words", [
    "Building Systems That Scale Beyond Screens.",
    "Building software at the intersection of systems, intelligence, and the physical world.",
    "Technology was never about code. It was about solving problems that matter.",
    "how do we build something that remains correct under pressure?",
    "Systems engineered for real-world scale.",
    "Exchange Feed", "Live Distribution", "Minimize unnecessary allocations", "Monitor continuously",
    "Associate Engineer at L&T Technology Services",
    "I enjoy building systems where reliability matters, performance is measurable, and complexity remains invisible.",
    "Interested in building something ambitious?",
    "Designed & engineered with intent.",
])
def test_home_uses_the_owners_words(client, words):
    assert words in text(client.get("/"))


def test_home_has_one_h1_and_headings_in_order(client):
    page = soup(client.get("/"))
    assert len(page.find_all("h1")) == 1
    levels = [int(h.name[1]) for h in page.find_all(["h1", "h2", "h3", "h4"])]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels


def test_no_extraction_artefacts_reach_the_page(client):
    body = text(client.get("/"))
    for artefact in ("HARSHTIWARI", "BuildingSystems", "code.It", "0+", "1.1.", "Scroll"):
        assert artefact not in body


def test_snippet_is_highlighted_on_the_server(client):
    code = soup(client.get("/")).select_one("pre.code code")
    assert code.select_one("span.kd").get_text() == "const"  # a keyword token
    assert "// Market spread calculation" in code.get_text()
    assert not soup(client.get("/")).select('script[src*="highlight"], script[src*="prism"]')


def test_architecture_flow_is_a_list_not_ascii_arrows(client):
    flow = soup(client.get("/")).select(".flow li")
    assert [li.get_text() for li in flow] == ["Exchange Feed", "Ingestion Layer", "Processing Engine", "Live Distribution"]
    assert "↓" not in text(client.get("/"))


def test_journey_is_a_timeline_of_years(client):
    years = [t["datetime"] for t in soup(client.get("/")).select(".timeline time")]
    assert years == ["2021", "2022", "2023", "2024", "2025"]


def test_numbers_show_derived_figures_and_leave_out_unset_ones(client):
    figures = {div.dt.get_text(): div.dd.get_text() for div in soup(client.get("/")).select(".figures div")}
    assert figures["Projects"] == "5"  # exact: derived figures carry no "+"
    assert figures["Years Building"].isdigit()
    assert "DSA Problems" not in figures and "Major Systems" not in figures


def test_owner_set_figures_keep_the_owners_plus(content_dir, make_app):

    site = content_dir / "site.toml"
    site.write_text(site.read_text().replace("# dsa_problems = 0", "dsa_problems = 420"))
    client = make_app(CONTENT_DIR=str(content_dir)).test_client()
    figures = {div.dt.get_text(): div.dd.get_text() for div in soup(client.get("/")).select(".figures div")}
    assert figures["DSA Problems"] == "420+"
    assert figures["Projects"] == "5"


@pytest.mark.parametrize("path, title", [
    ("/", "Harsh Tiwari — Software Engineer"),
    ("/?tag=docker", "Work with Docker — Harsh Tiwari"),
    ("/work?tag=nodejs", "Work with Node.js — Harsh Tiwari"),
    ("/work", "Selected Work — Harsh Tiwari"),
])
def test_a_filtered_page_is_titled_by_its_technology(client, path, title):
    page = soup(client.get(path))
    assert page.title.get_text() == title
    assert page.find("meta", property="og:title")["content"] == title
    assert page.find("meta", attrs={"name": "twitter:title"})["content"] == title
    # The title site.js gives the document when htmx swaps this list in.
    assert soup(client.get(path, headers=PARTIAL)).select_one("nav.filter")["data-page-title"] == title


def test_thank_you_page_has_its_own_heading_and_title(client):
    page = soup(client.get("/contact/thanks?ref=ABCDEFGH"))
    assert page.title.get_text() == "Message sent — Harsh Tiwari"
    assert page.h1.get_text() == "Message sent"
    assert "ambitious" not in page.get_text()


def test_unset_links_are_left_out(client):
    contact = soup(client.get("/")).select_one("#contact")
    assert not contact.select('a[href^="mailto:"], a[href*="github"], a[href*="linkedin"]')


def test_project_cards_show_number_title_problem_stack_and_case_study_link(client):
    card = soup(client.get("/")).select_one("#project-crypto-exchange")
    assert card.select_one(".project-number").get_text() == "02"
    assert card.select_one(".project-title").get_text() == EXCHANGE
    assert "transparent order books" in card.select_one(".project-problem").get_text()
    assert [li.get_text() for li in card.select(".stack li")] == ["Node.js", "PostgreSQL", "Redis", "React", "WebSocket", "AWS"]
    toggle = card.select_one("a.case-toggle")
    assert toggle["href"] == "/work/crypto-exchange"
    # A plain link until site.js makes it an expandable button: no button semantics without JavaScript.
    assert "aria-expanded" not in toggle.attrs and "role" not in toggle.attrs


def test_case_study_page_has_everything_and_its_neighbours(client):
    response = client.get("/work/webrtc-video-platform")
    page = soup(response)
    assert response.status_code == 200
    assert page.h1.get_text() == WEBRTC
    body = text(response)
    for words in ("NAT traversal", "Selective Forwarding Unit (SFU)", "Graceful degradation", "resilient reconnect logic", "STUN/TURN"):
        assert words in body
    assert [h.get_text() for h in page.select("main article h2")] == ["Problem", "Architecture", "Challenges", "Outcome", "Stack"]
    assert page.select_one('a[rel="prev"]')["href"] == "/work/crypto-exchange"
    assert page.select_one('a[rel="next"]')["href"] == "/work/write"
    assert page.select_one(".back a")["href"].startswith("/#project-webrtc")


def test_first_and_last_case_studies_have_one_neighbour(client):
    assert not soup(client.get("/work/l1-market-data-engine")).select('a[rel="prev"]')
    assert not soup(client.get("/work/sun-ray-casting")).select('a[rel="next"]')


@pytest.mark.parametrize("tag, titles", [
    ("python", [L1]),
    ("docker", [L1, WEBRTC]),
    ("react", [EXCHANGE, WEBRTC]),
    ("websocket", [L1, EXCHANGE]),
    ("nodejs", [EXCHANGE, WEBRTC]),
    ("c", [SUN]),
    ("stun-turn", [WEBRTC]),
])
@pytest.mark.parametrize("path", ["/", "/work"])
def test_filter_lists_the_projects_with_that_tag(client, path, tag, titles):
    response = client.get(f"{path}?tag={tag}")
    assert response.status_code == 200
    assert project_titles(response) == titles


@pytest.mark.parametrize("path", ["/", "/work"])
def test_no_filter_lists_every_project(client, path):
    assert project_titles(client.get(path)) == [L1, EXCHANGE, WEBRTC, WRITE, SUN]
    assert project_titles(client.get(f"{path}?tag=")) == [L1, EXCHANGE, WEBRTC, WRITE, SUN]


def test_active_filter_is_marked_and_counted(client):
    page = soup(client.get("/?tag=docker"))
    current = page.select('.filter a[aria-current="page"]')
    assert [a.get_text() for a in current] == ["Docker"]
    assert page.select_one("#work-status").get_text() == "2 of 5 projects use Docker."
    assert page.select_one("#work-status")["role"] == "status"
    assert page.select_one("#filter-all")["href"] == "/#work"
    assert soup(client.get("/?tag=python")).select_one("#work-status").get_text() == "1 of 5 projects uses Python."
    assert soup(client.get("/")).select_one("#filter-all")["aria-current"] == "page"


def test_filter_links_work_without_javascript(client):
    link = soup(client.get("/")).select_one("#filter-react")
    assert link.name == "a" and link["href"] == "/?tag=react#work"
    link = soup(client.get("/work")).select_one("#filter-react")
    assert link["href"] == "/work?tag=react#work"


@pytest.mark.parametrize("path, explanation", [
    ("/?tag=cobol", "No project uses the technology “cobol”."),
    ("/work?tag=cobol", "No project uses the technology “cobol”."),
    ("/?tag=Python", "No project uses the technology “Python”."),
    ("/work/nope", "There is no case study at this address."),
    ("/nope", "There is nothing at this address."),
])
def test_unknown_tags_slugs_and_paths_are_styled_404s(client, path, explanation):
    response = client.get(path)
    assert response.status_code == 404
    page = soup(response)
    assert page.select_one("header.site-header")  # the site's own page, not a bare error
    assert page.h1.get_text() == "Page not found"
    assert explanation in page.select_one("main").get_text()
    assert "Software Engineer. Building software" not in page.select_one("main").get_text()


def test_head_has_seo_and_social_tags(client):
    head = soup(client.get("/work/write")).head
    assert head.title.get_text() == "Write — case study — Harsh Tiwari"
    assert head.select_one('meta[name="description"]')["content"].startswith("Traditional note-taking tools")
    assert head.select_one('link[rel="canonical"]')["href"] == "http://127.0.0.1:5000/work/write"
    assert head.select_one('meta[property="og:title"]')["content"] == "Write — case study — Harsh Tiwari"
    assert head.select_one('meta[property="og:url"]')["content"] == "http://127.0.0.1:5000/work/write"
    assert head.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image"
    assert head.select_one('link[rel="icon"]')


def json_ld(response) -> dict:
    return json.loads(soup(response).select_one('script[type="application/ld+json"]').string)


def test_home_describes_a_person_in_json_ld(client):
    data = json_ld(client.get("/"))
    assert data["@type"] == "Person" and data["name"] == "Harsh Tiwari" and data["jobTitle"] == "Software Engineer"


def test_case_study_is_a_creative_work_in_json_ld(client):
    data = json_ld(client.get("/work/sun-ray-casting"))
    assert data["@type"] == "CreativeWork"
    assert data["name"] == SUN
    assert data["author"]["name"] == "Harsh Tiwari"
    assert "SDL2" in data["keywords"]


def test_site_url_setting_is_used_for_absolute_addresses(make_app):

    client = make_app(SITE_URL="https://harsh.example").test_client()
    assert soup(client.get("/")).select_one('link[rel="canonical"]')["href"] == "https://harsh.example/"
    assert "<loc>https://harsh.example/work/write</loc>" in client.get("/sitemap.xml").get_data(as_text=True)


def test_sitemap_lists_every_page(client):
    response = client.get("/sitemap.xml")
    assert response.content_type == "application/xml; charset=utf-8"
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in ElementTree.fromstring(response.data).findall("s:url/s:loc", namespace)]
    assert len(locs) == 3 + 5
    assert "http://127.0.0.1:5000/contact" in locs
    assert "http://127.0.0.1:5000/work/sun-ray-casting" in locs


def test_robots_allows_all_and_names_the_sitemap(client):
    body = client.get("/robots.txt").get_data(as_text=True)
    assert "Allow: /" in body and "Sitemap: http://127.0.0.1:5000/sitemap.xml" in body


@pytest.mark.parametrize("path", ["/", "/work", "/work/write", "/?tag=c", "/nope"])
def test_nothing_is_loaded_from_another_origin(client, path):
    page = soup(client.get(path))
    for element in page.select("script[src], link[rel=stylesheet], link[rel=icon], img[src]"):
        url = element.get("src") or element.get("href")
        assert url.startswith("/") and not url.startswith("//"), url


def test_htmx_is_vendored_with_its_licence(client):
    script = soup(client.get("/")).select_one('script[src*="htmx"]')
    assert "htmx-4.0.1" in script["src"]
    assert client.get(script["src"]).status_code == 200
    assert b"Zero-Clause BSD" in client.get("/static/vendor/htmx-4.0.1.LICENSE").data


def test_a_case_study_page_ends_with_a_way_to_get_in_touch(client):
    page = soup(client.get("/work/write"))
    last = page.select("main > *")[-1]
    assert last.h2.get_text() == "Interested in building something ambitious?"
    assert last.select_one('a[href="/contact"]').get_text() == "Write a message"


@pytest.mark.parametrize("path", ["/?tag=docker", "/work?tag=docker"])
def test_back_to_the_work_keeps_the_filter(client, path):
    card_link = soup(client.get(path)).select_one("#toggle-webrtc-video-platform")
    assert card_link["href"] == card_link["hx-get"] == "/work/webrtc-video-platform?tag=docker"
    case = soup(client.get(card_link["href"]))
    assert case.select_one(".back a")["href"] == "/?tag=docker#project-webrtc-video-platform"
    assert soup(client.get("/work/webrtc-video-platform")).select_one(".back a")["href"] == "/#project-webrtc-video-platform"
    # The study expanded in place links its page with the filter too.
    fragment = soup(client.get(card_link["hx-get"], headers={"HX-Request": "true"}))
    assert fragment.select_one(".case-permalink a")["href"] == "/work/webrtc-video-platform?tag=docker"
