"""Table 1 of AliMe MKG on our data: two-stream CMM variants against a single-stream Pixel-BERT baseline.

    python benchmarks/cross_modal.py              # 3 seeds, every row, CPU (about 25 minutes on 2 cores)
    python benchmarks/cross_modal.py --seeds 1    # one seed, for a quick look
    python benchmarks/cross_modal.py --device cuda --bf16 --compile   # the speeds on a GPU, optimised alike

Matching is measured on the real product photos of ../shared/data (Grocery Store dataset, MIT; ABO, CC BY 4.0):
each product's text ('Golden Delicious (Apple)') against its held-out store photo. Every text gets 10 candidate
images (its own + 9 others) for AUC; R@1/5/10 rank the whole test pool in both directions. The two-stream models
are pre-trained on (detail-page piece, its OCR text) pairs from `python -m kg_builder images extract`, then
fine-tuned on the training photos; Pixel-BERT is trained on the same photos. The pretrained-tower rows
(EfficientNet-Lite0 with ImageNet weights + multilingual-e5-small, trained projections) train on the English and
the hand-written Chinese names (data/catalog/photo_products_zh.tsv) and are measured in each language; one row
trains on English only, to show what the Chinese side gets without Chinese names. Each seed draws its own split,
candidates and initial weights. Speeds: online = one text query scored against 10, 100 and 1,000 candidates whose
image features were extracted offline (the test pool repeated); offline = image features per second; on the
trained rows and on the full-size from-scratch configs (random weights: speed does not depend on them). With
--device/--bf16/--compile the two-stream text pass and Pixel-BERT's joint pass get the same optimisations. Prints
the table and writes benchmarks/results/cross_modal.json and cross_modal.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from kg_builder.catalog.photo_names import chinese_names
from kg_builder.config import PATHS
from kg_builder.crossmodal.batches import ImageLoader, tokenize
from kg_builder.crossmodal.data import (
    Pair,
    PhotoSplit,
    in_chinese,
    ocr_pairs,
    product_photos,
    split_photos,
)
from kg_builder.crossmodal.encoder import CrossModalEncoder, ImageTextEncoder, TowerEncoder
from kg_builder.crossmodal.evaluation import PhotoPool, candidate_auc, candidate_sets, retrieval_recalls
from kg_builder.crossmodal.finetuning import FINETUNING, train_matcher
from kg_builder.crossmodal.model import (
    CMM_BASE,
    CMM_EFFNET_E5,
    CMM_PATCH_BASE,
    CMM_PATCH_TINY,
    CMM_RESNET_BASE,
    CMM_RESNET_TINY,
    CMM_TINY,
    TOWER_MODELS,
    TWO_STREAM_MODELS,
)
from kg_builder.crossmodal.single_stream import (
    PIXELBERT_BASE,
    PIXELBERT_TINY,
    SINGLE_STREAM_MODELS,
    PixelBert,
    train_pixelbert,
)
from kg_builder.crossmodal.tower_training import train_towers
from kg_builder.textmodels.vocab import build_vocab, save_tokenizer

RESULTS = PATHS.benchmark_results
PIXELBERT_EPOCHS = 60
SPEED_QUERIES = 40
CANDIDATE_COUNTS = (10, 100, 1000)


@dataclass(frozen=True)
class Row:
    """One row of the table: a model config, and whether it is pre-trained on the OCR pairs first."""

    label: str
    model: str
    pretrained: bool = True
    chinese_training: bool = True  # pretrained towers: train on the Chinese names too


TWO_STREAM = (
    Row("CMM (ViT)", CMM_TINY),
    Row("CMM (ViT), no pre-training", CMM_TINY, pretrained=False),
    Row("CMM_Patch", CMM_PATCH_TINY),
    Row("CMM_ResNet", CMM_RESNET_TINY),
)
TOWERS = (
    Row("CMM-EffNet-e5 (pretrained towers)", CMM_EFFNET_E5, pretrained=False),
    Row("CMM-EffNet-e5 + piece pre-training", CMM_EFFNET_E5),
    Row("CMM-EffNet-e5, English names only", CMM_EFFNET_E5, pretrained=False, chinese_training=False),
)
BASELINE = Row("Pixel-BERT (single-stream)", PIXELBERT_TINY, pretrained=False)
FULL_SIZE = {"CMM (ViT)": CMM_BASE, "CMM_Patch": CMM_PATCH_BASE, "CMM_ResNet": CMM_RESNET_BASE}


@dataclass(frozen=True)
class Speed:
    """How speeds are measured: the torch device, bf16 autocast, and torch.compile (CUDA graphs on a GPU)."""

    device: str = "cpu"
    bf16: bool = False
    compile: bool = False

    def sync(self) -> None:
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()

    def autocast(self) -> Any:
        return torch.autocast(self.device.split(":")[0], dtype=torch.bfloat16, enabled=self.bf16)

    def optimised(self, function: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
        """`function` under autocast, compiled when asked ('reduce-overhead': CUDA graphs on a GPU)."""
        compiled = torch.compile(function, mode="reduce-overhead", dynamic=False) if self.compile else function

        def run(*args: Any) -> torch.Tensor:
            with torch.no_grad(), self.autocast():
                return compiled(*args)

        return run


def per_query_seconds(run_query: Callable[[int], object], queries: int, speed: Speed, warm_up: int = 3) -> float:
    """Mean wall time of `run_query(n)` over `queries` calls, after warm-up calls (compilation, graph capture)."""
    for n in range(warm_up):
        run_query(n)
    speed.sync()
    start = time.perf_counter()
    for n in range(queries):
        run_query(n)
    speed.sync()
    return (time.perf_counter() - start) / queries


def images_per_second(
    extract: Callable[[torch.Tensor], object], images: torch.Tensor, speed: Speed, batch: int = 32
) -> float:
    """Offline feature extraction throughput on decoded image tensors."""
    images = images.to(speed.device)
    with torch.no_grad(), speed.autocast():
        extract(images[:batch])
        speed.sync()
        start = time.perf_counter()
        for first in range(0, len(images), batch):
            extract(images[first : first + batch])
        speed.sync()
    return len(images) / (time.perf_counter() - start)


def tiled(rows: torch.Tensor, count: int) -> torch.Tensor:
    """`count` rows: `rows` repeated (a speed needs as many candidates, not distinct ones)."""
    return rows.repeat((count + len(rows) - 1) // len(rows), *([1] * (rows.dim() - 1)))[:count]


def quality(scores: torch.Tensor, pool: PhotoPool, seed: int) -> dict[str, float]:
    """AUC over each text's 10 candidates and R@1/5/10 in both directions."""
    return {"auc": candidate_auc(scores, candidate_sets(pool.text_of_image, seed))} | retrieval_recalls(
        scores, pool.text_of_image
    )


