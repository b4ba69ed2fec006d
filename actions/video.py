"""Short item videos (paper Figure 7): the item's cognitive path as scenes — a title card, one caption per node
(scenario, problem, POI, property value), the images linked to each node — rendered to an H.264 MP4 that
browsers play (imageio-ffmpeg), with cross-fades between scenes. A video is rendered once per content.

Rendering takes seconds of CPU: the action server runs the video turn in a worker thread (actions/actions.py), at
most VIDEO_MAX_RENDERS renders run at once in the process (default 2), two requests for the same video render it
once, and the cache folder keeps within VIDEO_CACHE_MB / VIDEO_CACHE_FILES (actions/media_cache.py). A failed
render leaves no file behind and the user gets an apology."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

from actions.graph_store import GraphStore
from actions.media import MEDIA_DIR, local_path, media_url
from actions.media_cache import CacheBound, KeyedLocks, env_int, evict, touch
from actions.messages import say
from actions.ordinals import ordinal_index
from actions.reply import Reply
from actions.titles import display_title
from kg_builder.images.detail_pages import font

WIDTH, HEIGHT = 480, 640
FPS = 12
SCENE_SECONDS = 1.8
FADE_SECONDS = 0.4
CAPTION_HEIGHT = 170
THEME = ((252, 243, 236), (196, 64, 84), (40, 40, 40))  # background, accent, ink

logger = logging.getLogger(__name__)


def max_renders() -> int:
    """How many videos the process renders at once: VIDEO_MAX_RENDERS, default 2, at least 1."""
    return env_int("VIDEO_MAX_RENDERS", 2, minimum=1)


RENDER_SLOTS = threading.BoundedSemaphore(max_renders())  # shared by every VideoMaker of the process
_RENDERING = KeyedLocks()  # one render per video at a time; a second request waits and then finds the file


class VideoRenderError(RuntimeError):
    """Rendering a video failed (ffmpeg, a frame); no file was left behind."""


@dataclass(frozen=True)
class Scene:
    """One caption and the image shown under it (None: a plain card)."""

    caption: str
    image: str | None = None


def _best_image(images: list[dict[str, Any]]) -> str | None:
    ranked = sorted(images, key=lambda image: -(image.get("score") or 0.0))
    return next((image["path"] for image in ranked if image.get("path") and local_path(image["path"]).is_file()), None)


def _name(node: dict[str, Any] | None, language: str) -> str | None:
    if not node:
        return None
    return node.get(f"name_{language}") or node.get("name_zh") or node.get("name_en") or node.get("value")


def item_scenes(story: dict[str, Any], language: str) -> list[Scene]:
    """Scenes from an item's story (title, path nodes with their images): title card first, the item last."""
    item_image = _best_image(story.get("images") or [])
    title = story["title"]
    scenes = [Scene(title, item_image)]
    for key in ("scenario", "problem", "poi", "value"):
        name = _name(story.get(key), language)
        if name:
            caption = say(f"video_{key}", language, name=name)
            scenes.append(Scene(caption, _best_image(story.get(f"{key}_images") or []) or item_image))
    scenes.append(Scene(say("video_pick", language, name=title), item_image))
    return scenes


