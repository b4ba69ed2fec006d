"""Command line: `python -m kg_builder build|stats|schema|lookups|harvest`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kg_builder.config import REPO_ROOT, Neo4jSettings, connect

DEFAULT_SOURCE = REPO_ROOT / "data" / "catalog"
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
NOISE_CNN = REPO_ROOT / "models" / "images" / "noise_cnn.pt"
CROSSMODAL = REPO_ROOT / "models" / "crossmodal"
PRETRAINING_EPOCHS = 10


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kg_builder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="load a catalog folder into Neo4j (idempotent)")
    build.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="catalog folder (default: data/catalog)")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.add_argument("--strict", action="store_true", help="exit 1 when any row was rejected")
    build.add_argument("--data", type=Path, default=DEFAULT_DATA, help="datasets for the learned stages")
    build.add_argument("--no-models", action="store_true", help="skip the learned stages (import and rules only)")
    build.add_argument("--base-model", default="bert-tiny", help="bert-tiny|bert-mini|bert-base or a checkpoint folder")
    build.add_argument("--mlm-epochs", type=int, default=2, help="MLM pre-training epochs for a named base model")
    stats = commands.add_parser("stats", help="count nodes per label and relationships per type")
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    commands.add_parser("schema", help="create constraints and indexes only")
    lookups = commands.add_parser("lookups", help="write Rasa lookup tables and synonyms from a catalog")
    lookups.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    lookups.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "nlu" / "lookups.yml")
    harvest = commands.add_parser("harvest", help="write catalog records harvested from the shared datasets")
    harvest.add_argument("--data", type=Path, default=DEFAULT_DATA, help="datasets folder")
    harvest.add_argument("--catalog", type=Path, default=DEFAULT_SOURCE, help="catalog folder to add to")
    faq = commands.add_parser("faq", help="train and measure the FAQ matcher (DeepQA fallback) on the QA samples")
    faq.add_argument("--data", type=Path, default=DEFAULT_DATA, help="datasets folder")
    faq.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "faq", help="model folder")
    images = commands.add_parser(
        "images", help="detail-page images: generate, cut and filter; train the cross-modal model; link into Neo4j"
    )
    images.add_argument(
        "action", choices=["generate", "extract", "train-classifier", "pretrain-cmm", "finetune", "link"]
    )
    images.add_argument("--model", default="cmm-resnet-tiny", help="cross-modal config name (models/crossmodal/NAME)")
    images.add_argument("--epochs", type=int, default=PRETRAINING_EPOCHS, help="epochs of pretrain-cmm")
    images.add_argument("--pages", type=Path, default=REPO_ROOT / "models" / "images" / "pages", help="pages folder")
    images.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "images" / "extracted")
    images.add_argument("--count", type=int, default=60, help="pages to generate")
    images.add_argument("--seed", type=int, default=3, help="generator seed (rules were tuned on seed 3)")
    images.add_argument("--data", type=Path, default=DEFAULT_DATA)
    images.add_argument("--no-progress", action="store_true")
    images.add_argument("--classifier", type=Path, default=NOISE_CNN, help="noise CNN (used by extract when present)")
    return parser


def _category_domains(catalog_dir: Path) -> dict[str, str]:
    from kg_builder.catalog.loader import load_catalog

    return {row["id"]: row["domain"] for row in load_catalog(catalog_dir).rows["categories"]}


def _images(args: argparse.Namespace) -> int:
    if args.action == "generate":
        from kg_builder.catalog.loader import load_catalog
        from kg_builder.images.detail_pages import catalog_pages_input, generate_pages, real_photos

        photos = real_photos(args.data)
        if not photos:
            print(f"error: no real photos under {args.data}", file=sys.stderr)
            return 2
        items = catalog_pages_input(load_catalog(DEFAULT_SOURCE).rows, args.count, seed=args.seed)
        truth = generate_pages(items, photos, args.pages, seed=args.seed, photo_root=args.data.parent.parent)
        print(f"images: {len(items)} pages and their ground truth in {truth}")
        return 0
    from kg_builder.images import noise_classifier

    if args.action == "pretrain-cmm":
        from dataclasses import replace

        from kg_builder.crossmodal.data import ocr_pairs
        from kg_builder.crossmodal.pretraining import PRETRAINING, pretrain

        pairs = ocr_pairs(args.out)
        folder = CROSSMODAL / args.model / "pretrained"
        losses = pretrain(pairs, args.model, folder, replace(PRETRAINING, epochs=args.epochs), not args.no_progress)
        print(f"crossmodal: {args.model} pre-trained on {len(pairs)} (piece, OCR text) pairs; epoch losses {losses}")
        return 0
    if args.action == "finetune":
        from kg_builder.crossmodal.finetuning import train_for_linking

        summary = train_for_linking(args.model, args.data, args.out, CROSSMODAL / args.model, 0, not args.no_progress)
        test, threshold = summary["test"], summary["threshold"]
        print(
            f"crossmodal: {args.model} pre-trained on {summary['pretraining_pairs']} (piece, OCR text) pairs, "
            f"fine-tuned on {summary['train_pairs']} photos; test AUC {test['auc']:.3f}, mean recall "
            f"{test['mean_recall']:.3f}; link threshold {threshold['threshold']} (validation F1 {threshold['f1']})"
        )
        return 0
    if args.action == "link":
        return _link_images(args)
    if args.action == "train-classifier":
        examples = noise_classifier.labelled_panels(args.pages)
        noise_classifier.save(noise_classifier.train(examples, progress=not args.no_progress), args.classifier)
        print(f"images: noise CNN trained on {len(examples)} panels of {args.pages} -> {args.classifier}")
        return 0
    from kg_builder.images.pipeline import extract_pages

    classifier = noise_classifier.load(args.classifier) if args.classifier.is_file() else None
    report = extract_pages(args.pages, args.out, progress=not args.no_progress, classifier=classifier)
    results = REPO_ROOT / "results" / "images"
    results.mkdir(parents=True, exist_ok=True)
    (results / "extraction.json").write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")
    for line in report.quarantined:
        print(f"quarantined {line}", file=sys.stderr)
    print(report.summary())
    return 0


def _link_images(args: argparse.Namespace) -> int:
    from kg_builder.crossmodal.encoder import CrossModalEncoder
    from kg_builder.crossmodal.linking import catalog_images, link_images, photo_images, piece_images

    folder = CROSSMODAL / args.model
    encoder = CrossModalEncoder.load(folder)
    threshold = json.loads((folder / "finetuning.json").read_text())["threshold"]["threshold"]
    root = REPO_ROOT
    images = catalog_images(DEFAULT_SOURCE, root) + photo_images(args.data, root)
    if (args.out / "pieces.jsonl").is_file():
        images = piece_images(args.out, root) + images
    settings = Neo4jSettings.from_env()
    with connect(settings) as driver:
        report = link_images(driver, encoder, images, threshold, root, settings.database, not args.no_progress)
    print(report.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "lookups":
        from kg_builder.catalog.lookups import write_lookups

        print(write_lookups(args.source, args.out))
        return 0
    if args.command == "harvest":
        from kg_builder.catalog.harvest import harvest_catalog

        harvest = harvest_catalog(args.data, args.catalog, REPO_ROOT / "data" / "knowledge" / "value_lexicon.tsv")
        for error in harvest.errors:
            print(f"skipped {error}", file=sys.stderr)
        domains = _category_domains(args.catalog)
        print(harvest.summary(domains))
        return 0
    if args.command == "images":
        return _images(args)
    if args.command == "faq":
        from kg_builder.faq.build import train_faq_matcher

        report = train_faq_matcher(args.data, args.out)
        for name, measured in report["heldout"].items():
            print(
                f"faq {name}: R@1 {measured['all_r1']:.3f} MRR {measured['all_mrr']:.3f} "
                f"(zh R@1 {measured['zh_r1']:.3f} MRR {measured['zh_mrr']:.3f} on {measured['zh_sets']} sets; "
                f"en R@1 {measured['en_r1']:.3f} MRR {measured['en_mrr']:.3f} on {measured['en_sets']} sets)"
            )
        threshold = report["threshold"]
        print(
            f"faq: trained on {report['train_pairs']} pairs in {report['train_seconds']} s; confidence threshold "
            f"{threshold['threshold']} (top answer right: precision {threshold['precision']}, "
            f"recall {threshold['recall']})"
        )
        return 0
    settings = Neo4jSettings.from_env()
    with connect(settings) as driver:
        if args.command == "build":
            from kg_builder.build import build_graph

            extraction = None
            if not args.no_models:
                from kg_builder.textual.stages import ExtractionSettings

                if not args.data.is_dir():
                    print(
                        f"error: datasets folder not found: {args.data} (use --data DIR or --no-models)",
                        file=sys.stderr,
                    )
                    return 2
                extraction = ExtractionSettings(
                    data_dir=args.data,
                    model_dir=REPO_ROOT / "models" / "kg",
                    results_dir=REPO_ROOT / "results" / "kg",
                    knowledge_dir=REPO_ROOT / "data" / "knowledge",
                    base_model=args.base_model,
                    mlm_epochs=args.mlm_epochs,
                    progress=not args.no_progress,
                )
            report = build_graph(
                driver, args.source, settings.database, progress=not args.no_progress, extraction=extraction
            )
            print(report.summary())
            return 1 if args.strict and report.errors else 0
        if args.command == "stats":
            from kg_builder.graph.stats import graph_stats

            stats = graph_stats(driver, settings.database)
            if args.json:
                print(json.dumps(stats.__dict__, indent=2))
            else:
                print(stats.as_table())
            return 0
        from kg_builder.graph.ontology import ensure_schema

        ensure_schema(driver, settings.database)
        print("schema: constraints and indexes in place")
        return 0


def run(argv: list[str] | None = None) -> int:
    """`main`, with an unreachable or refusing Neo4j reported in one line instead of a traceback."""
    import logging

    from neo4j.exceptions import AuthError, ServiceUnavailable

    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")  # stderr: every library's warnings,
    logging.getLogger("kg_builder").setLevel(logging.INFO)  # and the stages of our own runs
    try:
        return main(argv)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (ServiceUnavailable, AuthError) as error:
        uri = Neo4jSettings.from_env().uri
        reason = str(error).splitlines()[0]
        print(
            f"error: Neo4j at {uri} is not usable ({reason}); start it with `make neo4j` or set NEO4J_URI",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(run())
