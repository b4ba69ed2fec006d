"""Command line: `python -m kg_builder build|review|stats|schema|lookups|harvest|faq|images`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo4j import Driver

from kg_builder.config import PATHS, Neo4jSettings, connect

NOISE_CNN = PATHS.models / "images" / "noise_cnn.pt"
CROSSMODAL = PATHS.models / "crossmodal"
PRETRAINING_EPOCHS = 10
NEO4J_HOME = Path(os.environ.get("NEO4J_LOCAL_HOME") or PATHS.repo / ".neo4j")  # scripts/env.sh sets it

Option = tuple[tuple[str, ...], dict[str, Any]]


def option(*flags: str, **settings: Any) -> Option:
    """One `add_argument` call, as data."""
    return flags, settings


@dataclass(frozen=True)
class Command:
    """A subcommand: what `--help` says, its options, and the function that runs it (returns the exit status)."""

    help: str
    run: Callable[[argparse.Namespace], int]
    options: tuple[Option, ...] = ()


@contextmanager
def _graph() -> Iterator[tuple[Driver, str]]:
    """A driver to the configured Neo4j and its database name."""
    settings = Neo4jSettings.from_env()
    with connect(settings) as driver:
        yield driver, settings.database


def _extraction(args: argparse.Namespace) -> Any:
    """The learned stages' settings (None with --no-models); FileNotFoundError without the datasets."""
    if args.no_models:
        return None
    from kg_builder.textual.stages import repository_settings

    if not args.data.is_dir():
        raise FileNotFoundError(f"datasets folder not found: {args.data} (use --data DIR or --no-models)")
    return repository_settings(args.data, progress=not args.no_progress)


def _build(args: argparse.Namespace) -> int:
    if args.bulk:
        return _bulk_build(args)
    from kg_builder.build import build_graph

    with _graph() as (driver, database):
        extraction = _extraction(args)
        report = build_graph(driver, args.source, database, progress=not args.no_progress, extraction=extraction)
    print(report.summary())
    return 1 if args.strict and report.errors else 0


