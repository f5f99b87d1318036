"""Chinese-English glossary of the seed texts' terms, with where each becomes an analysis.

The four seed texts (see the concept map in notebook 00) are written in Chinese;
the first, *Misconceptions of CRM and countermeasures*, in traditional characters,
the other three in simplified ones. ``glossary()`` lists their key terms in the
form in which they appear, the English used for the idea in the CRM and marketing
literature, the concept id (C1-C30), the notebook section that shows it and the
library function that computes it.
"""

from __future__ import annotations

import pandas as pd

from .errors import CRMDataError

__all__ = ["glossary", "SEED_TITLES"]

#: Seed ids and their titles (English / original), as cited in the notebooks.
SEED_TITLES = {
    "000": "Misconceptions of CRM and countermeasures (客户关系管理的误区与对策)",
    "001": "Five steps to cultivate customer loyalty (客户管理培养客户忠诚五个步骤)",
    "002": "Dancing to the customer's steps (迎合客户的舞步)",
    "003": "CRM goals: more, longer, deeper (更多、更久、更深)",
}

_NB00 = "00_overview §1"  # the concept map: ideas the package cites but does not compute
_NB01 = "01_loyalty_vs_retention"
_NB02 = "02_customer_lifetime_value"
_NB03 = "03_retention_curves"
_NB04 = "04_profit_contribution_segments"
_NB05 = "05_churn_categories_winback"
_NB06 = "06_satisfaction_drivers"
_NB07 = "07_more_longer_deeper"

