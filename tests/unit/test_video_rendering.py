"""Video rendering under load: the video turn runs off the action server's event loop, at most so many renders run
at once, the same video renders once, the cache folder stays within its bound (least recently used files go
first), and a failed render leaves no file and gets an apology. No graph, no servers: a story store and fake
renderers; one test runs the real ffmpeg on a few frames."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions, video
from actions.media_cache import CacheBound, KeyedLocks, env_int, evict, touch
from actions.messages import say
from actions.reply import Reply
from actions.video import Scene, VideoMaker, VideoRenderError, render_video

BIG = CacheBound(max_bytes=10**9, max_files=10**6)
WAIT = 10.0  # seconds a test waits for another thread before it fails (never reached when the code is right)


class StoryStore:
    """Every item id but "unknown" has a story: its title and no path, so two scenes and no images."""

    def item_story(self, item_id: str, problems: Any = None, scenarios: Any = None) -> dict[str, Any] | None:
        return None if item_id == "unknown" else {"title": f"item {item_id}", "images": []}

    def summaries(self, ids: list[str]) -> list[Any]:
        return []  # no summary: the scenes keep the story's title


def writing_renderer(size: int = 100, calls: list[Path] | None = None) -> video.Renderer:
    """A renderer that writes `size` bytes to the path at once (and notes the path)."""

    def render(scenes: list[Scene], path: Path) -> Path:
        if calls is not None:
            calls.append(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"v" * size)
        return path

    return render


def wait_until(condition: Any, seconds: float = WAIT) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


# --- settings ---


def test_the_settings_come_from_the_environment_with_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VIDEO_MAX_RENDERS", "VIDEO_CACHE_MB", "VIDEO_CACHE_FILES"):
        monkeypatch.delenv(name, raising=False)
    assert video.max_renders() == 2
    assert CacheBound.from_env() == CacheBound(200 * 1024 * 1024, 500)
    monkeypatch.setenv("VIDEO_MAX_RENDERS", "3")
    monkeypatch.setenv("VIDEO_CACHE_MB", "5")
    monkeypatch.setenv("VIDEO_CACHE_FILES", "7")
    assert video.max_renders() == 3 and CacheBound.from_env() == CacheBound(5 * 1024 * 1024, 7)
    monkeypatch.setenv("VIDEO_MAX_RENDERS", "0")
    assert video.max_renders() == 1  # at least one render
    monkeypatch.setenv("VIDEO_MAX_RENDERS", "many")
    assert video.max_renders() == 2 and env_int("VIDEO_MAX_RENDERS", 4) == 4


# --- concurrent renders ---


def test_no_more_renders_run_at_once_than_the_slots_allow(tmp_path: Path) -> None:
    """Each fake render waits (up to half a second) for a third one to run beside it: without the limit a third one
    comes at once; with it, never."""
    active, peak, changed = 0, 0, threading.Condition()

    def render(scenes: list[Scene], path: Path) -> Path:
        nonlocal active, peak
        with changed:
            active += 1
            peak = max(peak, active)
            changed.notify_all()
            changed.wait_for(lambda: active >= 3, timeout=0.5)
            active -= 1
        return writing_renderer()(scenes, path)

    maker = VideoMaker(StoryStore(), tmp_path, BIG, threading.BoundedSemaphore(2), render)
    threads = [threading.Thread(target=maker.video, args=(f"i{n}", "en")) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert peak == 2  # different videos render side by side, up to the limit
    assert len(list(tmp_path.glob("*.mp4"))) == 6


def test_two_requests_for_the_same_video_render_it_once(tmp_path: Path) -> None:
    calls: list[Path] = []
    entered, release = threading.Event(), threading.Event()

    def render(scenes: list[Scene], path: Path) -> Path:
        calls.append(path)
        entered.set()
        release.wait(WAIT)
        return writing_renderer()(scenes, path)

    maker = VideoMaker(StoryStore(), tmp_path, BIG, threading.BoundedSemaphore(2), render)
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(maker.video("a", "en")))
    first.start()
    assert entered.wait(WAIT)
    second = threading.Thread(target=lambda: results.append(maker.video("a", "en")))
    second.start()
    waiting = wait_until(lambda: video._RENDERING.users(str(calls[0])) == 2)  # the second waits for the first
    release.set()
    first.join(WAIT)
    second.join(WAIT)
    assert waiting and len(calls) == 1
    assert len(results) == 2 and results[0][0] == results[1][0] == calls[0] and calls[0].is_file()


def test_keyed_locks_are_dropped_when_nobody_holds_them() -> None:
    locks = KeyedLocks()
    with locks.hold("a"):
        assert locks.users("a") == 1 and locks.users("b") == 0
        with locks.hold("b"):  # another key: no waiting
            assert locks.users("b") == 1
    assert locks.users("a") == 0 and locks._locks == {}


# --- the bounded cache ---


def aged(path: Path, seconds_ago: float) -> Path:
    stamp = time.time() - seconds_ago
    os.utime(path, (stamp, stamp))
    return path


def video_file(maker: VideoMaker, item: str) -> Path:
    made = maker.video(item, "en")
    assert made is not None
    return made[0]


def names(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def test_the_least_recently_used_video_goes_first_and_a_served_one_counts_as_used(tmp_path: Path) -> None:
    calls: list[Path] = []
    maker = VideoMaker(StoryStore(), tmp_path, CacheBound(10**9, 3), renderer=writing_renderer(calls=calls))
    made = {item: video_file(maker, item) for item in "abc"}
    for age, item in zip((300, 200, 100), "abc", strict=True):
        aged(made[item], age)  # a is the oldest, c the newest
    assert video_file(maker, "a") == made["a"] and len(calls) == 3  # served from the cache: now the newest
    made["d"] = video_file(maker, "d")
    assert names(tmp_path) == {made[item].name for item in "acd"}
    made["e"] = video_file(maker, "e")
    assert names(tmp_path) == {made[item].name for item in "ade"}
    assert video_file(maker, "b") == made["b"] and len(calls) == 6  # evicted before: rendered again


def test_the_cache_keeps_within_its_bytes_and_the_new_file_stays_even_when_alone_too_big(tmp_path: Path) -> None:
    maker = VideoMaker(StoryStore(), tmp_path, CacheBound(250, 100), renderer=writing_renderer(size=100))
    made = {}
    for age, item in enumerate("abcd"):
        made[item] = aged(video_file(maker, item), 100 - age)
    assert names(tmp_path) == {made["c"].name, made["d"].name}
    huge = VideoMaker(StoryStore(), tmp_path, CacheBound(250, 100), renderer=writing_renderer(size=1000))
    alone = video_file(huge, "e")
    assert names(tmp_path) == {alone.name}


def test_evict_leaves_files_being_written_and_other_kinds_alone(tmp_path: Path) -> None:
    old = tmp_path / "old.mp4"
    old.write_bytes(b"x" * 10)
    aged(old, 50)
    partial = tmp_path / "new.part.mp4"
    partial.write_bytes(b"x" * 10_000)
    other = tmp_path / "notes.txt"
    other.write_bytes(b"x" * 10_000)
    newer = tmp_path / "newer.mp4"
    newer.write_bytes(b"x" * 10)
    assert evict(tmp_path, CacheBound(10, 10)) == [old]
    assert {path.name for path in tmp_path.iterdir()} == {"new.part.mp4", "notes.txt", "newer.mp4"}
    assert evict(tmp_path, CacheBound(0, 0), keep=[newer]) == [] and newer.is_file()
    assert touch(newer) and not touch(old)


# --- failed renders ---


def fake_ffmpeg(fail_at: int | None) -> Any:
    """Stands in for imageio_ffmpeg.write_frames: writes each frame to the file, fails at frame `fail_at`."""

    def write_frames(path: str, *args: Any, **kwargs: Any) -> Iterator[None]:
        with open(path, "wb") as file:
            number = 0
            while True:
                frame = yield
                if number == fail_at:
                    raise OSError("ffmpeg: broken pipe")
                file.write(bytes(memoryview(frame))[:16])
                file.flush()
                number += 1

    return write_frames


SCENES = [Scene("title card"), Scene("the pick")]


def test_a_failing_writer_leaves_no_partial_file_and_nothing_at_the_final_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    partial_seen: list[bool] = []
    real_frames = video.frames

    def frames(scenes: list[Scene]) -> Iterator[np.ndarray]:
        for number, frame in enumerate(real_frames(scenes)):
            if number == 3:
                partial_seen.append((tmp_path / "v.part.mp4").is_file())
            yield frame

    monkeypatch.setattr(video.imageio_ffmpeg, "write_frames", fake_ffmpeg(fail_at=3))
    monkeypatch.setattr(video, "frames", frames)
    with pytest.raises(VideoRenderError, match="broken pipe"):
        render_video(SCENES, tmp_path / "v.mp4")
    assert partial_seen == [True]  # the failure came after the partial file was written to
    assert list(tmp_path.iterdir()) == []


def test_a_bad_frame_stops_the_real_ffmpeg_render_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    partial = tmp_path / "v.part.mp4"
    partial_seen: list[bool] = []

    def frames(scenes: list[Scene]) -> Iterator[np.ndarray]:
        still = video.scene_frame(scenes[0], 0, len(scenes))
        yield still
        yield still
        partial_seen.append(wait_until(partial.is_file))
        yield still[:, :100]  # the wrong width

    monkeypatch.setattr(video, "frames", frames)
    with pytest.raises(VideoRenderError, match="shape"):
        render_video(SCENES, tmp_path / "v.mp4")
    assert partial_seen == [True]
    assert list(tmp_path.iterdir()) == []


def test_a_failed_render_is_an_apology_in_the_users_language_and_caches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(video.imageio_ffmpeg, "write_frames", fake_ffmpeg(fail_at=0))
    maker = VideoMaker(StoryStore(), tmp_path / "videos", BIG)
    with caplog.at_level(logging.ERROR, logger="actions.video"):
        chinese = maker.reply("看短视频", "zh", focus="a")
        english = maker.reply("show me a video", "en", focus="a")
    assert chinese.text == say("video_failed", "zh") and english.text == say("video_failed", "en")
    assert chinese.video is None and chinese.item_in_focus == "a" and chinese.payload is None
    assert len(caplog.records) == 2 and caplog.records[0].exc_info is not None
    assert list((tmp_path / "videos").iterdir()) == []
    assert maker.reply("video", "en", focus="unknown").text == say("which_item", "en")


# --- the event loop ---


def tracker(text: str) -> Tracker:
    latest = {"text": text, "intent": {"name": "ask_video", "confidence": 1.0}, "entities": []}
    return Tracker("test-user", {"item_in_focus": "b02"}, latest, [], False, None, {}, "action_listen")


class SlowVideoAssistant:
    """Its video turn waits until a coroutine on the event loop has run: it never can when the turn blocks the
    loop."""

    def __init__(self, ticked: threading.Event) -> None:
        self.ticked = ticked
        self.loop_ran_meanwhile: bool | None = None

    def video(self, text: str, focus: str | None, listed: Any = None, needs: Any = None) -> Reply:
        self.loop_ran_meanwhile = self.ticked.wait(3.0)
        return Reply("a video", item_in_focus=focus, video="http://127.0.0.1:8080/media/videos/x.mp4")


def test_the_video_turn_leaves_the_event_loop_free_while_it_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    ticked = threading.Event()
    slow = SlowVideoAssistant(ticked)
    monkeypatch.setattr(actions, "_assistant", slow)
    dispatcher = CollectingDispatcher()

    async def tick() -> None:
        await asyncio.sleep(0)
        ticked.set()

    async def conversation() -> list[Any]:
        turn = asyncio.ensure_future(actions.ActionMakeVideo().run(dispatcher, tracker("看短视频"), {}))
        await asyncio.gather(turn, tick())
        return turn.result()

    events = asyncio.run(conversation())
    assert slow.loop_ran_meanwhile is True
    assert events == [SlotSet("language", "zh"), SlotSet("item_in_focus", "b02")]
    assert dispatcher.messages[0]["text"] == "a video" and dispatcher.messages[1]["attachment"]["type"] == "video"
