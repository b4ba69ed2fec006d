"""The text side of the cross-modal model for online queries, in numpy only (the action server loads no torch): a
shopper's message → its e5 query vector → the trained linear projection → a unit-length vector in the space of the
stored image embeddings.

A model folder (`PATHS.models / "crossmodal" / <model name>`, as the linker names it in `Image.embedding_model`)
holds the projection as `text_projection.npz` (`weight` [dim, 384], `bias` [dim], `encoder`: the e5 encoder's name;
kg_builder/crossmodal/towers.py writes it) and, when the model was fine-tuned, the whole-index search threshold in
`finetuning.json`."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kg_builder.config import PATHS

log = logging.getLogger(__name__)

CROSSMODAL_MODELS = PATHS.models / "crossmodal"  # one folder per model name
TEXT_PROJECTION_FILE = "text_projection.npz"
FINETUNING_FILE = "finetuning.json"
EPS = 1e-12  # as torch.nn.functional.normalize

TextVector = Callable[[str], Sequence[float]]  # a text → its e5 query vector
E5Factory = Callable[[str], TextVector]  # an encoder name → its query function


def e5_query(encoder: str) -> TextVector:
    """The e5 query vector of a shopper's message (never cached on disk); the encoder loads on the first call."""

    def vector(text: str) -> Sequence[float]:
        from kg_builder.textmodels.encoder import text_encoder

        return text_encoder(encoder).query(text, cache=False)

    return vector


@dataclass(frozen=True)
class TextQueryTower:
    """normalize(weight @ e5_query(text) + bias): the query vector that is compared with the image embeddings."""

    weight: np.ndarray  # [dim, e5 width]
    bias: np.ndarray  # [dim]
    encoder: str  # the e5 encoder's name
    encode: TextVector
    threshold: float | None = None  # the model's whole-index search threshold (cosine), when it was calibrated

    @classmethod
    def load(cls, folder: Path, e5: E5Factory = e5_query) -> TextQueryTower:
        """The tower saved in `folder`; FileNotFoundError without a projection, ValueError for a malformed one."""
        path = folder / TEXT_PROJECTION_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no {TEXT_PROJECTION_FILE} in {folder} (train the model with `make graph`)")
        with np.load(path, allow_pickle=False) as saved:
            missing = {"weight", "bias", "encoder"} - set(saved.files)
            if missing:
                raise ValueError(f"{path}: no {', '.join(sorted(missing))}")
            weight, bias = saved["weight"].astype(np.float32), saved["bias"].astype(np.float32)
            encoder = str(saved["encoder"])
        if weight.ndim != 2 or bias.shape != (weight.shape[0],) or not weight.size:
            raise ValueError(f"{path}: weight {weight.shape} and bias {bias.shape} do not fit")
        if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
            raise ValueError(f"{path}: weight or bias is not finite")
        return cls(weight, bias, encoder, e5(encoder), _threshold(folder / FINETUNING_FILE))

    @property
    def dimensions(self) -> int:
        return int(self.weight.shape[0])

    def vector(self, text: str) -> list[float]:
        """The unit-length query vector of `text`."""
        features = np.asarray(self.encode(text), dtype=np.float32)
        if features.shape != (self.weight.shape[1],):
            width = self.weight.shape[1]
            raise ValueError(f"{self.encoder} gave a vector of shape {features.shape}, the projection takes {width}")
        projected = self.weight @ features + self.bias
        return (projected / max(float(np.linalg.norm(projected)), EPS)).tolist()


def _threshold(path: Path) -> float | None:
    """finetuning.json's whole-index search threshold (kg_builder.crossmodal.finetuning.search_threshold), else its
    link threshold; None when there is neither."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        value = saved["search_threshold"] if "search_threshold" in saved else saved["threshold"]["threshold"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return float(value) if isinstance(value, int | float) else None


class QueryTowers:
    """The text query tower of each model name, loaded once from `root`/<name>; None for a name without one (a
    missing folder is looked for again on the next call: the model may be trained meanwhile)."""

    def __init__(self, root: Path = CROSSMODAL_MODELS, e5: E5Factory = e5_query) -> None:
        self._root, self._e5 = root, e5
        self._loaded: dict[str, TextQueryTower] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> TextQueryTower | None:
        """The tower of model `name` (a plain folder name), None when it has none or a malformed one."""
        if not name or Path(name).name != name or name in (".", ".."):
            return None
        with self._lock:
            if name not in self._loaded:
                try:
                    self._loaded[name] = TextQueryTower.load(self._root / name, self._e5)
                except (OSError, ValueError) as error:
                    log.warning("no text query tower for the image model %r: %s", name, error)
                    return None
            return self._loaded[name]
