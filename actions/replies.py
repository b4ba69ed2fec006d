"""The assistant's sentences in Chinese and English, generated from graph data by templates."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from actions.graph_store import ItemCard, ItemSummary, PropertyValue

if TYPE_CHECKING:
    from actions.recommendation import Recommendation
from actions.language import pick

TITLE_CHARS = 48
_ORDINAL_EN = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
MAX_CARD_POIS = 6  # curated and imported selling points first, then the best-scored predicted ones
PREDICTED_MARK = {"zh": "（模型预测）", "en": " (predicted)"}


def short_title(title: str) -> str:
    """A title cut to a readable length."""
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


def _join(values: list[str], language: str) -> str:
    if language == "zh":
        return "、".join(values)
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _price(price: float | None, language: str) -> str:
    if price is None:
        return ""
    return f"，¥{price:g}" if language == "zh" else f", ${price:g}"


def result_list(items: list[ItemSummary], language: str) -> str:
    """A numbered list of found items and the question which one."""
    lines = [f"{n}. {short_title(item.title)}{_price(item.price, language)}" for n, item in enumerate(items, 1)]
    if language == "zh":
        head = f"为您找到{len(items)}件商品：" if len(items) > 1 else "为您找到这件商品："
        tail = "想看哪一个？可以说“第二个”。" if len(items) > 1 else "想了解什么可以直接问我。"
    else:
        head = f"I found {len(items)} items:" if len(items) > 1 else "I found this item:"
        tail = (
            'Which one would you like to see? Say "the second one", for example.'
            if len(items) > 1
            else ("Ask me anything about it.")
        )
    return "\n".join([head, *lines, tail])


def card_subtitle(item: ItemSummary, language: str) -> str:
    """Brand, category and price in one short line."""
    category = item.category_zh if language == "zh" else (item.category_en or item.category_zh)
    brand = item.brand_zh if language == "zh" and item.brand_zh else item.brand
    parts = [part for part in (brand, category) if part]
    return " · ".join(parts) + _price(item.price, language).replace("，", " · ").replace(", ", " · ")


def pick_button(number: int, language: str) -> str:
    """The label of a card's button."""
    return f"看第{number}个" if language == "zh" else f"Show #{number}"


def pick_message(number: int, language: str) -> str:
    """What a card's button says for the user (plain words, so NLU and language detection see the user's)."""
    return f"第{number}个" if language == "zh" else f"the {_ORDINAL_EN.get(number, f'#{number}')} one"


def nothing_found(text: str, language: str) -> str:
    """No item fits the query."""
    if language == "zh":
        return "抱歉，直播间里没有找到相关的商品。可以换个说法试试，比如“我想看看面膜”。"
    return 'Sorry, I could not find a matching item in this live room. Try e.g. "Can I see the facial masks?"'


def card_text(card: ItemCard, language: str, image_url: Callable[[str], str]) -> str:
    """An item card as text: title, brand, price, key properties, POIs, scenarios, image links."""
    s = card.summary
    properties: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for prop in card.properties:
        names[prop["property"]] = pick(language, prop["name_zh"], prop["name_en"])
        properties.setdefault(prop["property"], []).append(
            pick(language, prop["value_zh"], prop["value_en"]) or prop["value"]
        )
    ranked = sorted(card.pois, key=lambda poi: (poi.get("predicted", False), -(poi.get("score") or 1.0)))
    pois = [
        pick(language, poi["name_zh"], poi["name_en"]) + (PREDICTED_MARK[language] if poi.get("predicted") else "")
        for poi in ranked[:MAX_CARD_POIS]
    ]
    sep = "：" if language == "zh" else ": "
    lines = [f"【{s.title}】"]
    category = pick(language, s.category_zh, s.category_en)
    brand = pick(language, s.brand_zh, s.brand) if language == "zh" else (s.brand or "")
    if language == "zh":
        lines.append(
            f"品类{sep}{category}"
            + (f"　品牌{sep}{brand}" if brand else "")
            + (f"　价格{sep}¥{s.price:g}" if s.price else "")
        )
    else:
        lines.append(
            f"Category{sep}{category}"
            + (f" | Brand{sep}{brand}" if brand else "")
            + (f" | Price{sep}${s.price:g}" if s.price else "")
        )
    for prop_id, values in properties.items():
        lines.append(f"· {names[prop_id]}{sep}{_join(values, language)}")
    if pois:
        lines.append(("卖点" if language == "zh" else "Selling points") + sep + _join(pois, language))
    scenarios = [pick(language, sc["name_zh"], sc["name_en"]) for sc in card.scenarios]
    if scenarios:
        lines.append(("适用场景" if language == "zh" else "Good for") + sep + _join(scenarios, language))
    for image in card.images:
        lines.append(("图片" if language == "zh" else "Image") + sep + image_url(image["path"]))
    return "\n".join(lines)


