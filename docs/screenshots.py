"""Take the README's screenshots: the listing page and the create form, into docs/images/.

Run from the repository root with ``.venv/bin/python docs/screenshots.py``. It serves the app on
a temporary SQLite database, seeds it through the JSON API, and drives Debian's Chromium with
Playwright. The browser gets htmx from ``tests/.vendor/htmx.min.js`` (``make vendor`` puts it
there), so no network is needed.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webui import create_app  # noqa: E402  (the repository root is on the path first)

IMAGES = ROOT / "docs" / "images"
HTMX_FILE = ROOT / "tests" / ".vendor" / "htmx.min.js"
WORKSPACE = "support-team"
VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]

# name, model, fileset, finetuning type, description, enabled, lora_config
ADAPTERS = [
    ("billing-faq-lora", "shared/llama-3-8b", "billing-faq-2026-01", "lora",
     "Answers billing questions; trained on the January ticket export.", True,
     {"rank": 16, "alpha": 32}),
    ("refund-policy-qlora", "shared/llama-3-70b", "refunds-v2", "qlora",
     "Refund and returns policy, 4-bit base.", True, {"rank": 8, "alpha": 16}),
    ("tone-dpo", "shared/mistral-7b", "tone-pairs", "dpo",
     "Prefers the calm, short replies reviewers picked.", True, None),
    ("triage-router", "shared/gemma-2-9b", "shared/triage-labels", "p_tuning",
     None, True, None),
    ("escalation-summary", "shared/llama-3-8b", "escalations-q4", "lora",
     "One-paragraph summaries of escalated tickets.", False, {"rank": 32, "alpha": 64}),
    ("multilingual-greeting", "shared/qwen-2-7b", "greetings-12-languages", "prompt_tuning",
     None, True, None),
    ("kb-article-dora", "support-bot", "kb-articles", "dora",
     "Knowledge-base answers with links to the article.", True, {"rank": 16, "alpha": None}),
    ("sentiment-head", "shared/mistral-7b", "sentiment-5k", "last_layer",
     None, True, None),
    ("churn-signals-orpo", "shared/llama-3-70b", "churn-pairs", "orpo",
     "Flags churn risk in chat transcripts.", False, None),
    ("macro-suggester", "support-bot", "macros-2025", "lora_plus",
     None, True, {"rank": 8, "alpha": 8}),
    ("legal-hold-filter", "shared/gemma-2-9b", "shared/legal-terms", "prefix_tuning",
     "Spots messages that must be kept under a legal hold.", True, None),
    ("handoff-kto", "shared/qwen-2-7b", "handoff-feedback", "kto",
     None, True, None),
    ("ticket-tagger-v1", "shared/llama-3-8b", "tags-2024", "all_weights",
     "Superseded by ticket-tagger-v2.", False, None),
    ("ticket-tagger-v2", "shared/llama-3-8b", "tags-2025", "adalora",
     "Tags tickets with product area and urgency.", True, {"rank": 12, "alpha": 24}),
    ("reply-drafts-grpo", "support-bot", "drafts-rewarded", "grpo",
     "Draft replies tuned against the resolution reward.", True, None),
]


def seed(app) -> None:
    """Create the adapters through the JSON API, as a script would."""
    client = app.test_client()
    url = f"/apis/models/v2/workspaces/{WORKSPACE}/adapters"
    for name, model, fileset, kind, description, enabled, lora in ADAPTERS:
        body = {"name": name, "model": model, "fileset": fileset, "finetuning_type": kind,
                "description": description, "enabled": enabled, "lora_config": lora}
        response = client.post(url, json=body)
        if response.status_code != 201:
            raise SystemExit(f"Seeding {name} failed: {response.status_code} {response.json}")


def shoot(base_url: str) -> None:
    """Open each page in Chromium and save it."""
    htmx = HTMX_FILE.read_bytes()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        # the page asks the CDN for htmx; answer with the same pinned file (its SRI still holds)
        context.route("**/htmx.org@*/dist/htmx.min.js", lambda route: route.fulfill(
            status=200, body=htmx, content_type="text/javascript; charset=utf-8",
            headers={"Access-Control-Allow-Origin": "*"}))
        page = context.new_page()

        page.goto(f"{base_url}/workspaces/{WORKSPACE}/adapters")
        page.wait_for_function("window.htmx !== undefined")
        page.screenshot(path=IMAGES / "listing.png")

        page.goto(f"{base_url}/workspaces/{WORKSPACE}/new-adapter")
        page.wait_for_function("window.htmx !== undefined")
        page.fill("#name", "billing faq v2")
        page.fill("#model", "llama-3-8b")
        page.fill("#fileset", "billing-faq-2026-02")
        page.select_option("#finetuning_type", "lora")
        page.fill("#lora_config-rank", "0")
        page.fill("#description", "Answers billing questions; trained on the February export.")
        with page.expect_response(lambda response: response.request.method == "POST"
                                  and response.url.endswith("/new-adapter")):
            page.click("main button[type=submit]")
        page.wait_for_selector(".error-summary")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=IMAGES / "new-adapter.png")
        browser.close()


def main() -> None:
    """Serve the app on a temporary database, seed it, and take the screenshots."""
    if not HTMX_FILE.exists():
        raise SystemExit(f"{HTMX_FILE.relative_to(ROOT)} is missing: run `make vendor` first.")
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'screenshots.sqlite3'}",
            "SECRET_KEY": "screenshots",
            "INSTANCE_PATH": str(Path(folder) / "instance"),
        })
        seed(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            shoot(f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            thread.join()
    for image in sorted(IMAGES.glob("*.png")):
        print(f"{image.relative_to(ROOT)}: {image.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