def two_stream_speeds(
    encoder: ImageTextEncoder, stored: torch.Tensor, texts: Sequence[str], speed: Speed
) -> dict[str, float]:
    """Online seconds per query at each candidate count: one text pass (never cached), one matrix product."""
    figures = {}
    for count in CANDIDATE_COUNTS:
        candidates = tiled(stored, count).to(speed.device)

        def query(n: int, candidates: torch.Tensor = candidates) -> torch.Tensor:
            return encoder.query(texts[n % len(texts)]).to(speed.device) @ candidates.T

        figures[f"online_seconds_at_{count}"] = per_query_seconds(query, SPEED_QUERIES, speed)
    return figures


@torch.no_grad()
def two_stream_results(
    encoder: ImageTextEncoder, tests: dict[str, list[Pair]], seed: int, speed: Speed
) -> dict[str, dict[str, float]]:
    """Quality per language, and speed, of a trained two-stream model on the test photos."""
    images = [p.image for p in next(iter(tests.values()))]
    image_embeddings = encoder.images(images)  # offline
    pixels = encoder.loader.batch(images)
    offline = images_per_second(lambda x: encoder.model.image_embedding(x), pixels, speed)  # type: ignore[attr-defined]
    results = {}
    for language, pairs in tests.items():
        pool = PhotoPool.of(pairs)
        scores = encoder.texts(pool.texts) @ image_embeddings.T
        results[language] = quality(scores, pool, seed) | two_stream_speeds(
            encoder, image_embeddings, pool.texts, speed
        )
        results[language]["offline_images_per_second"] = offline
    return results


