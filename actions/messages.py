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
    # Constraints, narrowing and paging (actions/listing.py)
    "applied_constraints": {
        "zh": "按您的要求（{constraints}）找到{count}件：",
        "en": "{count} items meet what you asked for ({constraints}):",
    },
    "closest_items": {
        "zh": "没有完全符合（{constraints}）的商品，这{count}件最接近：",
        "en": "Nothing meets all of ({constraints}); these {count} come closest:",
    },
    "unpriced_note": {
        "zh": "（很多商品目录里没有标价，没有标价的也列出来了。）",
        "en": "(Many items have no listed price; those are listed too.)",
    },
    "nothing_fits": {
        "zh": "抱歉，没有同时符合这些条件的商品：{constraints}。可以去掉一个条件再试试。",
        "en": "Sorry, no item here meets all of these: {constraints}. Try dropping one of them.",
    },
    "which_constraint": {
        "zh": "抱歉，这个条件我在图谱里筛不了。可以按颜色、尺码、口味、品牌或价格筛，比如“100元以下的”。",
        "en": "Sorry, I can't narrow the list by that from the graph. Name a colour, size, flavour, brand or price, "
        'e.g. "under ¥100".',
    },
    "more_hint": {"zh": "还有{left}件，说“换一批”看更多。", "en": 'There are {left} more: say "show me more".'},
    "no_more": {
        "zh": "符合条件的商品都给您看过了，可以换个条件再找找。",
        "en": "That's every item I found for this. Try another request or other conditions.",
    },
    "not_term": {"zh": "不要{term}", "en": "not {term}"},
    "price_between": {"zh": "{low}到{high}", "en": "between {low} and {high}"},
    "price_at_most": {"zh": "{price}以内", "en": "at most {price}"},
    "price_at_least": {"zh": "{price}以上", "en": "at least {price}"},
    # Comparisons and sorting (actions/comparison.py)
    "cheapest_answer": {
        "zh": "最便宜的是第{number}个「{title}」，{price}。",
        "en": 'The cheapest is no. {number}, "{title}", at {price}.',
    },
    "dearest_answer": {
        "zh": "最贵的是第{number}个「{title}」，{price}。",
        "en": 'The most expensive is no. {number}, "{title}", at {price}.',
    },
    "only_priced_answer": {
        "zh": "只有第{number}个「{title}」有价格：{price}，其他的目录里没有标价。",
        "en": 'Only no. {number}, "{title}", has a price: {price}. The catalog has no price for the others.',
    },
    "price_tie": {"zh": "（有{count}件同价）", "en": " ({count} items share that price)"},
    "other_currency": {
        "zh": "（另有{count}件不是以{currency}标价，没有放在一起比较。）",
        "en": " ({count} priced in another currency than {currency} were not compared.)",
    },
    "no_prices": {
        "zh": "抱歉，这些商品在目录里都没有标价，没法比较价格。",
        "en": "Sorry, the catalog has no prices for these items, so I can't compare their prices.",
    },
    "no_sales_data": {
        "zh": "抱歉，知识图谱里没有销量和评价数据，我没法说哪个卖得最好。可以按价格比较，比如“哪个最便宜”。",
        "en": "Sorry, the knowledge graph holds no sales or rating figures, so I can't tell which sells best. "
        'I can compare prices: "which one is the cheapest?"',
    },
    "which_comparison": {
        "zh": "想怎么比较呢？比如“哪个最便宜”“第一个和第三个哪个便宜”“按价格排序”。",
        "en": 'How should I compare them? E.g. "which is the cheapest?", "which is cheaper, the first or the third?" '
        'or "sort them by price".',
    },
    "sorted_asc": {"zh": "按价格从低到高：", "en": "By price, lowest first:"},
    "sorted_desc": {"zh": "按价格从高到低：", "en": "By price, highest first:"},
    "cannot_compare_property": {
        "zh": "抱歉，这些商品的{name}在图谱里没有可比较的数值。",
        "en": "Sorry, the graph has no comparable amounts of {name} for these items.",
    },
    "most_property_answer": {
        "zh": "{name}最多的是第{number}个「{title}」：{amount}。",
        "en": 'No. {number}, "{title}", has the most {name}: {amount}.',
    },
    "property_missing_for": {
        "zh": "（有{count}件在图谱里没有{name}的数值。）",
        "en": " ({count} of them have no {name} in the graph.)",
    },
    # Why (actions/explanation.py)
    "why_path": {
        "zh": "推荐「{title}」的理由：{path}。它的“{value}”正好满足“{poi}”的需要。",
        "en": 'Why "{title}": {path}. Its "{value}" meets the need "{poi}".',
    },
    "why_no_path": {
        "zh": "「{title}」是按您说的词找到的；图谱里还没有它满足哪种需要的记录。",
        "en": '"{title}" was found by the words you used; the graph does not yet say which need it meets.',
    },
    "why_not_linked": {
        "zh": "图谱里没有「{title}」和“{need}”相关的记录，我不能说它适合。可以问我“{need}用什么好”。",
        "en": 'The graph does not link "{title}" to "{need}", so I can\'t say it helps with that. Ask me what '
        'helps with "{need}" instead.',
    },
    # A question about the item in focus that the graph holds nothing on
    "not_in_graph": {
        "zh": "抱歉，图谱里没有「{title}」这方面的信息，我不能乱说。可以帮您转给主播确认。",
        "en": 'Sorry, the graph has nothing on that for "{title}", and I won\'t guess. I can pass your question to '
        "the host.",
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