def _wrapped(text: str, width: int, size: int) -> list[str]:
    per_line = max(6, width // size) if any("\u4e00" <= c <= "\u9fff" for c in text) else max(10, 2 * width // size)
    return [text[i : i + per_line] for i in range(0, len(text), per_line)][:4] or [""]


def scene_frame(scene: Scene, number: int, total: int) -> np.ndarray:
    """One still: the image fitted above, the caption in a bar below, a progress strip at the bottom."""
    background, accent, ink = THEME
    frame = Image.new("RGB", (WIDTH, HEIGHT), background)
    area = (WIDTH, HEIGHT - CAPTION_HEIGHT)
    if scene.image:
        with Image.open(local_path(scene.image)) as picture:
            picture = picture.convert("RGB")
            picture.thumbnail((area[0] - 40, area[1] - 40))
            frame.paste(picture, ((area[0] - picture.width) // 2, (area[1] - picture.height) // 2))
    draw = ImageDraw.Draw(frame)
    draw.rectangle((0, area[1], WIDTH, HEIGHT), fill=accent if number in (0, total - 1) else (255, 255, 255))
    size = 30 if number in (0, total - 1) else 34
    face = font(size)
    colour = (255, 255, 255) if number in (0, total - 1) else ink
    for row, line in enumerate(_wrapped(scene.caption, WIDTH - 40, size)):
        draw.text((20, area[1] + 18 + row * int(size * 1.35)), line, fill=colour, font=face)
    draw.rectangle((0, HEIGHT - 8, int(WIDTH * (number + 1) / total), HEIGHT), fill=accent)
    return np.asarray(frame)


def frames(scenes: list[Scene]) -> Iterator[np.ndarray]:
    """Every frame: each scene held, then cross-faded into the next."""
    stills = [scene_frame(scene, n, len(scenes)) for n, scene in enumerate(scenes)]
    hold, fade = int(SCENE_SECONDS * FPS), int(FADE_SECONDS * FPS)
    for n, still in enumerate(stills):
        for _ in range(hold):
            yield still
        if n + 1 < len(stills):
            for step in range(1, fade + 1):
                alpha = step / (fade + 1)
                yield ((1 - alpha) * still + alpha * stills[n + 1]).astype(np.uint8)


def render_video(scenes: list[Scene], path: Path) -> Path:
    """Write the scenes as an MP4 (H.264, yuv420p) into a `.part.mp4` file, then move it to `path`. On any failure
    the partial file is removed and nothing is at `path`: VideoRenderError (ValueError for no scenes)."""
    if not scenes:
        raise ValueError("a video needs at least one scene")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.mp4")
    try:
        writer = imageio_ffmpeg.write_frames(
            str(partial), (WIDTH, HEIGHT), fps=FPS, codec="libx264", pix_fmt_out="yuv420p", quality=6
        )
        try:
            writer.send(None)
            for frame in frames(scenes):
                if frame.shape != (HEIGHT, WIDTH, 3) or frame.dtype != np.uint8:
                    raise ValueError(f"a frame of shape {frame.shape} and type {frame.dtype}")
                writer.send(np.ascontiguousarray(frame))
        finally:
            writer.close()  # ffmpeg ends (and the rest of the partial file is written) before it is removed
        if not partial.is_file() or partial.stat().st_size == 0:
            raise OSError("ffmpeg wrote no video")
        partial.replace(path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, Exception):
            raise VideoRenderError(f"rendering {path.name} failed: {error}") from error
        raise
    return path


Renderer = Callable[[list[Scene], Path], Path]


class VideoMaker:
    """Item id → the MP4 of its cognitive path, cached under MEDIA_DIR/videos by content. The cache keeps within
    `bound` (default from VIDEO_CACHE_MB / VIDEO_CACHE_FILES), at most `slots` renders run at once (default: the
    process's RENDER_SLOTS), and `renderer` writes a video (default render_video)."""

    def __init__(
        self,
        store: GraphStore,
        folder: Path | None = None,
        bound: CacheBound | None = None,
        slots: threading.Semaphore | None = None,
        renderer: Renderer | None = None,
    ) -> None:
        self._store = store
        self._folder = folder or MEDIA_DIR / "videos"
        self._bound = bound or CacheBound.from_env()
        self._slots = slots or RENDER_SLOTS
        self._render = renderer or render_video

    def scenes(self, item_id: str, language: str, needs: dict[str, list[str]] | None = None) -> list[Scene] | None:
        """The scenes of an item's story, titled with its name in `language`; None for an unknown item."""
        needs = needs or {}
        story = self._store.item_story(item_id, needs.get("problems"), needs.get("scenarios"))
        if story is None:
            return None
        summary = self._store.summaries([item_id])
        return item_scenes({**story, "title": display_title(summary[0], language)} if summary else story, language)

    def video(
        self, item_id: str, language: str, needs: dict[str, list[str]] | None = None
    ) -> tuple[Path, list[Scene]] | None:
        """The video file and its scenes (along the conversation's needs when given); None for an unknown item."""
        scenes = self.scenes(item_id, language, needs)
        if scenes is None:
            return None
        key = hashlib.sha256(json.dumps([asdict(s) for s in scenes], ensure_ascii=False).encode()).hexdigest()[:12]
        return self.file(key, scenes), scenes

    def file(self, key: str, scenes: list[Scene]) -> Path:
        """The cached video of the key (touched: now the most recently used), rendered first when absent; raises
        VideoRenderError when rendering fails."""
        path = self._folder / f"{key}.mp4"
        if touch(path):
            return path
        with _RENDERING.hold(str(path)):
            if touch(path):  # rendered by the request that held the lock before this one
                return path
            with self._slots:
                self._render(scenes, path)
        removed = evict(self._folder, self._bound, keep=[path])
        if removed:
            logger.info("video cache: removed %d least recently used file(s)", len(removed))
        return path

    def reply(
        self,
        text: str,
        language: str,
        focus: str | None,
        listed: list[str] | None = None,
        needs: dict[str, list[str]] | None = None,
    ) -> Reply:
        """A short video of the item in focus (or the listed one named by an ordinal) along its cognitive path,
        through the needs the conversation is about when there are any."""
        index = ordinal_index(text, len(listed or []))
        item_id = (listed or [])[index] if index is not None else focus
        try:
            made = self.video(item_id, language, needs) if item_id else None
        except VideoRenderError:
            logger.exception("the video of %s could not be rendered, the user gets an apology", item_id)
            return Reply(say("video_failed", language), item_in_focus=item_id)
        if made is None:
            return Reply(say("which_item", language))
        path, scenes = made
        url = media_url(str(path))
        captions = [scene.caption for scene in scenes]
        return Reply(
            say("video_text", language, scenes=" → ".join(captions)),
            item_in_focus=item_id,
            video=url,
            payload={"type": "video", "item": item_id, "src": url, "captions": captions},
        )