def property_answer(
    title: str, property_zh: str | None, property_en: str | None, values: list[PropertyValue], language: str
) -> str:
    """A sentence that answers a property question, e.g. "这款T恤有S、M、L三个尺码。"."""
    name = pick(language, property_zh, property_en)
    shown = [pick(language, v.value_zh, v.value_en) or v.value for v in values]
    title = short_title(title)
    if language == "zh":
        if len(shown) == 1:
            return f"「{title}」的{name}是{shown[0]}。"
        return f"「{title}」的{name}有{_join(shown, language)}，共{len(shown)}种。"
    if len(shown) == 1:
        return f'The {name} of "{title}" is {shown[0]}.'
    return f'"{title}" has {len(shown)} values for {name}: {_join(shown, language)}.'


def price_answer(title: str, price: float | None, language: str) -> str:
    """The price of an item, or that the catalog has none."""
    title = short_title(title)
    if price is None:
        if language == "zh":
            return f"抱歉，图谱里还没有「{title}」的价格，我可以帮您转给主播。"
        return f'Sorry, the graph has no price for "{title}" yet. I can pass your question to the host.'
    return f"「{title}」的价格是¥{price:g}。" if language == "zh" else f'"{title}" costs ${price:g}.'


def missing_value(
    title: str, property_zh: str | None, property_en: str | None, language: str, faq: tuple[str, str] | None
) -> str:
    """The graph has no value of that property for the item: say so, then give the most similar FAQ (marked as
    such) when one is confident, else offer to pass the question to the host."""
    name = pick(language, property_zh, property_en)
    title = short_title(title)
    if language == "zh":
        head = f"抱歉，图谱里还没有「{title}」的{name}信息"
        if faq is None:
            return head + "，我可以帮您转给主播。"
        return f"{head}。常见问题里有一个相似的问题：“{faq[0]}”\n{faq[1]}"
    head = f'Sorry, the graph has no {name} for "{title}" yet'
    if faq is None:
        return head + ". I can pass your question to the host."
    return f'{head}. A similar question from the FAQ, "{faq[0]}":\n{faq[1]}'