# (Chinese as written in the seed, English term of the field, concept id, seed id,
#  notebook section, library function or None). Terms, not sentences: the texts are
#  cited by title and paraphrased elsewhere.
_TERMS: list[tuple[str, str, str, str, str, str | None]] = [
    # 000 Misconceptions of CRM and countermeasures (traditional characters)
    ("客戶關系管理", "customer relationship management (CRM)", "C2", "000", f"{_NB01} §3", "rfm_segments"),
    ("客戶保持", "customer retention", "C1", "000", f"{_NB01} §1", "behavioural_loyalty"),
    ("客戶保持度", "retention rate", "C1", "000", f"{_NB03} §3", "cohort_retention"),
    ("客戶忠誠", "customer loyalty", "C1", "000", f"{_NB01} §1", "loyalty_index"),
    ("心理傾向", "attitudinal disposition (relative attitude)", "C1", "000", f"{_NB01} §1",
     "dick_basu_segments"),
    ("重復購買", "repeat purchase (repeat patronage)", "C1", "000", f"{_NB01} §1", "behavioural_loyalty"),
    ("采購單上的份額", "share of wallet", "C1", "000", f"{_NB01} §1", "behavioural_loyalty"),
    ("CRM軟件", "CRM software (behaviour-only segmentation)", "C2", "000", f"{_NB01} §3", "segment_agreement"),
    ("情感聯系", "emotional bond", "C2", "000", f"{_NB01} §3", "join_survey_behaviour"),
    ("頻數營銷", "frequency marketing", "C3", "000", f"{_NB01} §4", "simulate_lock_in"),
    ("積分", "loyalty points scheme", "C3", "000", f"{_NB01} §4", "simulate_lock_in"),
    ("退出壁壘", "exit barrier (switching cost)", "C3", "000", f"{_NB03} §2", "period_hazard"),
    ("鎖定客戶", "customer lock-in", "C3", "000", f"{_NB01} §4", "simulate_lock_in"),
    ("客戶流失", "customer defection (churn)", "C3", "000", f"{_NB03} §2", "churn_by_group"),
    ("持續交易", "repeat transactions (habitual buying)", "C4", "000", f"{_NB01} §4", "behavioural_loyalty"),
    ("省時、方便", "time saving and convenience", "C4", "000", f"{_NB01} §4", None),
    ("網上購物", "online shopping", "C5", "000", _NB00, None),
    ("雙向", "two-way (mutually recognised) relationship", "C6", "000", _NB00, None),
    ("從客戶的角度", "relationship defined from the customer's side", "C6", "000", _NB00, None),
    ("客戶滿意度", "customer satisfaction", "C7", "000", f"{_NB06} §2", "driver_importance"),
    ("影響因素", "satisfaction drivers (key-driver analysis)", "C7", "000", f"{_NB06} §2",
     "driver_importance"),
    ("午餐", "lunch occasion (context of use)", "C7", "000", f"{_NB06} §3", "compare_contexts"),
    ("晚餐", "dinner occasion (context of use)", "C7", "000", f"{_NB06} §3", "compare_contexts"),
    ("滿意的員工", "satisfied employees (service-profit chain)", "C7", "000", f"{_NB06} §8",
     "service_profit_chain"),
    ("高層領導", "top management", "C8", "000", _NB00, None),
    ("購物券", "gift voucher", "C8", "000", _NB00, None),
    # 001 Five steps to cultivate customer loyalty (simplified)
    ("培养客户忠诚", "building customer loyalty", "C10", "001", f"{_NB01} §2", "loyalty_index"),
    ("客户忠诚度", "loyalty level (loyalty index)", "C10", "001", f"{_NB01} §2", "loyalty_index"),
    ("总体满意度", "overall satisfaction", "C10", "001", f"{_NB01} §2", "loyalty_index"),
    ("主动性", "initiative to maintain the relationship", "C10", "001", f"{_NB01} §2", "loyalty_index"),
    ("重复购买者", "repurchase intention", "C10", "001", f"{_NB01} §2", "loyalty_index"),
    ("推荐公司的意愿", "willingness to recommend", "C10", "001", f"{_NB06} §9", "nps"),
    ("抵抗力", "resistance to competitors' offers", "C10", "001", f"{_NB01} §2", "loyalty_index"),
    ("测评", "loyalty measurement (scale reliability)", "C10", "001", f"{_NB01} §2", "cronbach_alpha"),
    ("模糊的目标", "vague goals", "C9", "001", _NB00, None),
    ("错误的假设", "wrong assumptions", "C9", "001", _NB00, None),
    ("过分依赖市场营销", "over-reliance on marketing", "C9", "001", _NB00, None),
    ("没有诚意的承诺", "insincere promises", "C9", "001", _NB00, None),
    ("客户取向", "customer orientation (what the customer attends to)", "C11", "001", f"{_NB06} §4",
     "group_importance"),
    ("价值、系统和人", "value, systems and people", "C11", "001", f"{_NB06} §4", "group_importance"),
    ("雇员缺乏培训", "untrained employees (a systems failure)", "C11", "001", f"{_NB06} §4",
     "group_importance"),
    ("排长队", "queues", "C11", "001", f"{_NB06} §4", "group_importance"),
    ("说话刻板", "stiff speech (a people failure)", "C11", "001", f"{_NB06} §4", "group_importance"),
    ("投诉", "complaint", "C12", "001", f"{_NB05} §4", "churn_by_group"),
    ("安抚不满的客户", "service recovery for dissatisfied customers", "C12", "001", f"{_NB05} §5",
     "complaint_cost"),
    ("口碑", "word of mouth", "C12", "001", f"{_NB05} §5", "complaint_cost"),
    ("没能完全解决的需求", "needs not fully met", "C13", "001", _NB00, None),
    ("未被解决的需求", "unmet needs", "C13", "001", _NB00, None),
    ("未被发现的需求", "undiscovered (latent) needs", "C13", "001", _NB00, None),
    ("超出客户预期", "exceeding expectations (delighters)", "C20", "001", f"{_NB06} §6",
     "asymmetric_effects"),
    ("惊喜", "customer delight", "C20", "001", f"{_NB06} §6", "asymmetric_effects"),
    # 002 Dancing to the customer's steps (simplified)
    ("谁是你最好的客户", "who is your best customer?", "C14", "002", f"{_NB04} §1", "customer_profitability"),
    ("利润贡献", "profit contribution", "C14", "002", f"{_NB04} §3", "customer_profitability"),
    ("交易活跃", "actively trading (high activity)", "C14", "002", f"{_NB04} §5", "profit_by_segment"),
    ("资产中等", "mid-asset tier", "C14", "002", f"{_NB04} §5", "profit_by_segment"),
    ("议价能力", "bargaining power (cost to serve)", "C14", "002", f"{_NB04} §4", "whale_curve"),
    ("客户资产", "customer assets (customer equity)", "C15", "002", f"{_NB02} §6", "customer_equity"),
    ("客户组合", "customer portfolio", "C15", "002", f"{_NB02} §6", "customer_equity"),
    ("客户价值", "customer value (customer lifetime value)", "C15", "002", f"{_NB02} §6",
     "customer_lifetime_value"),
    ("客户满意度调查", "customer satisfaction survey", "C16", "002", f"{_NB06} §10", "compare_rankings"),
    ("后视镜", "rear-view mirror (backward-looking measures)", "C16", "002", f"{_NB02} §7",
     "compare_rankings"),
    ("面向未来", "forward-looking management", "C16", "002", f"{_NB02} §7", "customer_lifetime_value"),
    ("过度营销", "over-selling", "C17", "002", f"{_NB04} §10", "simulate_fee_policy"),
    ("销售业绩指标", "sales targets", "C17", "002", f"{_NB04} §10", "simulate_fee_policy"),
    ("惩罚性账户管理费", "punitive account fee (small-balance fee)", "C17", "002", f"{_NB04} §10",
     "simulate_fee_policy"),
    ("客户俱乐部", "customer club (loyalty club)", "C18", "002", _NB00, None),
    ("核心能力", "core capabilities", "C19", "002", _NB00, None),
    ("建立客户联络", "building customer contact", "C19", "002", _NB00, None),
    ("营造客户体验", "creating the customer experience", "C19", "002", _NB00, None),
    ("经营客户价值", "managing customer value", "C19", "002", f"{_NB02} §6", "customer_lifetime_value"),
    ("空中生日", "in-flight birthday (a delight story)", "C20", "002", f"{_NB06} §6", "asymmetric_effects"),
    ("社会化媒体", "social media", "C21", "002", f"{_NB05} §5", "complaint_cost"),
    # 003 CRM goals: more, longer, deeper (simplified)
    ("更多", "more (more relationships)", "C22", "003", f"{_NB07} §6", "lever_simulation"),
    ("更久", "longer (longer relationships)", "C22", "003", f"{_NB07} §6", "lever_simulation"),
    ("更深", "deeper (deeper relationships)", "C22", "003", f"{_NB07} §6", "lever_simulation"),
    ("生命周期", "relationship lifetime (customer life cycle)", "C22", "003", f"{_NB07} §6",
     "expected_lifetime"),
    ("圆柱", "relationship cylinder (height = lifetime, thickness = quality)", "C22", "003", "00_overview §8",
     "plotting.plot_relationship_cylinders"),
    ("获取新客户", "customer acquisition", "C23", "003", f"{_NB03} §5", "acquisition_ratio_needed"),
    ("潜在客户", "prospects", "C23", "003", _NB00, None),
    ("数据挖掘", "data mining", "C23", "003", f"{_NB07} §2", "mine_rules"),
    ("赢返", "win-back", "C24", "003", f"{_NB05} §2", "winback_priority"),
    ("流失客户", "lost (defected) customers", "C24", "003", f"{_NB05} §1", "classify_defection"),
    ("客户叛逃", "customer defection", "C24", "003", f"{_NB05} §1", "classify_defection"),
    ("重生", "second-life (rebirth) value of a won-back customer", "C24", "003", f"{_NB05} §2",
     "rebirth_clv"),
    ("主动抛弃的客户", "customers deliberately dropped by the firm", "C24", "003", f"{_NB05} §1",
     "defection_categories"),
    ("非主动抛弃的客户", "customers lost despite the firm's efforts", "C24", "003", f"{_NB05} §1",
     "defection_categories"),
    ("吸引走的客户", "customers lured by a competitor's better offer", "C24", "003",
     f"{_NB05} §1", "defection_categories"),
    ("低价寻求型客户", "price seekers", "C24", "003", f"{_NB05} §1", "defection_categories"),
    ("条件丧失型", "customers lost through changed circumstances", "C24", "003", f"{_NB05} §1",
     "defection_categories"),
    ("细分市场", "market segment (new segments)", "C25", "003", _NB00, None),
    ("有规律地重复购买", "regular repeat purchase", "C26", "003", f"{_NB01} §2", "loyalty_traits"),
    ("多种产品和服务", "buying several of the firm's products", "C26", "003", f"{_NB01} §2",
     "loyalty_traits"),
    ("免疫力", "immunity to competitors' lures", "C26", "003", f"{_NB01} §2", "loyalty_traits"),
    ("偶尔的失误", "tolerance of occasional mistakes", "C26", "003", f"{_NB01} §2", "loyalty_traits"),
    ("客户挽留", "customer retention (keeping customers)", "C27", "003", f"{_NB03} §5",
     "retention_value_sensitivity"),
    ("客户挽留率", "retention rate", "C27", "003", f"{_NB03} §5", "retention_value_sensitivity"),
    ("值得保留的客户", "customers worth keeping", "C28", "003", f"{_NB05} §3", "at_risk_split"),
    ("潜在危险的客户", "potentially dangerous customers", "C28", "003", f"{_NB05} §3", "at_risk_split"),
    ("服务挽救", "service recovery", "C28", "003", f"{_NB05} §3", "at_risk_split"),
    ("交叉销售", "cross-selling", "C29", "003", f"{_NB07} §3", "cross_sell_candidates"),
    ("追加销售", "up-selling", "C29", "003", f"{_NB07} §4", "category_migration"),
    ("购买升级", "trading up (purchase upgrade)", "C29", "003", f"{_NB07} §4", "price_tiers"),
    ("啤酒和婴儿尿布", "beer and diapers (association rules)", "C29", "003", f"{_NB07} §2", "mine_rules"),
    ("关系质量", "relationship quality (depth)", "C30", "003", f"{_NB07} §5", "breadth_retention"),
    ("分散关系", "spreading relationship risk", "C30", "003", f"{_NB07} §5", "breadth_retention"),
    ("相互影响", "interaction of the growth directions", "C30", "003", f"{_NB07} §6", "lever_simulation"),
]

