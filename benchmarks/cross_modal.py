"""Table 1 of AliMe MKG on our data: two-stream CMM variants against a single-stream Pixel-BERT baseline.

    python benchmarks/cross_modal.py              # 3 seeds, tiny configs, CPU (about 10 minutes on 2 cores)
    python benchmarks/cross_modal.py --seeds 1    # one seed, for a quick look

Matching is measured on the real product photos of ../shared/data (Grocery Store dataset, MIT; ABO, CC BY 4.0):
each product's text ('Golden Delicious (Apple)') against its held-out store photo. Every text gets 10 candidate
images (its own + 9 others) for AUC; R@1/5/10 rank the whole test pool in both directions. The two-stream models
are pre-trained on (detail-page piece, its OCR text) pairs from `python -m kg_builder images extract`, then
fine-tuned on the training photos; Pixel-BERT is trained on the same photos. Each seed draws its own split,
candidates and initial weights. Speeds: online = a text query scored against its 10 candidates whose image
features were extracted offline; offline = image features per second, on tiny configs and on the full sizes
(random weights: speed does not depend on them). Prints the table and writes benchmarks/results/cross_modal.json
and cross_modal.md.
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

from kg_builder.config import PATHS
from kg_builder.crossmodal.batches import ImageLoader, tokenize
from kg_builder.crossmodal.data import Pair, PhotoSplit, ocr_pairs, product_photos, split_photos
from kg_builder.crossmodal.encoder import CrossModalEncoder
from kg_builder.crossmodal.evaluation import PhotoPool, candidate_auc, candidate_sets, retrieval_recalls
from kg_builder.crossmodal.finetuning import FINETUNING, train_matcher
from kg_builder.crossmodal.model import (
    CMM_BASE,
    CMM_PATCH_BASE,
    CMM_PATCH_TINY,
    CMM_RESNET_BASE,
    CMM_RESNET_TINY,
    CMM_TINY,
    TWO_STREAM_MODELS,
)
from kg_builder.crossmodal.single_stream import (
    PIXELBERT_BASE,
    PIXELBERT_TINY,
    SINGLE_STREAM_MODELS,
    PixelBert,
    train_pixelbert,
)
from kg_builder.textmodels.vocab import build_vocab, save_tokenizer

RESULTS = PATHS.benchmark_results
PIXELBERT_EPOCHS = 60
SPEED_QUERIES = 40


@dataclass(frozen=True)
class Row:
    """One row of the table: a model config, and whether it is pre-trained on the OCR pairs first."""

    label: str
    model: str
    pretrained: bool = True


TWO_STREAM = (
    Row("CMM (ViT)", CMM_TINY),
    Row("CMM (ViT), no pre-training", CMM_TINY, pretrained=False),
    Row("CMM_Patch", CMM_PATCH_TINY),
    Row("CMM_ResNet", CMM_RESNET_TINY),
)
BASELINE = Row("Pixel-BERT (single-stream)", PIXELBERT_TINY, pretrained=False)
FULL_SIZE = {"CMM (ViT)": CMM_BASE, "CMM_Patch": CMM_PATCH_BASE, "CMM_ResNet": CMM_RESNET_BASE}


def per_query_seconds(run_query: Callable[[int], object], queries: int) -> float:
    """Mean wall time of `run_query(n)` over `queries` calls (after one warm-up call)."""
    run_query(0)
    start = time.perf_counter()
    for n in range(queries):
        run_query(n)
    return (time.perf_counter() - start) / queries


def images_per_second(extract: Callable[[torch.Tensor], object], images: torch.Tensor, batch: int = 32) -> float:
    """Offline feature extraction throughput on decoded image tensors."""
    extract(images[:batch])
    start = time.perf_counter()
    for first in range(0, len(images), batch):
        extract(images[first : first + batch])
    return len(images) / (time.perf_counter() - start)


@torch.no_grad()
def two_stream_results(encoder: CrossModalEncoder, test: PhotoPool, seed: int) -> dict[str, float]:
    """Quality and speed of a trained two-stream model on the test set."""
    image_embeddings = encoder.images(test.images)  # offline
    scores = encoder.texts(test.texts) @ image_embeddings.T
    sets = candidate_sets(test.text_of_image, seed)

    def query(n: int) -> torch.Tensor:  # online: encode one text, dot it with its 10 stored candidates
        chosen = sets[n % len(sets)]
        return encoder.texts([test.texts[chosen.text]]) @ image_embeddings[list(chosen.images)].T

    pixels = encoder.loader.batch(test.images)
    return {
        "auc": candidate_auc(scores, sets),
        **retrieval_recalls(scores, test.text_of_image),
        "online_seconds_per_query": per_query_seconds(query, SPEED_QUERIES),
        "offline_images_per_second": images_per_second(encoder.model.image_embedding, pixels),
    }


@torch.no_grad()
def pixelbert_results(model: PixelBert, tokenizer: Any, test: PhotoPool, seed: int) -> dict[str, float]:
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
    sets = candidate_sets(test.text_of_image, seed)
    return {
        "auc": candidate_auc(scores, sets),
        **retrieval_recalls(scores, test.text_of_image),
        "online_seconds_per_query": per_query_seconds(
            lambda n: pair_scores(sets[n % len(sets)].text, sets[n % len(sets)].images), SPEED_QUERIES
        ),
        "offline_images_per_second": images_per_second(model.image_features, pixels),
    }


def run_seed(seed: int, split: PhotoSplit, pretraining: list[Pair], work: Path, progress: bool) -> dict[str, Any]:
    """Train and measure every row on one seeded split."""
    test, results = PhotoPool.of(split.test), {}
    for row in TWO_STREAM:
        torch.manual_seed(seed)
        started = time.perf_counter()
        model, tokenizer = train_matcher(
            row.model,
            split.train,
            pretraining if row.pretrained else [],
            work / f"{row.model}-{row.pretrained}",
            seed,
            progress,
        )
        trained = time.perf_counter() - started
        results[row.label] = two_stream_results(CrossModalEncoder(model, tokenizer), test, seed) | {"train_s": trained}
        print(f"seed {seed} {row.label}: AUC {results[row.label]['auc']:.3f}", file=sys.stderr)
    torch.manual_seed(seed)
    tokenizer = save_tokenizer(build_vocab([p.text for p in split.train]), work / "pixelbert")
    baseline = SINGLE_STREAM_MODELS.create_model(BASELINE.model, vocab_size=tokenizer.vocab_size)
    started = time.perf_counter()
    settings = replace(FINETUNING, epochs=PIXELBERT_EPOCHS, learning_rate=5e-4, seed=seed)
    train_pixelbert(baseline, tokenizer, split.train, settings, progress)
    trained = time.perf_counter() - started
    results[BASELINE.label] = pixelbert_results(baseline, tokenizer, test, seed) | {"train_s": trained}
    print(f"seed {seed} {BASELINE.label}: AUC {results[BASELINE.label]['auc']:.3f}", file=sys.stderr)
    return results


@torch.no_grad()
def full_size_speeds(images: int = 16, queries: int = 5) -> dict[str, dict[str, float]]:
    """Offline images/s and online seconds per 10-candidate query of the full-size configs (random weights)."""
    pixels = torch.rand(images, 3, 224, 224)
    ids = torch.randint(5, 21128, (1, 32))
    mask = torch.ones_like(ids)
    speeds = {}
    for label, name in FULL_SIZE.items():
        model = TWO_STREAM_MODELS.create_model(name).eval()
        stored = model.image_embedding(pixels[:10])

        def query(_: int, model: Any = model, stored: torch.Tensor = stored) -> torch.Tensor:
            return model.text_embedding(ids, mask) @ stored.T

        speeds[label] = {
            "offline_images_per_second": images_per_second(model.image_embedding, pixels, batch=8),
            "online_seconds_per_query": per_query_seconds(query, queries),
        }
    baseline = SINGLE_STREAM_MODELS.create_model(PIXELBERT_BASE).eval()
    features = baseline.image_features(pixels[:10])
    speeds[BASELINE.label] = {
        "offline_images_per_second": images_per_second(baseline.image_features, pixels, batch=8),
        "online_seconds_per_query": per_query_seconds(
            lambda _: baseline.match_logits(features, ids.expand(10, -1), mask.expand(10, -1)), queries
        ),
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
        table[label] = figures
    return table


def markdown(table: dict[str, dict[str, float]], full: dict[str, dict[str, float]], seeds: int) -> str:
    """The README table: quality, online speed relative to Pixel-BERT, offline extraction speed."""
    base_online = table[BASELINE.label]["online_seconds_per_query"]
    lines = [
        "| model | AUC | mean recall | R@1 | R@5 | R@10 | online speed (x Pixel-BERT) | offline images/s "
        "| full size: online x Pixel-BERT | full size: offline images/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    full_base = full[BASELINE.label]["online_seconds_per_query"] if full else 0.0
    for label, f in table.items():
        big = full.get(label)
        full_cells = (
            f"{full_base / big['online_seconds_per_query']:.1f} | {big['offline_images_per_second']:.1f}"
            if big
            else "– | –"
        )
        lines.append(
            f"| {label} | {f['auc']:.3f} ± {f['auc_std']:.3f} | {f['mean_recall']:.3f} | "
            f"{f['text_to_image_r1']:.3f} | {f['text_to_image_r5']:.3f} | {f['text_to_image_r10']:.3f} | "
            f"{base_online / f['online_seconds_per_query']:.1f} | {f['offline_images_per_second']:.0f} | {full_cells} |"
        )
    lines.append(
        f"\nMeans over {seeds} seeded runs (± standard deviation of AUC); R@k are text→image over the whole test pool; "
        "mean recall averages R@1/5/10 in both directions."
    )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=PATHS.shared_data)
    parser.add_argument("--pieces", type=Path, default=PATHS.models / "images" / "extracted")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-full-size", action="store_true", help="skip the full-size speed measurements")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()
    if not (args.pieces / "pieces.jsonl").is_file():
        print(
            f"error: no extracted pieces in {args.pieces}: run `python -m kg_builder images generate` and "
            "`python -m kg_builder images extract` first (or `make images`)",
            file=sys.stderr,
        )
        return 2
    torch.set_num_threads(max(1, torch.get_num_threads()))
    products, pretraining = product_photos(args.data), ocr_pairs(args.pieces)
    runs = []
    with tempfile.TemporaryDirectory() as work:
        for seed in range(args.seeds):
            runs.append(run_seed(seed, split_photos(products, seed), pretraining, Path(work), not args.no_progress))
    table = summarise(runs)
    full = {} if args.no_full_size else full_size_speeds()
    split = split_photos(products, 0)
    report = {
        "machine": {"platform": platform.platform(), "torch_threads": torch.get_num_threads()},
        "data": {
            "products": len(products),
            "train_pairs": len(split.train),
            "test_photos": len(split.test),
            "pretraining_pairs": len(pretraining),
            "candidates_per_text": 10,
        },
        "configs": {row.label: row.model for row in (*TWO_STREAM, BASELINE)},
        "seeds": args.seeds,
        "runs": runs,
        "mean": table,
        "full_size_speed": full,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cross_modal.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(table, full, args.seeds)
    (RESULTS / "cross_modal.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
