"""Text-to-image search (paper section 2.2, online): "show me a picture of the yoghurt with strawberries" /
"有没有草莓酸奶的图片" ranks the stored images by the cross-modal model's query vector, over the images of the item
in focus when the message is about it ("what does it look like", "它长什么样", "the second one's photo"), else over
the whole image vector index. Up to MAX_PICTURES images that score at least the minimum similarity are shown with
their captions; otherwise the shopper is told plainly that no picture matches.

The query vector comes from the numpy text tower of the model that embedded the stored images
(kg_builder/crossmodal/text_query.py): no torch in the action server."""

from __future__ import annotations

import logging
import re

from actions.graph_store import GraphStore
from actions.media import media_url
from actions.messages import say
from actions.ordinals import ordinal_index
from actions.reply import Reply
from actions.retrieval import content_words
from actions.titles import display_title
from kg_builder.crossmodal.image_search import RankedImage
from kg_builder.crossmodal.text_query import QueryTowers

logger = logging.getLogger(__name__)

MAX_PICTURES = 3
# The least cosine (in [-1, 1]) a picture of the whole index must reach when the model has no calibrated search
# threshold (finetuning.json's search_threshold: precise on the validation photos, above every photo-less title).
MIN_PICTURE_COSINE = 0.2
QUERY_CHARS = 300  # what of the message is embedded: a request for a picture names its subject in a few words

# The words that ask for a picture, and the filler around them: what is left names what should be in it.
_PICTURE_WORDS = re.compile(
    r"\b(?:pictures?|photos?|photographs?|images?|pics?|snapshots?|shots?|looks?\s{1,3}like|look|see|show|send|give|"
    r"let|me|us|can|could|would|will|you|i|have|has|got|any|a|an|the|of|please|is|are|there|do|does|what|how|"
    r"real|actual|it|its|it's|this|that|these|those|one|ones)\b"
    r"|长什么样子?|长啥样|什么样子?|啥样子?|样子|模样|图片|照片|相片|实拍图?|实物图?|图|瞧瞧|看看|看一下|看下|给我|"
    r"让我|我想|我要|想要|有没有|有吗|能不能|可以|[发来]?[一几]张|它的|它|这个|那个|这款|那款|"
    r"这件|那件|该|请|一下|吗|呢|吧|啊|的",
    re.IGNORECASE,
)
# Words that point at the item in focus: "it", "this one", "它", "这款".
_ABOUT_FOCUS = re.compile(r"\b(?:it|its|it's|this|that one)\b|它|这个|那个|这款|那款|这件|那件|该商品", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def subject_text(text: str) -> str:
    """The message without the words that ask for a picture ("the yoghurt with strawberries" → "yoghurt with
    strawberries", "有没有草莓酸奶的图片" → "草莓酸奶")."""
    return _SPACES.sub(" ", _PICTURE_WORDS.sub(" ", text[:QUERY_CHARS])).strip(" ?？!！.。,，、~～")


def about_focus(text: str) -> bool:
    """True when the message points at the item in focus ("it", "this one", "它", "这款")."""
    return bool(_ABOUT_FOCUS.search(text[:QUERY_CHARS]))


class PictureFinder:
    """Ranks stored images for a picture request through the store; `towers` gives the text query tower of the
    model that embedded them (default: the models folder)."""

    def __init__(self, store: GraphStore, towers: QueryTowers | None = None) -> None:
        self._store = store
        self._towers = towers or QueryTowers()

    def reply(self, text: str, language: str, focus: str | None = None, listed: list[str] | None = None) -> Reply:
        """Up to MAX_PICTURES images for the message with their captions, or the honest answer that none matches
        (or that there is no picture search: no image embeddings, no text tower of their model)."""
        listed = listed or []
        subject = subject_text(text)
        named = bool(content_words(subject))
        index = ordinal_index(text, len(listed))
        item_id = listed[index] if index is not None else None
        if item_id is None and focus and (about_focus(text) or not named):
            item_id = focus
        if item_id is None and not named:
            return Reply(say("which_item", language))
        title = shown = None  # the item's title (the query that orders its pictures) and its name for the shopper
        if item_id is not None:
            card = self._store.item_card(item_id)
            if card is None:
                return Reply(say("which_item", language), item_in_focus=None)
            title, shown = card.summary.title, display_title(card.summary, language)
        model = self._store.image_model()
        tower = self._towers.get(model.name) if model else None
        if model is None or tower is None or tower.dimensions != model.dimensions:
            if model and tower:
                widths = (model.dimensions, tower.dimensions)
                logger.warning("image model %s: %d-d embeddings but a %d-d text tower", model.name, *widths)
            return Reply(say("pictures_unavailable", language), item_in_focus=item_id)
        # An item's pictures are ordered by its title unless the shopper named what they want to see of it.
        query = subject if named and (index is None or title is None) else (title or subject)
        try:
            vector = tower.vector(query)
        except ValueError:  # a projection that does not fit its encoder: a broken model, not the shopper's fault
            logger.exception("the text tower of image model %s failed", model.name)
            return Reply(say("pictures_unavailable", language), item_in_focus=item_id)
        if item_id is not None:  # the item's own pictures: each shows it, the query only orders them
            found = self._store.images_by_vector(vector, item_id, MAX_PICTURES)
        else:
            cosine = MIN_PICTURE_COSINE if tower.threshold is None else tower.threshold
            least = (1.0 + cosine) / 2.0  # on the stores' [0, 1] scale
            found = [
                image for image in self._store.images_by_vector(vector, None, MAX_PICTURES) if image.score >= least
            ]
        return pictures_reply(found, language, item_id, shown)


def pictures_reply(found: list[RankedImage], language: str, item_id: str | None, title: str | None) -> Reply:
    """The images with a numbered list of their captions, or "no picture matches"."""
    if not found:
        key, fields = ("no_item_picture", {"title": title}) if title else ("no_picture", {})
        return Reply(say(key, language, **fields), item_in_focus=item_id)
    urls = [media_url(image.path) for image in found]
    captions = [image.caption or title or image.id for image in found]
    head = say("item_pictures_head", language, title=title) if title else say("pictures_head", language)
    lines = [head, *(f"{number}. {caption}" for number, caption in enumerate(captions, 1))]
    return Reply(
        "\n".join(lines),
        images=urls,
        item_in_focus=item_id,
        payload={
            "type": "pictures",
            "item": item_id,
            "images": [
                {"id": image.id, "url": url, "caption": caption, "score": round(image.score, 4)}
                for image, url, caption in zip(found, urls, captions, strict=True)
            ],
        },
    )