MESSAGES: dict[str, tuple[str, str]] = {
    "greet": (
        "您好！我是直播间购物助手，可以帮您找商品、看详情、问属性。试试说“我想看看口红”。",
        "Hi! I'm the live-room shopping assistant. I can find items, show their details and answer questions "
        'about them. Try "Can I see the lipstick?"',
    ),
    "goodbye": ("再见，欢迎常来直播间！", "Goodbye, see you in the live room!"),
    "thank": ("不客气，还有什么想看的吗？", "You're welcome! Anything else you'd like to see?"),
    "out_of_scope": (
        "抱歉，我只能回答直播间商品的问题，比如“有什么面膜”或“这件T恤有哪些尺码”。",
        'Sorry, I can only help with the products in this live room, e.g. "Do you have facial masks?" or '
        '"What sizes does the T-shirt come in?"',
    ),
    "which_property": (
        "您想了解这款商品的哪方面？比如成分、尺码、颜色、净含量。",
        "What would you like to know about it? For example its ingredients, size, color or net content.",
    ),
    "which_item": (
        "您想问的是哪件商品？可以先说“我想看看口红”。",
        'Which item do you mean? Ask me to show one first, e.g. "Can I see the lipstick?"',
    ),
    "graph_unavailable": (
        "抱歉，商品知识库暂时连不上，请稍后再试。",
        "Sorry, the product knowledge graph is not reachable right now. Please try again in a moment.",
    ),
    "video_button": ("看短视频", "Watch a short video"),
    "video_offer": ("想看看它的短视频吗？", "Would you like a short video of it?"),
    "pass_to_host": (
        "抱歉，这个问题我还答不上来，已经帮您转给主播，请稍等主播回复～",
        "Sorry, I don't know the answer to that yet. I've passed your question to the host, who will reply soon.",
    ),
}


def faq_answer(question: str, answer: str, language: str) -> str:
    """A FAQ's answer, with the question it answers so the user can judge the match."""
    if language == "zh":
        return f"{answer}\n（参考常见问题：“{question}”）"
    return f'{answer}\n(from the FAQ "{question}")'


def video_text(captions: list[str], language: str) -> str:
    """The line sent with a video: its scenes in order."""
    head = "为您生成了短视频：" if language == "zh" else "Here is a short video: "
    return head + " → ".join(captions)


def message(key: str, language: str) -> str:
    """A fixed message in the user's language."""
    zh, en = MESSAGES[key]
    return zh if language == "zh" else en


def bad_choice(count: int, language: str) -> str:
    """The ordinal does not point at a listed item."""
    if count == 0:
        return message("which_item", language)
    if language == "zh":
        return f"请从1到{count}里选一个，比如“第一个”。"
    return f'Please pick a number from 1 to {count}, e.g. "the first one".'


def _path_text(reason: dict[str, Any], language: str) -> str:
    """'熬夜 → 皮肤暗沉 → 美白提亮 → 烟酰胺' from one recommendation path."""
    steps = [
        reason.get(f"scenario_{language}") or reason.get("scenario_zh"),
        reason.get(f"problem_{language}") or reason.get("problem_zh"),
        reason.get(f"poi_{language}") or reason.get("poi_zh"),
        (reason.get("value_en") if language == "en" else None) or reason.get("value"),
    ]
    return " → ".join(step for step in steps if step)


def recommendation_list(recommendations: list[Recommendation], language: str) -> str:
    """Numbered items, each with the path that explains it."""
    lines = []
    for n, rec in enumerate(recommendations, 1):
        mark = PREDICTED_MARK[language] if rec.reason.get("predicted") else ""
        because = "理由" if language == "zh" else "why"
        lines.append(
            f"{n}. {short_title(rec.item.title)}{_price(rec.item.price, language)}\n"
            f"   {because}: {_path_text(rec.reason, language)}{mark}"
        )
    if language == "zh":
        return "\n".join(["根据您的情况，推荐这些商品：", *lines, "想看哪一个？可以说“第一个”。"])
    tail = 'Which one would you like to see? Say "the first one".'
    return "\n".join(["Based on what you told me, I'd suggest:", *lines, tail])


def no_recommendation(language: str, needs_found: bool) -> str:
    """Nothing along the path, or no need recognised."""
    if language == "zh":
        if needs_found:
            return "抱歉，直播间里暂时没有满足这个需求的商品。"
        return "能说说您的情况吗？比如“我经常熬夜，皮肤暗沉，买什么好？”"
    if needs_found:
        return "Sorry, nothing in this live room meets that need yet."
    return (
        'Could you tell me a bit about your situation? E.g. "I stay up late and my skin looks dull, what should I buy?"'
    )