def _bulk_build(args: argparse.Namespace) -> int:
    import shlex
    import subprocess

    from kg_builder.bulk_build import bulk_build
    from kg_builder.graph.bulk import BulkRefused, ImportFailed, Instance

    instance = Instance(args.home.resolve(), args.lib.resolve())

    def start() -> None:
        subprocess.run(shlex.split(args.start_command), cwd=PATHS.repo, check=True)

    try:
        extraction = _extraction(args)
        report = bulk_build(
            args.source, instance, start, args.database, args.csv_dir, not args.no_progress, extraction=extraction
        )
    except BulkRefused as error:
        print(f"error: {error}", file=sys.stderr)
        return 4
    except (ImportFailed, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 5
    print(report.summary())
    return 1 if args.strict and report.errors else 0


def _review(args: argparse.Namespace) -> int:
    from kg_builder.review import apply_decision, list_candidates, record_decision
    from kg_builder.textual.stages import DECISIONS_FILE

    decisions = PATHS.knowledge / DECISIONS_FILE
    with _graph() as (driver, database):
        if args.action == "list":
            kinds = [args.kind] if args.kind else ["poi", "satisfy", "category", "image"]
            found = list_candidates(driver, kinds, shown=args.shown, limit=args.limit, database=database)
            for c in found:
                state = "shown" if c.shown else "candidate"
                score = "-" if c.score is None else f"{c.score:.3f}"
                print(f"{c.kind}\t{c.subject}\t{c.object}\t{score}\t{state}\t{c.text}\t{(c.evidence or '')[:80]}")
            print(f"review: {len(found)} listed; decide with: python -m kg_builder review accept|reject KIND ID [POI]")
            return 0
        if not args.kind or not args.subject or (args.kind == "poi") == bool(args.object):
            print(
                "error: accept/reject need KIND ID, and the POI, category or image id for satisfy, category or image",
                file=sys.stderr,
            )
            return 2
        obj = args.object or "-"
        changed = apply_decision(driver, args.kind, args.subject, obj, args.action, database)
        if not changed:
            print(f"error: no {args.kind} prediction {args.subject} {obj} in the graph", file=sys.stderr)
            return 1
        record_decision(decisions, args.kind, args.subject, obj, args.action, args.note)
    print(f"review: {args.action}ed {args.kind} {args.subject} {obj}; recorded in {decisions}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from kg_builder.graph.stats import database_id, graph_stats

    with _graph() as (driver, database):
        if args.database_id:
            print(database_id(driver, database))
            return 0
        stats = graph_stats(driver, database)
    print(json.dumps(stats.__dict__, indent=2) if args.json else stats.as_table())
    return 0


def _schema(args: argparse.Namespace) -> int:
    from kg_builder.graph.ontology import ensure_schema

    with _graph() as (driver, database):
        ensure_schema(driver, database)
    print("schema: constraints and indexes in place")
    return 0


def _lookups(args: argparse.Namespace) -> int:
    from kg_builder.catalog.lookups import write_lookups

    print(write_lookups(args.source, args.out))
    return 0


def _harvest(args: argparse.Namespace) -> int:
    from kg_builder.catalog.harvest import harvest_catalog
    from kg_builder.catalog.loader import load_catalog

    harvest = harvest_catalog(args.data, args.catalog)
    for error in harvest.errors:
        print(f"skipped {error}", file=sys.stderr)
    domains = {row["id"]: row["domain"] for row in load_catalog(args.catalog).rows["categories"]}
    print(harvest.summary(domains))
    return 0


def _faq(args: argparse.Namespace) -> int:
    if not args.baseline:
        from kg_builder.catalog.loader import load_catalog
        from kg_builder.faq.store_ranker import calibrate
        from kg_builder.textmodels.encoder import text_encoder

        faqs = load_catalog(args.catalog).rows["faqs"]
        ranker = calibrate(text_encoder(), faqs, PATHS.knowledge / "faq_heldout.tsv", args.out / "store_ranker.json")
        for lang, figures in ranker["heldout"].items():
            print(
                f"faq {lang}: {len([f for f in faqs if f['lang'] == lang])} store FAQs; test R@1 {figures['test_r1']} "
                f"MRR {figures['test_mrr']} on {figures['test_answerable']} answerable of {figures['test_questions']}; "
                f"threshold {figures['threshold']} (dev): {figures['answered']} answered, precision "
                f"{figures['answered_precision']}"
            )
        print(f"faq: {ranker['ranker']} calibrated, written to {args.out / 'store_ranker.json'}")
        return 0
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


def _images(args: argparse.Namespace) -> int:
    if args.action in MODEL_STEPS and args.model is None:
        from kg_builder.crossmodal.model import DEFAULT_LINKING_MODEL  # torch and timm: only for these steps

        args.model = DEFAULT_LINKING_MODEL
    return IMAGE_STEPS[args.action](args)


def _generate_pages(args: argparse.Namespace) -> int:
    from kg_builder.catalog.loader import load_catalog
    from kg_builder.images.detail_pages import catalog_pages_input, generate_pages, real_photos

    photos = real_photos(args.data)
    if not photos:
        print(f"error: no real photos under {args.data}", file=sys.stderr)
        return 2
    items = catalog_pages_input(load_catalog(PATHS.catalog).rows, args.count, seed=args.seed)
    truth = generate_pages(items, photos, args.pages, seed=args.seed, photo_root=args.data.parent.parent)
    print(f"images: {len(items)} pages and their ground truth in {truth}")
    return 0


def _extract_pieces(args: argparse.Namespace) -> int:
    from kg_builder.images import noise_classifier
    from kg_builder.images.pipeline import extract_pages

    classifier = noise_classifier.load(args.classifier) if args.classifier.is_file() else None
    report = extract_pages(args.pages, args.out, progress=not args.no_progress, classifier=classifier)
    results = PATHS.results / "images"
    results.mkdir(parents=True, exist_ok=True)
    (results / "extraction.json").write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")
    for line in report.quarantined:
        print(f"quarantined {line}", file=sys.stderr)
    print(report.summary())
    return 0


def _train_noise_classifier(args: argparse.Namespace) -> int:
    from kg_builder.images import noise_classifier

    examples = noise_classifier.labelled_panels(args.pages)
    noise_classifier.save(noise_classifier.train(examples, progress=not args.no_progress), args.classifier)
    print(f"images: noise CNN trained on {len(examples)} panels of {args.pages} -> {args.classifier}")
    return 0


def _pretrain_crossmodal(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from kg_builder.crossmodal.data import ocr_pairs
    from kg_builder.crossmodal.pretraining import PRETRAINING, pretrain

    pairs = ocr_pairs(args.out)
    folder = CROSSMODAL / args.model / "pretrained"
    losses = pretrain(pairs, args.model, folder, replace(PRETRAINING, epochs=args.epochs), not args.no_progress)
    print(f"crossmodal: {args.model} pre-trained on {len(pairs)} (piece, OCR text) pairs; epoch losses {losses}")
    return 0


def _finetune_crossmodal(args: argparse.Namespace) -> int:
    from kg_builder.crossmodal.finetuning import train_for_linking

    summary = train_for_linking(args.model, args.data, args.out, CROSSMODAL / args.model, 0, not args.no_progress)
    threshold = summary["threshold"]
    tests = "; ".join(
        f"{key.replace('_', ' ')} AUC {summary[key]['auc']:.3f}, mean recall {summary[key]['mean_recall']:.3f}"
        for key in ("test", "test_zh")
        if key in summary
    )
    print(
        f"crossmodal: {args.model} pre-trained on {summary['pretraining_pairs']} (piece, OCR text) pairs, "
        f"fine-tuned on {summary['train_pairs']} photos; {tests}; link threshold {threshold['threshold']} "
        f"(validation F1 {threshold['f1']})"
    )
    return 0


def _link_images(args: argparse.Namespace) -> int:
    from kg_builder.crossmodal.encoder import load_encoder
    from kg_builder.crossmodal.linking import catalog_images, link_images, photo_images, piece_images

    folder = CROSSMODAL / args.model
    encoder = load_encoder(folder, args.device, cache_images=True)  # a rebuild embeds only new or changed images
    threshold = json.loads((folder / "finetuning.json").read_text())["threshold"]["threshold"]
    root = PATHS.repo
    images = catalog_images(PATHS.catalog, root) + photo_images(args.data, root)
    if (args.out / "pieces.jsonl").is_file():
        images = piece_images(args.out, root) + images
    from kg_builder.review import read_decisions
    from kg_builder.textual.stages import DECISIONS_FILE

    decisions = read_decisions(PATHS.knowledge / DECISIONS_FILE)
    with _graph() as (driver, database):
        progress = not args.no_progress
        report = link_images(driver, encoder, images, threshold, root, database, progress, decisions=decisions)
    print(report.summary())
    return 0


IMAGE_STEPS: dict[str, Callable[[argparse.Namespace], int]] = {
    "generate": _generate_pages,
    "extract": _extract_pieces,
    "train-classifier": _train_noise_classifier,
    "pretrain-cmm": _pretrain_crossmodal,
    "finetune": _finetune_crossmodal,
    "link": _link_images,
}
MODEL_STEPS = ("pretrain-cmm", "finetune", "link")  # the steps that use a cross-modal model
DATA_HELP = "datasets folder"
COMMANDS: dict[str, Command] = {
    "build": Command(
        "load a catalog folder into Neo4j (idempotent)",
        _build,
        (
            option("--source", type=Path, default=PATHS.catalog, help="catalog folder (default: data/catalog)"),
            option("--no-progress", action="store_true", help="no progress bar"),
            option("--strict", action="store_true", help="exit 1 when any row was rejected"),
            option("--data", type=Path, default=PATHS.shared_data, help="datasets for the learned stages"),
            option("--no-models", action="store_true", help="skip the learned stages (import and rules only)"),
            option("--bulk", action="store_true", help="first load: neo4j-admin import into a stopped, empty database"),
            option("--home", type=Path, default=NEO4J_HOME, help="--bulk: the Neo4j home (default $NEO4J_LOCAL_HOME)"),
            option("--lib", type=Path, default=PATHS.repo / "neo4j-server" / "lib", help="--bulk: the Neo4j jars"),
            option("--database", default="neo4j", help="--bulk: the database to create (default neo4j)"),
            option("--csv-dir", type=Path, help="--bulk: where the CSV files go (default HOME/import/bulk-DATABASE)"),
            option(
                "--start-command",
                default="scripts/neo4j.sh start",
                help="--bulk: starts that home's Neo4j after the import (run in the repository; NEO4J_INSTANCE passes)",
            ),
        ),
    ),
    "review": Command(
        "list predicted facts below the precision gate; accept (they become curated) or reject (never predicted again)",
        _review,
        (
            option("action", choices=["list", "accept", "reject"]),
            option("kind", nargs="?", choices=["poi", "satisfy", "category", "image"], help="the kind of prediction"),
            option("subject", nargs="?", help="a mined POI id, a SATISFY link's value id, an item id or an entity id"),
            option("object", nargs="?", help="a SATISFY link's POI id, the item's category id, or the linked image id"),
            option("--shown", action="store_true", help="list the predictions that passed the gate too"),
            option("--limit", type=int, default=30, help="candidates per kind (default 30)"),
            option("--note", default="", help="a note kept with the decision"),
        ),
    ),
    "stats": Command(
        "count nodes per label and relationships per type",
        _stats,
        (
            option("--json", action="store_true", help="print JSON instead of a table"),
            option("--database-id", action="store_true", help="print only the database's id (db.info)"),
        ),
    ),
    "schema": Command("create constraints and indexes only", _schema),
    "lookups": Command(
        "write Rasa lookup tables and synonyms from a catalog",
        _lookups,
        (
            option("--source", type=Path, default=PATHS.catalog),
            option("--out", type=Path, default=PATHS.nlu / "lookups.yml"),
        ),
    ),
    "harvest": Command(
        "write catalog records harvested from the shared datasets",
        _harvest,
        (
            option("--data", type=Path, default=PATHS.shared_data, help=DATA_HELP),
            option("--catalog", type=Path, default=PATHS.catalog, help="catalog folder to add to"),
        ),
    ),
    "faq": Command(
        "calibrate the shop's FAQ ranker on the held-out customer questions (--baseline: train the DeepQA matcher)",
        _faq,
        (
            option("--catalog", type=Path, default=PATHS.catalog, help="catalog folder with the store FAQs"),
            option("--baseline", action="store_true", help="train and measure the paper's DeepQA matcher instead"),
            option("--data", type=Path, default=PATHS.shared_data, help=DATA_HELP),
            option("--out", type=Path, default=PATHS.models / "faq", help="model folder"),
        ),
    ),
    "images": Command(
        "detail-page images: generate, cut and filter; train the cross-modal model; link into Neo4j",
        _images,
        (
            option("action", choices=list(IMAGE_STEPS)),
            option("--model", help="a model of kg_builder.crossmodal.model.TWO_STREAM_MODELS (models/crossmodal/NAME)"),
            option("--epochs", type=int, default=PRETRAINING_EPOCHS, help="epochs of pretrain-cmm"),
            option("--pages", type=Path, default=PATHS.models / "images" / "pages", help="pages folder"),
            option("--out", type=Path, default=PATHS.models / "images" / "extracted"),
            option("--count", type=int, default=60, help="pages to generate"),
            option("--seed", type=int, default=3, help="generator seed (rules were tuned on seed 3)"),
            option("--data", type=Path, default=PATHS.shared_data),
            option("--no-progress", action="store_true"),
            option("--classifier", type=Path, default=NOISE_CNN, help="noise CNN (used by extract when present)"),
            option("--device", default="cpu", help="torch device of `link` (cpu, cuda): image embeddings"),
        ),
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kg_builder", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=command.help)
        for flags, settings in command.options:
            subparser.add_argument(*flags, **settings)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    args = _parser().parse_args(argv)
    return COMMANDS[args.command].run(args)


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
