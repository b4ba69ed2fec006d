"""A generator of overlong product detail-page images, rendered from real item texts and real photos.

No public set of detail pages could be had, so pages are stacked from panels: real product photos
(grocery, ABO), title and property text blocks, size charts, and noise (dated promotion banners, QR-like
codes, blank panels, near-duplicate photos). The ground truth of each page — panel boundaries, which
panels are noise or time-sensitive, the text drawn in each — is written beside it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from kg_builder.sources import datasets

PAGE_WIDTH = 480
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
NOISE_KINDS = ("promo", "qr", "blank", "duplicate")
# Content panels use tints, so that a white QR panel or a grey blank panel never melts into a neighbour.
BACKGROUNDS = ((246, 240, 230), (232, 242, 250), (250, 236, 240), (236, 246, 236), (40, 40, 48), (255, 248, 215))
BLANK = (222, 222, 222)


@dataclass(frozen=True)
class Panel:
    """One stacked panel: rows [top, bottom) of the page, its kind, and what it shows."""

    top: int
    bottom: int
    kind: str  # photo | title | properties | size_chart | promo | qr | blank | duplicate
    noise: bool
    time_sensitive: bool
    text: str


def font(size: int) -> ImageFont.FreeTypeFont:
    """A CJK-capable font from the system (apt package fonts-noto-cjk)."""
    for path in FONT_CANDIDATES:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    raise FileNotFoundError(f"no CJK font found (install fonts-noto-cjk): looked for {', '.join(FONT_CANDIDATES)}")


def _text_panel(lines: Sequence[str], size: int, background: tuple[int, int, int]) -> Image.Image:
    face = font(size)
    ink = (20, 20, 20) if sum(background) > 300 else (245, 245, 245)
    wrapped: list[str] = []
    for line in lines:
        per_line = max(8, (PAGE_WIDTH - 40) // size) if any("\u4e00" <= c <= "\u9fff" for c in line) else 38
        wrapped += [line[i : i + per_line] for i in range(0, max(len(line), 1), per_line)]
    height = 40 + len(wrapped) * int(size * 1.5)
    panel = Image.new("RGB", (PAGE_WIDTH, height), background)
    draw = ImageDraw.Draw(panel)
    for n, line in enumerate(wrapped):
        draw.text((20, 20 + n * int(size * 1.5)), line, fill=ink, font=face)
    return panel


def _photo_panel(photo: Path, background: tuple[int, int, int]) -> Image.Image:
    with Image.open(photo) as image:
        image = image.convert("RGB")
        scale = (PAGE_WIDTH - 40) / image.width
        image = image.resize((PAGE_WIDTH - 40, max(40, int(image.height * scale))))
    panel = Image.new("RGB", (PAGE_WIDTH, image.height + 40), background)
    panel.paste(image, (20, 20))
    return panel


def _size_chart(rng: random.Random, background: tuple[int, int, int]) -> tuple[Image.Image, str]:
    sizes = ["S", "M", "L", "XL"]
    rows = [["尺码 size", "胸围 chest", "衣长 length"]] + [
        [s, str(84 + 4 * n + rng.randrange(3)), str(64 + 2 * n)] for n, s in enumerate(sizes)
    ]
    face, line_height = font(18), 34
    panel = Image.new("RGB", (PAGE_WIDTH, 40 + line_height * len(rows)), background)
    draw = ImageDraw.Draw(panel)
    for r, row in enumerate(rows):
        y = 20 + r * line_height
        draw.line((20, y, PAGE_WIDTH - 20, y), fill=(120, 120, 120), width=1)
        for c, cell in enumerate(row):
            draw.text((30 + c * 145, y + 6), cell, fill=(20, 20, 20), font=face)
    return panel, " ".join(" ".join(row) for row in rows)


def promo_banner(rng: random.Random) -> tuple[Image.Image, str]:
    month, day = rng.randrange(1, 13), rng.randrange(1, 29)
    text = rng.choice(
        [f"限时特惠 {month}月{day}日 截止", f"双11 狂欢 {month}.{day} 前 满199减100", f"SALE ends {month}/{day}"]
    )
    panel = _text_panel([text], 30, (200, 30, 40))
    return panel, text


def _qr(rng: random.Random) -> Image.Image:
    cells, cell = 21, 8
    panel = Image.new("RGB", (PAGE_WIDTH, cells * cell + 60), (255, 255, 255))
    draw = ImageDraw.Draw(panel)
    left = (PAGE_WIDTH - cells * cell) // 2
    for y in range(cells):
        for x in range(cells):
            if rng.random() < 0.5:
                draw.rectangle(
                    (left + x * cell, 30 + y * cell, left + (x + 1) * cell - 1, 30 + (y + 1) * cell - 1), fill=0
                )
    return panel


def render_page(item: dict[str, Any], photos: Sequence[Path], rng: random.Random) -> tuple[Image.Image, list[Panel]]:
    """Stack the panels of one item's page; returns the image and its ground-truth panels."""
    backgrounds = list(BACKGROUNDS)
    rng.shuffle(backgrounds)
    parts: list[tuple[Image.Image, str, str]] = []
    colours = iter(backgrounds * 3)  # consecutive content panels never share a background
    parts.append((_text_panel([item["title"]], 22, next(colours)), "title", item["title"]))
    for photo in photos:
        parts.append((_photo_panel(photo, next(colours)), "photo", ""))
    if item.get("properties"):
        lines = [f"{name}: {value}" for name, value in item["properties"]]
        parts.append((_text_panel(lines, 20, next(colours)), "properties", "\n".join(lines)))
    if item.get("domain") == "Clothing":
        chart, text = _size_chart(rng, next(colours))
        parts.append((chart, "size_chart", text))
    noise = rng.sample(NOISE_KINDS, rng.randrange(1, 3))
    for kind in noise:
        if kind == "promo":
            image, text = promo_banner(rng)
            parts.insert(rng.randrange(1, len(parts) + 1), (image, "promo", text))
        elif kind == "qr":
            parts.append((_qr(rng), "qr", ""))
        elif kind == "blank":
            parts.insert(rng.randrange(1, len(parts) + 1), (Image.new("RGB", (PAGE_WIDTH, 120), BLANK), "blank", ""))
        elif kind == "duplicate" and photos:
            parts.append((_photo_panel(photos[0], next(colours)), "duplicate", ""))
    page = Image.new("RGB", (PAGE_WIDTH, sum(p.height for p, _, _ in parts)), (255, 255, 255))
    panels, top = [], 0
    for image, kind, text in parts:
        page.paste(image, (0, top))
        panels.append(Panel(top, top + image.height, kind, kind in NOISE_KINDS, kind == "promo", text))
        top += image.height
    return page, panels


