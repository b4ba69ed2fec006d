"""The chat widget in a real headless Chromium: a conversation through the rasa-webchat page over socket.io,
checking what the page shows (carousel cards with images, the item card, the video, both languages)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

PAGE = f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8080')}/"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh session (its own socket.io sender id) with the widget opened; at the end, no part of what the test
    saw may have been blocked by the page's Content-Security-Policy (web/serve.py)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    try:
        page.goto(PAGE, timeout=TIMEOUT_MS)
    except Exception as error:  # noqa: BLE001 - an unreachable page must fail the test, with the fix in the message
        pytest.fail(f"the chat page is not reachable at {PAGE}: {error}. Start it with `make web`.")
    page.locator(".rw-launcher").click()
    expect(page.locator(".rw-response").first).to_be_visible(timeout=TIMEOUT_MS)  # the greeting
    yield page
    context.close()
    assert blocked == [], f"the page's Content-Security-Policy blocked: {blocked}"


def _say(page: Page, text: str) -> None:
    before = page.locator(".rw-response, .rw-carousel-container, .rw-video").count()
    page.locator(".rw-new-message").fill(text)
    page.locator(".rw-new-message").press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('.rw-response, .rw-carousel-container, .rw-video').length > n",
        arg=before,
        timeout=TIMEOUT_MS,
    )


def test_search_shows_numbered_cards_with_images_and_a_pick_opens_the_item_and_its_video(page: Page) -> None:
    _say(page, "我想看看酸奶")
    expect(page.locator(".rw-response").filter(has_text="为您找到").last).to_be_visible(timeout=TIMEOUT_MS)
    cards = page.locator(".rw-carousel-card")
    expect(cards.first).to_be_visible(timeout=TIMEOUT_MS)
    assert cards.count() >= 2
    expect(cards.first.locator(".rw-carousel-card-title")).to_contain_text("1.")
    image = page.locator("img.rw-carousel-card-image").first  # the Alpro soyghurts have linked photos
    expect(image).to_be_visible(timeout=TIMEOUT_MS)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert page.request.get(image.get_attribute("src") or "").ok

    cards.nth(3).get_by_role("button").first.click()  # "看第4个": the user says "第4个"
    expect(page.locator(".rw-response").filter(has_text="Alpro").last).to_be_visible(timeout=TIMEOUT_MS)
    page.locator(".rw-reply", has_text="看短视频").last.click()
    frame = page.locator(".rw-videoFrame").last
    expect(frame).to_be_attached(timeout=60_000)
    video = page.request.get(frame.get_attribute("src") or "")
    assert video.ok and video.headers["content-type"] == "video/mp4" and len(video.body()) > 10_000


def test_an_english_recommendation_shows_the_path_and_a_chinese_store_question_gets_an_answer(page: Page) -> None:
    _say(page, "I stay up late and my skin looks dull, what should I buy?")
    expect(page.locator(".rw-response").filter(has_text="staying up late → dull skin").last).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(page.locator(".rw-carousel-card").first).to_be_visible(timeout=TIMEOUT_MS)
    _say(page, "发什么快递呢")
    expect(page.locator(".rw-response").filter(has_text="快递").last).to_be_visible(timeout=TIMEOUT_MS)
    _say(page, "'); MATCH (n) DETACH DELETE n; // 🍓")
    expect(page.locator(".rw-response").last).to_be_visible(timeout=TIMEOUT_MS)


def test_a_page_reload_keeps_the_conversation(page: Page) -> None:
    """The session id survives the reload (socket.io session persistence), so the listed items do too."""
    _say(page, "我想看看口红")
    expect(page.locator(".rw-response").filter(has_text="为您找到").last).to_be_visible(timeout=TIMEOUT_MS)
    page.reload()
    page.locator(".rw-launcher").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)  # the widget reopens itself when it was open: give it the chance
    if not page.locator(".rw-new-message").is_visible():
        page.locator(".rw-launcher").click()
    expect(page.locator(".rw-response").filter(has_text="为您找到").last).to_be_visible(timeout=TIMEOUT_MS)
    _say(page, "第二个")
    expect(page.locator(".rw-response").filter(has_text="品类：口红").last).to_be_visible(timeout=TIMEOUT_MS)


def _images_after(page: Page, reply_text: str, before: int) -> int:
    """Wait for a pictures reply and for its images (one per caption, the captions a numbered list in the text);
    the number of images the page shows then."""
    reply = page.locator(".rw-response").filter(has_text=reply_text).last
    expect(reply).to_be_visible(timeout=TIMEOUT_MS)
    captions = reply.locator("li").count() or 1  # the widget renders the numbered captions as a Markdown list
    assert captions <= 3
    page.wait_for_function(
        "n => document.querySelectorAll('img.rw-image-frame').length >= n", arg=before + captions, timeout=TIMEOUT_MS
    )
    return page.locator("img.rw-image-frame").count()


def test_a_picture_request_shows_the_matching_images_with_their_captions(page: Page) -> None:
    """Text-to-image search over the whole image index (the cross-modal model's text tower and the vector index):
    the reply lists the captions and the images follow, loaded from the page server. Needs the demo graph with
    the linker's image embeddings and the model's text projection (`make graph`)."""
    _say(page, "有没有燕麦奶的照片")  # oat milk: Oatly's photos are in the index
    shown = _images_after(page, "为您找到这些匹配的图片", 0)
    assert shown >= 1
    expect(page.locator(".rw-response").filter(has_text="为您找到这些匹配的图片").last).to_contain_text("Oatly")
    image = page.locator("img.rw-image-frame").first
    expect(image).to_be_visible(timeout=TIMEOUT_MS)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert page.request.get(image.get_attribute("src") or "").ok
    _say(page, "show me a picture of the yoghurt with strawberries")
    assert _images_after(page, "Here are the pictures that match best", shown) > shown
    expect(page.locator(".rw-response").filter(has_text="Here are the pictures").last).to_contain_text("Strawberry")