@torch.no_grad()
def pixelbert_results(model: PixelBert, tokenizer: Any, test: PhotoPool, seed: int, speed: Speed) -> dict[str, float]:
    """Quality and speed of the single-stream baseline: every (text, image) pair goes through the transformer."""
    model.eval()
    pixels = ImageLoader(model.config.image_size).batch(test.images)
    features = model.image_features(pixels)  # offline
    encoded = tokenize(tokenizer, test.texts, model.config.max_text)

    def pair_scores(text: int, images: Sequence[int]) -> torch.Tensor:
        ids = encoded["input_ids"][text : text + 1].expand(len(images), -1)
        mask = encoded["attention_mask"][text : text + 1].expand(len(images), -1)
        return model.match_logits(features[list(images)], ids, mask)

    everything = list(range(len(test.images)))
    scores = torch.stack([pair_scores(t, everything) for t in range(len(test.texts))])
    figures = quality(scores, test, seed) | pixelbert_speeds(model, features, encoded, CANDIDATE_COUNTS, speed)
    return figures | {"offline_images_per_second": images_per_second(model.image_features, pixels, speed)}


def pixelbert_speeds(
    model: PixelBert, features: torch.Tensor, encoded: Any, counts: Sequence[int], speed: Speed, queries: int = 0
) -> dict[str, float]:
    """Online seconds per query: the text joined with each of `count` stored image features, one batched pass."""
    model.to(speed.device)
    match = speed.optimised(model.match_logits)
    ids, mask = encoded["input_ids"].to(speed.device), encoded["attention_mask"].to(speed.device)
    figures = {}
    for count in counts:
        candidates = tiled(features, count).to(speed.device)

        def query(n: int, candidates: torch.Tensor = candidates, count: int = count) -> torch.Tensor:
            row = n % len(ids)
            return match(candidates, ids[row : row + 1].expand(count, -1), mask[row : row + 1].expand(count, -1))

        figures[f"online_seconds_at_{count}"] = per_query_seconds(query, queries or SPEED_QUERIES, speed)
    model.to("cpu")
    return figures


def run_seed(
    seed: int, split: PhotoSplit, pretraining: list[Pair], names_zh: dict[str, str], work: Path, progress: bool
) -> dict[str, Any]:
    """Train and measure every row on one seeded split (on the CPU: the trained rows' text passes run there)."""
    cpu = Speed()
    tests = {"en": split.test, "zh": in_chinese(split.test, names_zh)}
    results: dict[str, Any] = {}
    for row in TWO_STREAM:
        torch.manual_seed(seed)
        started = time.perf_counter()
        folder = work / f"{row.model}-{row.pretrained}"
        model, tokenizer = train_matcher(
            row.model, split.train, pretraining if row.pretrained else [], folder, seed, progress
        )
        trained = time.perf_counter() - started
        encoder = CrossModalEncoder(model, tokenizer)
        results[row.label] = two_stream_results(encoder, {"en": split.test}, seed, cpu)["en"] | {"train_s": trained}
        print(f"seed {seed} {row.label}: AUC {results[row.label]['auc']:.3f}", file=sys.stderr)
    for row in TOWERS:
        torch.manual_seed(seed)
        started = time.perf_counter()
        pairs = split.train + (in_chinese(split.train, names_zh) if row.chinese_training else [])
        folder = work / f"{row.label}"
        config = TOWER_MODELS[row.model]
        model = train_towers(row.model, config, pairs, folder, seed, progress, pretraining if row.pretrained else [])
        trained = time.perf_counter() - started
        for language, figures in two_stream_results(TowerEncoder(model, row.model), tests, seed, cpu).items():
            results[f"{row.label} [{language}]"] = figures | {"train_s": trained}
            print(f"seed {seed} {row.label} [{language}]: AUC {figures['auc']:.3f}", file=sys.stderr)
    torch.manual_seed(seed)
    tokenizer = save_tokenizer(build_vocab([p.text for p in split.train]), work / "pixelbert")
    baseline = SINGLE_STREAM_MODELS.create_model(BASELINE.model, vocab_size=tokenizer.vocab_size)
    started = time.perf_counter()
    settings = replace(FINETUNING, epochs=PIXELBERT_EPOCHS, learning_rate=5e-4, seed=seed)
    train_pixelbert(baseline, tokenizer, split.train, settings, progress)
    trained = time.perf_counter() - started
    figures = pixelbert_results(baseline, tokenizer, PhotoPool.of(split.test), seed, cpu) | {"train_s": trained}
    results[BASELINE.label] = figures
    print(f"seed {seed} {BASELINE.label}: AUC {figures['auc']:.3f}", file=sys.stderr)
    return results