def generate_pages(
    items: Sequence[dict[str, Any]],
    photos: Sequence[Path],
    out_dir: Path,
    seed: int = 3,
    photo_root: Path | None = None,
) -> Path:
    """Render one page per item into `out_dir` (JPEG) and write `truth.jsonl`; returns the truth file."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = out_dir / "truth.jsonl"
    with truth.open("w", encoding="utf-8") as handle:
        for item in items:
            chosen = rng.sample(list(photos), min(len(photos), rng.randrange(1, 3)))
            page, panels = render_page(item, chosen, rng)
            path = out_dir / f"{item['id'].replace('/', '_')}.jpg"
            page.save(path, quality=90)
            record = {
                "page": path.name,
                "item": item["id"],
                "height": page.height,
                "photos": [str(p) for p in chosen],
                "panels": [asdict(p) for p in panels],
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return truth


def catalog_pages_input(
    catalog_rows: dict[str, list[dict[str, Any]]], limit: int, seed: int = 5
) -> list[dict[str, Any]]:
    """Items to render: id, title, domain and up to 4 (property, value) lines, a seeded sample of the catalog."""
    domains = {row["id"]: row["domain"] for row in catalog_rows["categories"]}
    names = {row["id"]: row["name_zh"] for row in catalog_rows["properties"]}
    values: dict[str, list[tuple[str, str]]] = {}
    for row in catalog_rows["item_properties"]:
        values.setdefault(row["item"], []).append((names[row["property"]], row["value"]))
    items = [
        {
            "id": item["id"],
            "title": item["title"],
            "domain": domains[item["category"]],
            "properties": values.get(item["id"], [])[:4],
        }
        for item in catalog_rows["items"]
    ]
    return random.Random(seed).sample(items, min(limit, len(items)))


def real_photos(data_dir: Path) -> list[Path]:
    """The real product photos in the shared data: grocery iconic images (MIT) and ABO images (CC BY 4.0)."""
    grocery = sorted((data_dir / datasets.GROCERY / datasets.GROCERY_ICONIC).glob("*/*/*/*_Iconic.jpg"))
    return grocery + sorted((data_dir / datasets.ABO).glob("*/*.jpg"))
