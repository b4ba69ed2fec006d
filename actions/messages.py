"""Every sentence the assistant says, in Chinese and English: one catalogue keyed by message and language.

A message is a `str.format` template; the step modules fill in the fields (titles, names, numbers, lists they
composed) through `say`. Fixed messages have no fields."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    # Small talk and fixed turns (actions.actions.ActionUtterLocalized and the facade)
    "greet": {
        "zh": "您好！我是直播间购物助手，可以帮您找商品、看详情、问属性。试试说“我想看看口红”。",
        "en": "Hi! I'm the live-room shopping assistant. I can find items, show their details and answer questions "
        'about them. Try "Can I see the lipstick?"',
    },
    "goodbye": {"zh": "再见，欢迎常来直播间！", "en": "Goodbye, see you in the live room!"},
    "thank": {"zh": "不客气，还有什么想看的吗？", "en": "You're welcome! Anything else you'd like to see?"},
    "out_of_scope": {
        "zh": "抱歉，我只能回答直播间商品的问题，比如“有什么面膜”或“这件T恤有哪些尺码”。",
        "en": 'Sorry, I can only help with the products in this live room, e.g. "Do you have facial masks?" or '
        '"What sizes does the T-shirt come in?"',
    },
    "graph_unavailable": {
        "zh": "抱歉，商品知识库暂时连不上，请稍后再试。",
        "en": "Sorry, the product knowledge graph is not reachable right now. Please try again in a moment.",
    },
    "too_long": {
        "zh": "抱歉，这条消息太长了（最多{limit}个字），可以说得简短一些吗？",
        "en": "Sorry, that message is too long (at most {limit} characters). Could you say it more briefly?",
    },
    "which_item": {
        "zh": "您想问的是哪件商品？可以先说“我想看看口红”。",
        "en": 'Which item do you mean? Ask me to show one first, e.g. "Can I see the lipstick?"',
    },
    # Lists joined in a language: "S、M、L" / "S, M and L"
    "list_separator": {"zh": "、", "en": ", "},
    "list_last_separator": {"zh": "、", "en": " and "},
    # Retrieval and exhibition: the numbered result list, the carousel, the item card
    "nothing_found": {
        "zh": "抱歉，直播间里没有找到相关的商品。可以换个说法试试，比如“我想看看面膜”。",
        "en": 'Sorry, I could not find a matching item in this live room. Try e.g. "Can I see the facial masks?"',
    },
    "result_head_many": {"zh": "为您找到{count}件商品：", "en": "I found {count} items:"},
    "result_head_one": {"zh": "为您找到这件商品：", "en": "I found this item:"},
    "result_tail_many": {
        "zh": "想看哪一个？可以说“第二个”。",
        "en": 'Which one would you like to see? Say "the second one", for example.',
    },
    "result_tail_one": {"zh": "想了解什么可以直接问我。", "en": "Ask me anything about it."},
    "price_suffix": {"zh": "，{price}", "en": ", {price}"},  # prices: actions.prices.format_price
    "pick_button": {"zh": "看第{number}个", "en": "Show #{number}"},
    "pick_message": {"zh": "第{number}个", "en": "the {ordinal} one"},  # what a card's button says for the user
    "bad_choice": {
        "zh": "请从1到{count}里选一个，比如“第一个”。",
        "en": 'Please pick a number from 1 to {count}, e.g. "the first one".',
    },
    "predicted_mark": {"zh": "（模型预测）", "en": " (predicted)"},
    "card_title": {"zh": "【{title}】", "en": "【{title}】"},
    "card_category": {"zh": "品类：{category}", "en": "Category: {category}"},
    "card_brand": {"zh": "　品牌：{brand}", "en": " | Brand: {brand}"},
    "card_price": {"zh": "　价格：{price}", "en": " | Price: {price}"},
    "card_property": {"zh": "· {name}：{values}", "en": "· {name}: {values}"},
    "card_selling_points": {"zh": "卖点：{pois}", "en": "Selling points: {pois}"},
    "card_scenarios": {"zh": "适用场景：{scenarios}", "en": "Good for: {scenarios}"},
    "card_image": {"zh": "图片：{url}", "en": "Image: {url}"},
    "video_button": {"zh": "看短视频", "en": "Watch a short video"},
    # Buttons as words to type, for `rasa shell` (actions.actions.button_hint)
    "button_hint": {"zh": "（可以说{choices}）", "en": " (you can say {choices})"},
    "button_choice": {"zh": "“{payload}”", "en": '"{payload}"'},
    "button_title": {"zh": "：{title}", "en": ": {title}"},
    "video_offer": {"zh": "想看看它的短视频吗？", "en": "Would you like a short video of it?"},
    # KBQA: property and price questions
    "which_property": {
        "zh": "您想了解这款商品的哪方面？比如成分、尺码、颜色、净含量。",
        "en": "What would you like to know about it? For example its ingredients, size, color or net content.",
    },
    "property_answer_one": {"zh": "「{title}」的{name}是{value}。", "en": 'The {name} of "{title}" is {value}.'},
    "property_answer_many": {
        "zh": "「{title}」的{name}有{values}，共{count}种。",
        "en": '"{title}" has {count} values for {name}: {values}.',
    },
    "price_answer": {"zh": "「{title}」的价格是{price}。", "en": '"{title}" costs {price}.'},
    "price_unknown": {
        "zh": "抱歉，图谱里还没有「{title}」的价格，我可以帮您转给主播。",
        "en": 'Sorry, the graph has no price for "{title}" yet. I can pass your question to the host.',
    },
    "missing_value": {
        "zh": "抱歉，图谱里还没有「{title}」的{name}信息，我可以帮您转给主播。",
        "en": 'Sorry, the graph has no {name} for "{title}" yet. I can pass your question to the host.',
    },
    "missing_value_faq": {
        "zh": "抱歉，图谱里还没有「{title}」的{name}信息。常见问题里有一个相似的问题：“{question}”\n{answer}",
        "en": 'Sorry, the graph has no {name} for "{title}" yet. A similar question from the FAQ, "{question}":'
        "\n{answer}",
    },
    # FAQ (DeepQA fallback)
    "faq_answer": {"zh": "{answer}\n（参考常见问题：“{question}”）", "en": '{answer}\n(from the FAQ "{question}")'},
    "pass_to_host": {
        "zh": "抱歉，这个问题我还答不上来，已经帮您转给主播，请稍等主播回复～",
        "en": "Sorry, I don't know the answer to that yet. I've passed your question to the host, who will reply soon.",
    },
    "faq_unavailable": {
        "zh": "抱歉，常见问题解答暂时不可用，已经帮您转给主播，请稍等主播回复～",
        "en": "Sorry, answers from the FAQ are not available right now. I've passed your question to the host, who "
        "will reply soon.",
    },
    # Recommendation along the cognitive path
    "recommendation_head": {"zh": "根据您的情况，推荐这些商品：", "en": "Based on what you told me, I'd suggest:"},
    "recommendation_reason": {"zh": "   理由: {path}{mark}", "en": "   why: {path}{mark}"},
    "recommendation_tail": {
        "zh": "想看哪一个？可以说“第一个”。",
        "en": 'Which one would you like to see? Say "the first one".',
    },
    "no_recommendation": {
        "zh": "抱歉，直播间里暂时没有满足这个需求的商品。",
        "en": "Sorry, nothing in this live room meets that need yet.",
    },
    "ask_situation": {
        "zh": "能说说您的情况吗？比如“我经常熬夜，皮肤暗沉，买什么好？”",
        "en": 'Could you tell me a bit about your situation? E.g. "I stay up late and my skin looks dull, what '
        'should I buy?"',
    },
    # Pictures: images ranked for a text by the cross-modal model
    "pictures_head": {"zh": "为您找到这些匹配的图片：", "en": "Here are the pictures that match best:"},
    "item_pictures_head": {"zh": "「{title}」的图片：", "en": 'Pictures of "{title}":'},
    "no_picture": {
        "zh": "抱歉，没有找到匹配的图片。可以换个说法，比如“有没有橙汁的图片”。",
        "en": 'Sorry, I have no picture that matches. Try another wording, e.g. "a picture of orange juice".',
    },
    "no_item_picture": {
        "zh": "抱歉，没有找到「{title}」的匹配图片。",
        "en": 'Sorry, I have no picture of "{title}" that matches.',
    },
    "pictures_unavailable": {
        "zh": "抱歉，图片搜索暂时不可用，没有找到匹配的图片。",
        "en": "Sorry, picture search is not available right now, so I have no picture that matches.",
    },
    # Video: the line sent with it and the captions of its scenes
    "video_text": {"zh": "为您生成了短视频：{scenes}", "en": "Here is a short video: {scenes}"},
    "video_failed": {
        "zh": "抱歉，短视频这次没能生成，请稍后再试一次。",
        "en": "Sorry, I couldn't make the video this time. Please try again in a moment.",
    },
    "video_scenario": {"zh": "{name}的时候", "en": "When it's {name}"},
    "video_problem": {"zh": "容易{name}", "en": "{name} can follow"},
    "video_poi": {"zh": "需要：{name}", "en": "You need: {name}"},
    "video_value": {"zh": "{name}，正好满足", "en": "{name} meets that need"},
    "video_pick": {"zh": "就选它：{name}", "en": "Your pick: {name}"},
}


def say(key: str, language: str, **fields: Any) -> str:
    """The message in the user's language ('zh', else English), its fields filled in."""
    texts = MESSAGES[key]
    return texts["zh" if language == "zh" else "en"].format(**fields)