@torch.no_grad()
def full_size_speeds(speed: Speed, max_pixelbert: int, images: int = 16, queries: int = 5) -> dict[str, Any]:
    """Offline images/s and online seconds per query of the full-size configs (random weights), optimised alike.

    Pixel-BERT is measured up to `max_pixelbert` candidates (1,000 joint passes of BERT-base take minutes on a CPU)."""
    ids = torch.randint(5, 21128, (1, 32), device=speed.device)
    mask = torch.ones_like(ids)
    speeds: dict[str, Any] = {}
    for label, name in FULL_SIZE.items():
        model = TWO_STREAM_MODELS.create_model(name).eval().to(speed.device)
        pixels = torch.rand(images, 3, model.config.image_size, model.config.image_size)
        with speed.autocast():
            stored = model.image_embedding(pixels[:10].to(speed.device))
        # the one-text pass and the dot product with the stored candidates, compiled together
        one_text_pass = speed.optimised(lambda i, m, c, model=model: model.text_embedding(i, m) @ c.T)
        figures = {"offline_images_per_second": images_per_second(model.image_embedding, pixels, speed, batch=8)}
        for count in CANDIDATE_COUNTS:
            candidates = tiled(stored, count)

            def query(_: int, candidates: torch.Tensor = candidates, run: Callable = one_text_pass) -> torch.Tensor:
                return run(ids, mask, candidates)

            figures[f"online_seconds_at_{count}"] = per_query_seconds(query, queries, speed)
        speeds[label] = figures
        model.to("cpu")
    baseline = SINGLE_STREAM_MODELS.create_model(PIXELBERT_BASE).eval()
    pixels = torch.rand(images, 3, baseline.config.image_size, baseline.config.image_size)
    features = baseline.image_features(pixels[:10])
    counts = [count for count in CANDIDATE_COUNTS if count <= max_pixelbert]
    encoded = {"input_ids": ids.cpu(), "attention_mask": mask.cpu()}
    speeds[BASELINE.label] = pixelbert_speeds(baseline, features, encoded, counts, speed, queries) | {
        "offline_images_per_second": images_per_second(baseline.image_features, pixels, speed, batch=8)
    }
    return speeds


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean and standard deviation of every figure over the seeds."""
    table = {}
    for label in runs[0]:
        figures = {}
        for key in runs[0][label]:
            values = [run[label][key] for run in runs]
            figures[key] = statistics.mean(values)
            figures[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
            figures[f"{key}_median"] = statistics.median(values)
        table[label] = figures
    return table


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.1f}"


def markdown(table: dict[str, dict[str, float]], full: dict[str, dict[str, float]], seeds: int, speed: Speed) -> str:
    """The README tables: quality and speed of the trained rows, then the full-size speeds."""
    speed_of = {label: {n: f[f"online_seconds_at_{n}_median"] for n in CANDIDATE_COUNTS} for label, f in table.items()}
    lines = [
        "| model | AUC | mean recall | R@1 | R@5 | R@10 | online ms at 10 / 100 / 1000 "
        "| x Pixel-BERT at 10 / 100 / 1000 | offline images/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, f in table.items():
        online = [speed_of[label][n] for n in CANDIDATE_COUNTS]
        ratios = [speed_of[BASELINE.label][n] / speed_of[label][n] for n in CANDIDATE_COUNTS]
        lines.append(
            f"| {label} | {f['auc']:.3f} ± {f['auc_std']:.3f} | {f['mean_recall']:.3f} | "
            f"{f['text_to_image_r1']:.3f} | {f['text_to_image_r5']:.3f} | {f['text_to_image_r10']:.3f} | "
            f"{' / '.join(_ms(x) for x in online)} | {' / '.join(f'{r:.1f}' for r in ratios)} | "
            f"{f['offline_images_per_second_median']:.0f} |"
        )
    lines.append(
        f"\nMeans over {seeds} seeded runs (± standard deviation of AUC), on the CPU; [en] / [zh]: English or Chinese "
        "names as the texts (rows without a tag read English only). R@k are text→image over the whole test pool; "
        "mean recall averages R@1/5/10 in both directions. Online: one text query (text pass never cached) scored "
        "against that many stored candidates; speeds are the median over the seeds (a seed that ran beside another "
        "job on the 2 cores is slower; runs in the JSON has every seed)."
    )
    if full:
        pixel = full[BASELINE.label]
        lines += [
            "",
            f"Full-size configs, random weights, device {speed.device}, bf16 {speed.bf16}, compile {speed.compile}:",
            "",
            "| model | online ms at 10 / 100 / 1000 | x Pixel-BERT at 10 / 100 / 1000 | offline images/s |",
            "|---|---|---|---|",
        ]
        for label, f in full.items():
            online = [f.get(f"online_seconds_at_{n}") for n in CANDIDATE_COUNTS]
            ratios = [
                f"{pixel[key] / f[key]:.1f}" if key in pixel else "–"
                for key in (f"online_seconds_at_{n}" for n in CANDIDATE_COUNTS)
            ]
            lines.append(
                f"| {label} | {' / '.join(_ms(x) for x in online)} | {' / '.join(ratios)} | "
                f"{f['offline_images_per_second']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=PATHS.shared_data)
    parser.add_argument("--pieces", type=Path, default=PATHS.models / "images" / "extracted")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="torch device of the full-size speeds (cpu, cuda)")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast for the full-size speeds")
    parser.add_argument("--compile", action="store_true", help="torch.compile (CUDA graphs on a GPU) likewise")
    parser.add_argument("--pixelbert-max-candidates", type=int, default=0, help="default: 100 on a CPU, else 1000")
    parser.add_argument("--no-full-size", action="store_true", help="skip the full-size speed measurements")
    parser.add_argument("--full-size-only", action="store_true", help="only the full-size speeds (e.g. on a GPU)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--table-only", action="store_true", help="re-write cross_modal.md from cross_modal.json")
    args = parser.parse_args()
    if args.table_only:
        saved = json.loads((RESULTS / "cross_modal.json").read_text())
        saved["mean"] = summarise(saved["runs"])
        text = markdown(saved["mean"], saved["full_size_speed"], saved["seeds"], Speed(**saved["speed"]))
        (RESULTS / "cross_modal.json").write_text(json.dumps(saved, indent=2) + "\n")
        (RESULTS / "cross_modal.md").write_text(text)
        print(text)
        return 0
    if not (args.pieces / "pieces.jsonl").is_file():
        print(
            f"error: no extracted pieces in {args.pieces}: run `python -m kg_builder images generate` and "
            "`python -m kg_builder images extract` first (or `make images`)",
            file=sys.stderr,
        )
        return 2
    speed = Speed(args.device, args.bf16, args.compile)
    max_pixelbert = args.pixelbert_max_candidates or (100 if args.device == "cpu" else 1000)
    products, pretraining, names_zh = product_photos(args.data), ocr_pairs(args.pieces), chinese_names()
    runs = []
    if not args.full_size_only:
        with tempfile.TemporaryDirectory() as work:
            for seed in range(args.seeds):
                split = split_photos(products, seed)
                runs.append(run_seed(seed, split, pretraining, names_zh, Path(work), not args.no_progress))
    full = {} if args.no_full_size else full_size_speeds(speed, max_pixelbert)
    split = split_photos(products, 0)
    report = {
        "machine": {
            "platform": platform.platform(),
            "torch_threads": torch.get_num_threads(),
            "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu",
        },
        "speed": {"device": speed.device, "bf16": speed.bf16, "compile": speed.compile},
        "data": {
            "products": len(products),
            "train_pairs": len(split.train),
            "test_photos": len(split.test),
            "pretraining_pairs": len(pretraining),
            "candidates_per_text": 10,
            "speed_candidates": list(CANDIDATE_COUNTS),
        },
        "configs": {row.label: row.model for row in (*TWO_STREAM, *TOWERS, BASELINE)},
        "seeds": args.seeds,
        "runs": runs,
        "mean": summarise(runs) if runs else {},
        "full_size_speed": full,
    }
    name = "cross_modal" if args.device == "cpu" and not args.full_size_only else f"cross_modal_{args.device}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report["mean"], full, args.seeds, speed) if runs else json.dumps(full, indent=2)
    (RESULTS / f"{name}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
