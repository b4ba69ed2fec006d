"""Every dataset file of ../shared/data that the project reads, named once (paths relative to the data folder).

Each folder's SOURCE.md there gives origin, licence and fields. Records cite their origin as `provenance(...)`.
"""

from __future__ import annotations

from pathlib import PurePath

PROVENANCE_PREFIX = "shared/data/"

# Chinese product titles tagged for NER (Taobao): HCCX category, HPPX brand, XH model ...
JIE_NER_TRAIN = "taobao_ecommerce_ner_jie2019/train.txt"
JIE_NER_DEV = "taobao_ecommerce_ner_jie2019/dev.txt"
# ... and HC product, HP brand (BIOES)
DING_NER_TRAIN = "taobao_ecommerce_ner_ding2019/train.txt.bieos"
DING_GAZETTEERS = "taobao_ecommerce_ner_ding2019/dics"  # brand*.dic and product*.dic, one word per line
# English product titles with attribute-value pairs (Amazon OA-Mine, AliExpress AE-110K)
OAMINE_TRAIN = "oamine_attribute_values/train.jsonl"
OAMINE_TEST = "oamine_attribute_values/test.jsonl"
AE110K_TRAIN = "ae110k_attribute_values/train.jsonl"
# JD fashion sentences with tagged attribute values (JAVE)
JAVE_FASHION_TRAIN = "jave_jd_fashion_attributes_sample/jdai.jave.fashion.train.sample"
# Taobao customer-service dialogues (ECD): response selection
ECD_DIALOGUES = "ecd_taobao_dialogue_sample"
ECD_TRAIN = f"{ECD_DIALOGUES}/train"
ECD_TEST = f"{ECD_DIALOGUES}/test.first50contexts"
# English product questions: ePQA (with written answers) and Amazon appliance Q/A (McAuley et al.)
EPQA_DEV = "amazon_contextual_pqa/ePQA/dev.csv"
APPLIANCES_QA = "amazon_qa_appliances/qa_Appliances.sample.json"
# Real product photos: Grocery Store dataset (MIT; its catalog images in ICONIC) and ABO samples (CC BY 4.0)
GROCERY = "grocery_store_products"
GROCERY_ICONIC = "iconic-images-and-descriptions"  # inside GROCERY
ABO = "abo_product_samples"


def provenance(relative: str | PurePath, line: int | None = None) -> str:
    """How a record cites its origin: 'shared/data/<relative path>', with '#L<line>' when a line is given."""
    cited = f"{PROVENANCE_PREFIX}{PurePath(relative).as_posix()}"
    return cited if line is None else f"{cited}#L{line}"