_COLUMNS = ["chinese", "script", "english", "concept", "seed", "notebook", "function"]


def glossary(*, concept: str | None = None, seed: str | None = None) -> pd.DataFrame:
    """Chinese-English glossary of the seed texts, mapped to concepts, notebooks and functions.

    Parameters
    ----------
    concept : str, optional
        Keep the terms of one concept id ("C1" ... "C30").
    seed : str, optional
        Keep the terms of one seed text ("000" ... "003", see ``SEED_TITLES``).

    Returns
    -------
    DataFrame
        One row per term: ``chinese`` (as written in the seed text), ``script``
        ("traditional" for seed 000, else "simplified"), ``english`` (the term used
        in the field), ``concept`` (id of the concept map), ``seed``, ``notebook``
        (notebook and section; the concept map of notebook 00 for ideas the package
        cites but does not compute) and ``function`` (name in ``crm_analysis``, or
        None).

    Raises
    ------
    CRMDataError
        If ``concept`` or ``seed`` names none of the terms.

    Examples
    --------
    >>> g = glossary()
    >>> len(g) >= 60
    True
    >>> glossary(concept="C28")[["chinese", "english"]].iloc[0].tolist()
    ['值得保留的客户', 'customers worth keeping']
    """
    table = pd.DataFrame(_TERMS, columns=[c for c in _COLUMNS if c != "script"])
    table["function"] = pd.Series([t[-1] for t in _TERMS], dtype=object)  # None stays None, not NaN
    table.insert(1, "script", table["seed"].map(lambda s: "traditional" if s == "000" else "simplified"))
    for name, value, known in (("concept", concept, table["concept"]), ("seed", seed, table["seed"])):
        if value is None:
            continue
        if value not in set(known):
            raise CRMDataError(f"glossary: {name} {value!r} names no term; known: "
                               f"{', '.join(sorted(set(known), key=lambda v: (len(v), v)))}")
        table = table[known == value]
    return table.reset_index(drop=True)
