"""One catalogue of the report's and the what-if panels' words, English and Chinese side by side.

Every sentence, heading and column header that ``crm-analysis report`` writes has an id
here, with its English and its simplified Chinese; :func:`message` renders one in the
language of ``--lang`` (``"en"``, ``"zh"`` or ``"zh+en"``). The analysis
(:func:`crm_analysis.analyse_client`) keeps its notes as :class:`Message` objects: plain
English strings that remember their id and figures, so the report can say them again in
Chinese with the same numbers. The Chinese names of the ideas are the ones of
:func:`crm_analysis.glossary` (客户资产, 值得保留的客户, 潜在危险的客户, 赢返, 交叉销售 ...;
:data:`GLOSSARY_TERMS` says which), so report, glossary and notebooks use one vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import CRMDataError

__all__ = ["MESSAGES", "GLOSSARY_TERMS", "REPORT_LANGUAGES", "Message", "message", "localise",
           "localise_report"]

#: Languages of the report's text: English, simplified Chinese, or Chinese with the English.
REPORT_LANGUAGES = ("en", "zh", "zh+en")

#: The glossary terms the catalogue's Chinese uses: English of the glossary -> Chinese as
#: the seed texts write it (``tests/test_messages.py`` checks each pair against ``glossary()``).
GLOSSARY_TERMS: dict[str, str] = {
    "customer assets (customer equity)": "客户资产",
    "customers worth keeping": "值得保留的客户",
    "potentially dangerous customers": "潜在危险的客户",
    "win-back": "赢返",
    "cross-selling": "交叉销售",
    "up-selling": "追加销售",
    "customer club (loyalty club)": "客户俱乐部",
    "profit contribution": "利润贡献",
    "lost (defected) customers": "流失客户",
    "customer satisfaction survey": "客户满意度调查",
    "overall satisfaction": "总体满意度",
    "loyalty level (loyalty index)": "客户忠诚度",
    "service recovery": "服务挽救",
}
_EQUITY, _KEEP, _DANGER = "客户资产", "值得保留的客户", "潜在危险的客户"
_WINBACK, _CROSS, _UP, _CLUB = "赢返", "交叉销售", "追加销售", "客户俱乐部"
_PROFIT, _LOST, _SURVEY, _OVERALL = "利润贡献", "流失客户", "客户满意度调查", "总体满意度"
_LOYALTY, _RECOVERY = "客户忠诚度", "服务挽救"

# (id, English, Chinese). Ids: "h." headings, "col." table columns, "seg."/"risk."/"check."
# values in tables, "value." the CLV basis, "note."/"choice." the analysis' sentences, "txt."
# the report's other sentences, "whatif." the what-if panels. Parameters in braces are
# filled with str.format, so both languages show the same figures in the same format.
_CATALOGUE: list[tuple[str, str, str]] = [
    # ---- headings and fixed paragraphs of the report template
    ("h.title", "# Customer-relationship report", "# 客户关系分析报告"),
    ("txt.intro",
     "Prepared with crm-analysis from the client's transaction file. Figures are in the currency "
     "of the file; time is measured in weeks (days / 7). The recommended actions come first; the "
     "evidence follows.",
     "本报告由 crm-analysis 根据客户的交易文件生成。金额单位与文件相同；时间以周计（天数 / 7）。"
     "先给出建议行动，再给出依据。"),
    ("h.summary", "## 1. Summary and recommended actions", "## 1. 摘要与建议行动"),
    ("txt.reading_actions",
     "**Reading the actions.** Customers not at risk get the action of their RFM segment (reward "
     "champions, deepen loyal customers, onboard new ones). At-risk customers are split as the "
     "texts advise: those with a long record and loyal traits are worth a personal effort; the "
     "others need a diagnosis of what went wrong before any offer. The rule on a customer's own "
     "purchase rhythm is applied only from three purchase days on.",
     "**如何阅读建议行动。** 没有流失风险的客户按其 RFM 细分群体采取行动（奖励冠军客户、深化忠诚客户、"
     f"引导新客户）。有流失风险的客户按文献的建议分为两类：购买记录长且有忠诚特征的是{_KEEP}，值得专人"
     f"挽留；其余的是{_DANGER}，在给出任何优惠之前先要诊断问题出在哪里。依据客户自身购买节奏的规则"
     "只用于有三个及以上购买日的客户。"),
    ("h.data", "## 2. Data and cleaning", "## 2. 数据与清洗"),
    ("h.segments", "## 3. RFM segments (behaviour only)", "## 3. RFM 细分群体（仅基于购买行为）"),
    ("h.model", "## 4. Which model, and customer lifetime value", "## 4. 模型选择与客户终身价值"),
    ("h.profit", "## 5. Profit and the whale curve", "## 5. 利润与鲸鱼曲线"),
    ("h.cohorts", "## 6. Retention by acquisition cohort", "## 6. 按获客同期群的客户保持"),
    ("h.risk", "## 7. Customers at risk", "## 7. 有流失风险的客户"),
    ("h.survey", "## 8. Survey: satisfaction drivers and loyalty",
     f"## 8. {_SURVEY}：满意度驱动因素与忠诚"),
    ("h.method", "## How this report was made", "## 本报告的方法"),
    ("txt.method",
     "BG/NBD (Fader, Hardie & Lee 2005) and Pareto/NBD (Schmittlein, Morrison & Colombo 1987) for "
     "repeat purchasing and P(alive), compared on a holdout period when one is given and by BIC "
     "otherwise; Gamma-Gamma for spend per order; CLV discounted weekly over one year (an annual "
     "rate $d$ becomes the weekly rate $d_w = (1 + d)^{{1/52}} - 1$); RFM quintile scores; at-risk "
     "rule: P(alive) below 0.5, or (from three purchase days on) a gap since the last purchase over "
     "three times the customer's own rhythm. Per-customer results: `customer_scores.csv` (text "
     "cells that could start a spreadsheet formula are prefixed with an apostrophe); the analysis "
     "itself is in the `analysis/` folder (Parquet tables and `analysis.json`).",
     "重复购买与 P(alive) 用 BG/NBD（Fader, Hardie & Lee 2005）和 Pareto/NBD（Schmittlein, Morrison "
     "& Colombo 1987）模型；给定验证期时按验证期预测比较两者，否则按 BIC 比较；每单消费额用 Gamma-Gamma "
     "模型；客户终身价值（CLV）按周折现一年（年折现率 $d$ 换算为周折现率 $d_w = (1 + d)^{{1/52}} - 1$）；"
     "RFM 按五分位打分；流失风险规则：P(alive) 低于 0.5，或（三个及以上购买日时）距上次购买的间隔超过"
     "客户自身购买节奏的三倍。逐个客户的结果见 `customer_scores.csv`（可能被电子表格当作公式的文本"
     "单元格前加了撇号）；分析本身保存在 `analysis/` 文件夹（Parquet 表与 `analysis.json`）。"),
    # ---- what CLV and equity measure
    ("value.revenue", "revenue, not profit", "收入，非利润"),
    ("value.profit", "profit at a {margin:.0%} gross margin", "按 {margin:.0%} 毛利率计的利润"),
    # ---- section 1: summary bullets
    ("txt.customers", "- **{n_customers:,} customers**, {n_rows:,} transaction rows "
     "({n_dropped:,} dropped in cleaning).",
     "- **{n_customers:,} 位客户**，{n_rows:,} 行交易记录（清洗中删除 {n_dropped:,} 行）。"),
    ("txt.equity", "- **Customer equity ({value})**: the discounted value of the next {horizon} "
     "weeks at {rate:.0%} a year is **{equity}**; the top 10% of customers hold {top10:.0%} of it.{interval}",
     f"- **{_EQUITY}（{{value}}）**：未来 {{horizon}} 周按年折现率 {{rate:.0%}} 折现的价值为 "
     "**{equity}**；前 10% 的客户占其中的 {top10:.0%}。{interval}"),
    ("txt.equity_interval", " Given the uncertainty of the fitted parameters, a 90% interval is "
     "{lower} to {upper}.", "考虑到拟合参数的不确定性，其 90% 区间为 {lower} 至 {upper}。"),
    ("txt.equity_no_interval", " (No interval: the model's standard errors are undefined.)",
     "（没有区间：模型的标准误无定义。）"),
    ("txt.model_line", "- **Model**: {model}. It implies that **{share_left:.0%} of all customers "
     "have left** (1 - mean P(alive)); of the {n_repeat:,} customers who bought more than once, "
     "{inactive:.0%} are probably no longer active (P(alive) < 0.5).",
     f"- **模型**：{{model}}。据此推算 **{{share_left:.0%}} 的客户已成为{_LOST}**（1 - 平均 P(alive)）；"
     "在 {n_repeat:,} 位购买过不止一次的客户中，{inactive:.0%} 很可能已不再活跃（P(alive) < 0.5）。"),
    ("txt.at_risk_line", "- At risk: **{worth_keeping:,} worth keeping** (many purchases, loyal "
     "traits) and **{dangerous:,} potentially dangerous**.",
     f"- 有流失风险：**{{worth_keeping:,}} 位{_KEEP}**（购买多、有忠诚特征）和 "
     f"**{{dangerous:,}} 位{_DANGER}**。"),
    ("txt.basis_no_margin", "revenue minus cost to serve, no margin given",
     "收入减服务成本，未给出毛利率"),
    ("txt.basis_margin", "at a {margin:.0%} gross margin", "按 {margin:.0%} 毛利率"),
    ("txt.profit_line", "- Profit over the observed period after a cost to serve of {cost:,.2f} "
     "per order ({basis}): **{profit}**; {loss_share:.0%} of customers lose money.",
     f"- 扣除每单 {{cost:,.2f}} 的服务成本后，观察期内的{_PROFIT}（{{basis}}）："
     "**{profit}**；{loss_share:.0%} 的客户带来亏损。"),
    ("txt.no_margin", "- No gross margin was given (`--margin`): every CLV and equity figure here "
     "is **revenue, not profit**.",
     f"- 未给出毛利率（`--margin`）：本报告中所有客户终身价值和{_EQUITY}的数字都是**收入，而非利润**。"),
    # ---- table columns
    ("col.customers", "customers", "客户数"),
    ("col.clv", "CLV ({value})", "客户终身价值（{value}）"),
    ("col.profit", "profit", "利润"),
    ("col.share_of_customers", "share_of_customers", "客户占比"),
    ("col.recommended_action", "recommended_action", "建议行动"),
    ("col.segment", "segment", "细分群体"),
    ("col.revenue", "revenue", "收入"),
    ("col.p_alive", "p_alive", "P(alive)"),
    ("col.customer_share", "customer_share", "客户占比"),
    ("col.revenue_share", "revenue_share", "收入占比"),
    ("col.clv_share", "clv_share", "客户终身价值占比"),
    ("col.model", "model", "模型"),
    ("col.fitted", "fitted form", "拟合形式"),
    ("col.parameters", "parameters (whole log)", "参数（全部记录）"),
    ("col.log_likelihood", "log-likelihood", "对数似然"),
    ("col.BIC", "BIC", "BIC"),
    ("col.share_left", "implied share who have left", "推算的流失客户占比"),
    ("col.calibration_parameters", "parameters (calibration period)", "参数（校准期）"),
    ("col.holdout_error_pct", "holdout error (%)", "验证期误差 (%)"),
    ("col.chosen", "chosen", "选用"),
    ("col.customer_id", "customer_id", "客户编号"),
    ("col.frequency", "frequency", "重复购买次数"),
    ("col.recency", "recency", "最近购买（周）"),
    ("col.T", "T", "T（周）"),
    ("col.at_risk", "at_risk", "流失风险"),
    ("col.actual_total", "actual_total", "实际总数"),
    ("col.predicted_total", "predicted_total", "预测总数"),
    ("col.total_error_pct", "total_error_pct", "总误差 (%)"),
    ("col.mae", "mae", "平均绝对误差"),
    ("col.rmse", "rmse", "均方根误差"),
    ("col.correlation", "correlation", "相关系数"),
    ("col.check", "check", "检查"),
    ("col.column", "column", "列"),
    ("col.rows", "rows", "行数"),
    ("col.action", "action", "处理"),
    ("col.examples", "examples", "示例行"),
    ("col.nps", "nps", "净推荐值"),
    ("col.n", "n", "人数"),
    ("col.promoters", "promoters", "推荐者"),
    ("col.passives", "passives", "被动者"),
    ("col.detractors", "detractors", "贬损者"),
    ("col.ci_low", "ci_low", "区间下限"),
    ("col.ci_high", "ci_high", "区间上限"),
    ("col.se", "se", "标准误"),
    # ---- values shown in the tables
    ("seg.champions", "champions", "冠军客户"),
    ("seg.loyal", "loyal", "忠诚客户"),
    ("seg.potential_loyalists", "potential loyalists", "潜在忠诚客户"),
    ("seg.new_customers", "new customers", "新客户"),
    ("seg.need_attention", "need attention", "需要关注"),
    ("seg.cant_lose", "can't lose them", "不能失去的客户"),
    ("seg.at_risk", "at risk", "有流失风险"),
    ("seg.about_to_sleep", "about to sleep", "即将沉睡"),
    ("seg.hibernating", "hibernating", "沉睡客户"),
    ("risk.worth_keeping", "worth keeping", _KEEP),
    ("risk.potentially_dangerous", "potentially dangerous", _DANGER),
    ("risk.not_at_risk", "not at risk", "无流失风险"),
    ("action.champions",
     "Reward and involve: early access, referral invitations, cross-sell the next category.",
     f"奖励并让其参与：抢先体验、推荐邀请，{_CROSS}下一个品类。"),
    ("action.loyal", "Deepen: cross-sell and up-sell; invite to the customer club.",
     f"深化关系：{_CROSS}与{_UP}；邀请加入{_CLUB}。"),
    ("action.potential_loyalists", "Encourage the second and third purchase with relevant offers.",
     "用相关的优惠鼓励第二次、第三次购买。"),
    ("action.new_customers", "Onboard: welcome contact, make the second purchase easy.",
     "引导新客户：欢迎联系，让第二次购买更容易。"),
    ("action.need_attention", "Re-engage with a personal offer before they slip.",
     "在客户流失之前，用个性化的优惠重新建立联系。"),
    ("action.cant_lose", "Win back urgently: senior contact and a tailored offer.",
     f"紧急{_WINBACK}：由高层联系并提供量身定制的优惠。"),
    ("action.at_risk", "Win back: personal contact; find and fix what went wrong.",
     f"{_WINBACK}：专人联系；找出并解决出问题的地方。"),
    ("action.about_to_sleep", "Reactivate with a limited-time offer; ask why they buy less.",
     "用限时优惠重新激活；询问他们为什么买得少了。"),
    ("action.hibernating", "Low-cost reactivation only (e-mail); do not discount deeply.",
     "只做低成本的重新激活（电子邮件）；不要大幅打折。"),
    ("action.keep_serving", "Keep serving.", "继续服务。"),
    ("action.worth_keeping", "Deepen the relationship: offer higher-value products or service and "
     "loyalty benefits.", "深化关系：提供更高价值的产品或服务以及忠诚奖励。"),
    ("action.potentially_dangerous", "Diagnose: contact the customer, find the cause of "
     "dissatisfaction, recover the service.",
     f"诊断：联系客户，找出不满的原因，进行{_RECOVERY}。"),
    ("action.not_at_risk", "No retention action; keep serving.", "无需挽留行动；继续服务。"),
    ("value.yes", "True", "是"),
    ("value.no", "False", "否"),
    ("model.nbd_limit", "{model} (NBD limit)", "{model}（NBD 极限形式）"),
    ("model.penalised", "{model} (penalised, {penalizer})", "{model}（带惩罚项 {penalizer}）"),
    ("note.zero_code",
     "Survey column '{column}' holds 0 in {n} of {total} answers while its other answers run 1-{k}: "
     "if 0 means 'not applicable', run with --survey-missing 0; else declare --survey-scale 0-{k}.",
     "问卷列“{column}”在 {total} 个回答中有 {n} 个为 0，而其他回答在 1-{k} 之间：如果 0 表示“不适用”，"
     "请加上 --survey-missing 0 运行；否则请声明 --survey-scale 0-{k}。"),
    ("note.fit_no_dropout",
     "{model}: no sign of customers leaving in these data; the model reduces to its no-dropout NBD "
     "limit (P(alive) = 1: every customer is treated as active).",
     "{model}：数据中没有客户流失的迹象；模型退化为无流失的 NBD 极限形式（P(alive) = 1：所有客户都视为仍然活跃）。"),
    ("note.fit_flat",
     "{model}: the likelihood is flat around the estimate, so its parameters are poorly identified "
     "(standard errors {se}).",
     "{model}：似然函数在估计值附近很平坦，参数难以识别（标准误 {se}）。"),
    ("note.fit_spend_correlated",
     "Gamma-Gamma: purchase frequency and average spend are correlated (r = {corr}); the model assumes "
     "they are independent, so expected spend and CLV are biased.",
     "Gamma-Gamma：购买频次与平均消费额相关（r = {corr}）；该模型假定二者独立，因此预期消费额和 CLV 有偏。"),
    ("check.dropped", "dropped", "已删除"),
    ("check.kept", "kept", "已保留"),
    ("check.missing_customer_id", "missing customer id", "缺少客户编号"),
    ("check.exact_duplicate_row", "exact duplicate row", "完全重复的行"),
    ("check.zero_amount", "zero amount", "金额为零"),
    ("check.excluded_item", "excluded item", "排除的商品"),
    ("check.negative_amount", "negative amount (return or refund)", "负金额（退货或退款）"),
    ("check.return_netted", "return netted against the customer's purchases", "退货已与客户的购买相抵"),
    ("check.return_before", "return of a purchase before the window", "观察期之前购买的退货"),
    ("check.fully_returned", "purchase fully returned", "购买已全部退货"),
    ("check.partly_returned", "purchase partly returned (amount reduced)", "购买部分退货（金额已减少）"),
    ("check.missing_date", "missing date", "缺少日期"),
    ("check.unparseable_date", "unparseable date", "无法解析的日期"),
    ("check.implausible_date", "implausible date", "不合理的日期"),
    ("check.date_after_end", "date after observation end", "日期晚于观察期结束"),
    ("check.non_finite_amount", "non-finite amount", "金额非有限值"),
    ("check.cancel_not_negative", "cancellation with a non-negative amount", "取消订单的金额不为负"),
    ("check.negative_not_cancel", "negative amount not marked as a cancellation", "负金额未标记为取消订单"),
    ("check.missing_col", "missing {col}", "缺少 {col}"),
    ("check.boolean_col", "boolean {col}", "{col} 为布尔值"),
    ("check.non_numeric_col", "non-numeric {col}", "{col} 不是数字"),
    ("check.non_finite_col", "non-finite {col}", "{col} 非有限值"),
    # ---- section 2: data and cleaning
    ("txt.clean_counts", "{n_input:,} rows in, {n_kept:,} rows kept, {n_dropped:,} dropped.",
     "输入 {n_input:,} 行，保留 {n_kept:,} 行，删除 {n_dropped:,} 行。"),
    ("txt.clean_none", "No problems found.", "未发现问题。"),
    ("txt.clean_zero", "Zero amounts: {n:,} rows kept: each counts as a purchase occasion in "
     "frequency and recency, adds nothing to revenue and lowers the mean spend.",
     "金额为零：保留 {n:,} 行；每行在频次和最近购买中算作一次购买，不增加收入，并拉低平均消费额。"),
    ("txt.period", "Period: {first} to {last}; model time unit: weeks (days / 7).",
     "时间范围：{first} 至 {last}；模型的时间单位：周（天数 / 7）。"),
    ("txt.note", "note:", "说明："),
    # ---- notes of the analysis (report.analyse_client)
    ("note.penalised", "The unpenalised {model} fit did not converge; refitted with penalizer 0.001.",
     "{model} 的无惩罚拟合没有收敛；已用惩罚项 0.001 重新拟合。"),
    ("note.model_left_out", "{model} could not be fitted {where} ({reason}); it is left out of the "
     "comparison.", "{model} 无法{where}拟合（{reason}）；不参与比较。"),
    ("note.where_whole", "on the whole log", "在全部记录上"),
    ("note.where_calibration", "on the calibration period", "在校准期上"),
    ("note.no_spend_model", "No Gamma-Gamma spend model ({reason}); CLV uses the mean amount per "
     "order for every customer.",
     "没有 Gamma-Gamma 消费额模型（{reason}）；客户终身价值对每位客户都使用每单平均金额。"),
    ("note.holdout_off", "The chosen model's holdout forecast is off by {err:+.1f}% in total (more "
     "than ±{limit:g}%): treat expected purchases and CLV as rough orders of magnitude, and prefer "
     "the ranking of customers to the amounts.",
     "所选模型对验证期的总预测偏差为 {err:+.1f}%（超过 ±{limit:g}%）：预期购买次数和客户终身价值只能"
     "当作大致的数量级，客户的排序比金额更可信。"),
    ("note.no_interval", "No interval for customer equity: {reason}", f"{_EQUITY}没有区间：{{reason}}"),
    ("note.interval_sample", "The 90% interval of customer equity comes from {draws} parameter draws "
     "on a seeded sample of {sample:,} of the {n:,} customers, scaled to the whole base by the ratio "
     "of its total to the sample's.",
     f"{_EQUITY}的 90% 区间来自对 {{n:,}} 位客户中一个固定种子的 {{sample:,}} 位客户样本所做的 {{draws}} 次"
     "参数抽样，再按全体与样本总额之比换算到全体客户。"),
    ("note.interval_zero", "No interval for customer equity: the sampled customers' CLV is zero.",
     f"{_EQUITY}没有区间：抽样客户的客户终身价值为零。"),
    ("note.cohort_lines", "Retention by cohort counts purchase lines only: {n:,} lines with a zero "
     "or negative amount (returns, cancellations) do not make a month 'buying'.",
     "按同期群的客户保持只计购买行：{n:,} 行金额为零或为负（退货、取消订单），不使该月算作“有购买”。"),
    ("note.hibernating", "The model implies that only {share_left:.0%} of customers have left, yet "
     "{n:,} customers sit in the RFM segment 'hibernating'. The two do not contradict: RFM segments "
     "rank customers against each other (long silence, few purchases), while {model} finds almost "
     "no sign of dropout in these data and treats silent customers as slow buyers, not as lost ones.",
     f"模型推算只有 {{share_left:.0%}} 的客户已流失，但有 {{n:,}} 位客户处于 RFM 细分群体“沉睡客户”。"
     "两者并不矛盾：RFM 细分是客户之间的相对排序（长时间沉默、购买少），而 {model} 在这些数据中几乎"
     f"看不到客户离开的迹象，把沉默的客户当作购买缓慢的客户，而不是{_LOST}。"),
    ("note.no_scale", "No answer scale was declared (CLI --survey-scale, e.g. 1-7): the loyalty "
     "items are rescaled on the smallest standard scale holding their answers ({scales}).",
     "没有声明答题量表（命令行 --survey-scale，例如 1-7）：忠诚题项按能容纳其答案的最小标准量表换算"
     "（{scales}）。"),
    ("note.no_loyalty_index", "No loyalty index: {reason}", f"没有{_LOYALTY}指数：{{reason}}"),
    ("note.few_matched", "Only {n} surveyed customers appear in the log (20 needed): no loyalty "
     "matrix.", "只有 {n} 位受访客户出现在交易记录中（至少需要 20 位）：不做忠诚矩阵。"),
    ("choice.holdout", "{model} scores the customers: its forecast of the holdout period after "
     "{end} was the closer in total ({err:+.1f}%).",
     "由 {model} 为客户打分：它对 {end} 之后验证期的总预测更接近实际（{err:+.1f}%）。"),
    ("choice.bic", "{model} scores the customers: it has the lower BIC (the better fit for its "
     "number of parameters). Run with --calibration-end DATE to choose on a holdout forecast "
     "instead.",
     "由 {model} 为客户打分：它的 BIC 更低（相对其参数个数拟合更好）。如需按验证期预测选择模型，"
     "请加 --calibration-end DATE 运行。"),
    ("choice.nbd_limit", " {models} reduced to its no-dropout NBD limit (the data it was fitted on "
     "show no sign of customers leaving).",
     " {models} 退化为无流失的 NBD 极限形式（其拟合数据中看不到客户离开的迹象）。"),
    ("choice.none", "Both models ({models}) reduced to their no-dropout NBD limit, which is one and "
     "the same model (the data show no sign of customers leaving), so there was nothing to choose: "
     "the NBD limit scores the customers, and no customer is predicted to have left.",
     "两个模型（{models}）都退化为无流失的 NBD 极限形式，也就是同一个模型（数据中看不到客户离开的迹象），"
     "因此无需选择：由 NBD 极限形式为客户打分，没有客户被预测为已流失。"),
    # ---- section 3-8
    ("txt.model_choice", "**Model choice.** {text}", "**模型选择。** {text}"),
    ("txt.nbd_limit",
     "The NBD limit is the no-dropout form both models take when the data show no sign of "
     "customers leaving; it then treats every silent customer as a slow buyer.",
     "NBD 极限形式是数据中看不到客户离开迹象时两个模型都会取的无流失形式；此时每位沉默的客户都被当作"
     "购买缓慢的客户。"),
    ("txt.holdout", "**Holdout check.** The models were fitted on purchases up to {end} and "
     "predicted the repeat purchases after it, which they never saw.{off}",
     "**验证期检验。** 模型用 {end} 及之前的购买拟合，再预测其后从未见过的重复购买。{off}"),
    ("txt.holdout_off", " The chosen model's total is off by {err:+.1f}%, more than ±10%: read the "
     "expected purchases and CLV as rough orders of magnitude and trust the ranking of customers "
     "more than the amounts.",
     "所选模型的总数偏差为 {err:+.1f}%，超过 ±10%：预期购买次数和客户终身价值只当作大致的数量级，"
     "客户的排序比金额更可信。"),
    ("txt.no_holdout", "_No calibration end given: run with `--calibration-end DATE` for a holdout "
     "check, and the model is chosen by BIC._",
     "_未给出校准期终点：加 `--calibration-end DATE` 运行可做验证期检验；现在按 BIC 选择模型。_"),
    ("txt.whale", "Profit peaks at **{peak:.0%}** of the total with the most profitable "
     "{peak_share:.0%} of customers; {loss_share:.0%} lose money.",
     f"{_PROFIT}最高的 {{peak_share:.0%}} 客户带来总利润的 **{{peak:.0%}}**（曲线峰值）；"
     "{loss_share:.0%} 的客户带来亏损。"),
    ("txt.no_whale", "_No cost to serve given: run with `--cost-per-order X` to see profit and the "
     "whale curve._", "_未给出服务成本：加 `--cost-per-order X` 运行可查看利润与鲸鱼曲线。_"),
    ("txt.cohorts",
     "Share of each monthly cohort with a purchase in each later month (lines with a positive "
     "amount; a month of returns or cancellations only does not count). Blank cells are months "
     "after the end of the data, not zeros.",
     "每个月度同期群在之后各月有购买的客户比例（只计金额为正的行；只有退货或取消订单的月份不算）。"
     "空白单元格是数据结束之后的月份，而不是零。"),
    ("txt.n_risk", "{n:,} customers at risk; the full list with actions is in {file}.",
     "{n:,} 位客户有流失风险；带建议行动的完整名单见 {file}。"),
    ("txt.no_survey", "_No survey given: run with `--survey FILE` for drivers, NPS and the loyalty "
     "matrix._",
     f"_未给出{_SURVEY}：加 `--survey FILE` 运行可得到驱动因素、净推荐值（NPS）和忠诚矩阵。_"),
    ("txt.survey_used", "**Survey.** {n_used:,} of {n_responses:,} responses enter the driver "
     "analysis{dropped}", f"**{_SURVEY}。** {{n_responses:,}} 份答卷中有 {{n_used:,}} 份进入驱动因素分析{{dropped}}"),
    ("txt.survey_dropped", "; {n:,} left out ({reasons}).", "；{n:,} 份未纳入（{reasons}）。"),
    ("txt.survey_none_dropped", " (none left out).", "（全部纳入）。"),
    ("txt.survey_note", "**Note.** {note}", "**说明。** {note}"),
    ("txt.alpha", "Loyalty index reliability (Cronbach's alpha, raw): {alpha:.2f}",
     f"{_LOYALTY}指数的信度（Cronbach's alpha，原始值）：{{alpha:.2f}}"),
    ("txt.matched", "{n_matched:,} customers in both files; {n_survey_only:,} survey ids without "
     "transactions; {n_behaviour_only:,} customers without a survey.",
     "{n_matched:,} 位客户同时出现在两个文件中；{n_survey_only:,} 个受访者编号没有交易记录；"
     "{n_behaviour_only:,} 位客户没有参加调查。"),
    ("txt.drivers_chart", "What drives overall satisfaction (Shapley R² shares)",
     f"{_OVERALL}的驱动因素（Shapley R² 份额）"),
    # ---- the what-if panels (crm_analysis.whatif); their chart words are in plotting/_labels_zh.py
    ("whatif.base", "base case", "基准情形"),
    ("whatif.na", "n/a", "无数据"),
    ("whatif.unlimited", "unlimited horizon", "期限不限"),
    ("whatif.periods", "{n} periods", "{n} 期"),
    ("whatif.defaults", "defaults", "默认参数"),
    ("whatif.note.clv", "Illustrative assumptions, not data: {customers:,.0f} customers, base "
     "retention {retention:.0%} per period, {horizon}; margin received at the end of each period "
     "survived. Computed with crm.equity_decomposition.",
     "示意性假设，并非数据：{customers:,.0f} 位客户，基准客户保持率每期 {retention:.0%}，{horizon}；"
     "毛利在客户存续的每期期末获得。用 crm.equity_decomposition 计算。"),
    ("whatif.note.dick_basu", "{n:,} customers; 'high' means strictly above the cut. Computed with "
     "crm.dick_basu_segments.",
     "{n:,} 位客户；“高”指严格高于分界点。用 crm.dick_basu_segments 计算。"),
    ("whatif.note.fee", "{n:,} customers; expected equity in closed form from "
     "crm.simulate_fee_policy ({policy})",
     f"{{n:,}} 位客户；预期{_EQUITY}由 crm.simulate_fee_policy 的闭式解给出（{{policy}}）"),
    ("whatif.note.whale", "{n:,} customers; profit from crm.customer_profitability, curve from "
     "crm.whale_curve.",
     "{n:,} 位客户；利润由 crm.customer_profitability 计算，曲线由 crm.whale_curve 计算。"),
    ("reason.missing_value", "missing value", "缺失值"),
    ("reason.missing_code", "missing code", "“不适用”代码"),
]

#: Message id -> (English, Chinese).
MESSAGES: dict[str, tuple[str, str]] = {key: (en, zh) for key, en, zh in _CATALOGUE}
# English text -> id, for values that arrive as English (segment names, actions, checks).
_BY_ENGLISH = {en: key for key, en, _ in _CATALOGUE if "{" not in en}


def _check_lang(lang: str, where: str) -> None:
    if lang not in REPORT_LANGUAGES:
        raise CRMDataError(f"{where}: lang must be one of {', '.join(REPORT_LANGUAGES)}; got {lang!r}")


def _both(zh: str, en: str, key: str) -> str:
    """Chinese with its English: headings and labels after a slash, sentences after a line."""
    if zh == en:
        return zh
    if key.startswith("h."):
        hashes, _, zh_text = zh.partition(" ")
        return f"{hashes} {zh_text} / {re.sub(r'^[0-9]+[.] ', '', en.partition(' ')[2])}"
    if key.startswith(("txt.", "note.", "choice.")) and not key.startswith("txt.basis"):
        # a line break: in Markdown the English follows in the same paragraph (a bullet
        # gets its English bullet after it), in printed text on the next line
        return f"{zh}\n{en}"
    return f"{zh} / {en}"


def message(key: str, lang: str = "en", **params) -> str:
    """One catalogue entry in ``lang``, its braces filled with ``params``.

    Parameters
    ----------
    key : str
        Message id, a key of :data:`MESSAGES` (``"h.summary"``, ``"txt.equity"``, ...).
    lang : {"en", "zh", "zh+en"}, default "en"
        English, Chinese, or Chinese followed by the English.
    **params
        The figures the sentence quotes; formatted alike in every language.

    Returns
    -------
    str

    Raises
    ------
    CRMDataError
        An unknown id or language, or a parameter the sentence needs and did not get.

    Examples
    --------
    >>> message("txt.clean_counts", "zh", n_input=6919, n_kept=6919, n_dropped=0)
    '输入 6,919 行，保留 6,919 行，删除 0 行。'
    >>> message("h.risk", "zh+en")
    '## 7. 有流失风险的客户 / Customers at risk'
    """
    _check_lang(lang, "message")
    if key not in MESSAGES:
        raise CRMDataError(f"message: no message with id {key!r} in the catalogue")
    en, zh = MESSAGES[key]

    def fill(text: str, in_lang: str) -> str:
        # a figure may itself be a message ("on the calibration period"): say it in that language
        values = {k: localise(v, in_lang) if isinstance(v, (Message, Mapping)) else v
                  for k, v in params.items()}
        try:
            return text.format(**values)
        except (KeyError, IndexError) as exc:
            raise CRMDataError(f"message: {key!r} needs the parameter {exc}") from None

    if lang == "en":
        return fill(en, "en")
    zh_text = fill(zh, "zh")
    return zh_text if lang == "zh" else _both(zh_text, fill(en, "en"), key)


class Message(str):
    """English text that remembers its catalogue id and figures (see :func:`localise`).

    It is an ordinary ``str`` everywhere (printing, comparing, JSON), so a list of notes
    keeps working as before; :attr:`spec` is what :meth:`ClientAnalysis.save` stores to
    say the sentence again in another language.

    Examples
    --------
    >>> m = Message("note.few_matched", n=7)
    >>> m
    'Only 7 surveyed customers appear in the log (20 needed): no loyalty matrix.'
    >>> localise(m.spec, "zh")
    '只有 7 位受访客户出现在交易记录中（至少需要 20 位）：不做忠诚矩阵。'
    """

    key: str
    params: dict
    parts: tuple

    def __new__(cls, key: str, **params):
        obj = super().__new__(cls, message(key, "en", **params))
        obj.key, obj.params, obj.parts = key, dict(params), ()
        return obj

    def __add__(self, other):
        """Two messages in a row stay a message (each part is translated on its own)."""
        if not isinstance(other, Message):
            return str(self) + other
        out = str.__new__(Message, str(self) + str(other))
        out.key, out.params = "", {}
        out.parts = (self.parts or (self,)) + (other.parts or (other,))
        return out

    def __reduce__(self):
        # pickled as its spec (the report's fit worker sends warnings that carry one)
        return _from_spec, (self.spec,)

    @property
    def spec(self) -> dict:
        """``{"id": ..., "params": {...}}`` (or ``{"parts": [...]}``): enough to render it in any language."""
        if self.parts:
            return {"parts": [p.spec for p in self.parts]}
        return {"id": self.key, "params": {k: v.spec if isinstance(v, Message) else v
                                           for k, v in self.params.items()}}


def _from_spec(spec: dict) -> Message:
    """The :class:`Message` of a spec (:attr:`Message.spec`): the inverse, for pickling."""
    if "parts" in spec:
        parts = [_from_spec(part) for part in spec["parts"]]
        out = parts[0]
        for part in parts[1:]:
            out = out + part
        return out
    params = {k: _from_spec(v) if isinstance(v, dict) and ("id" in v or "parts" in v) else v
              for k, v in spec.get("params", {}).items()}
    return Message(spec["id"], **params)


def localise(text, lang: str = "en") -> str:
    """A message spec, a :class:`Message` or an English text of the catalogue, in ``lang``.

    Text that is not in the catalogue (a data name, a warning of another library) is
    returned as it came; an English text that is one of the catalogue's fixed phrases
    (a segment name, an action, a cleaning check) is translated.

    Examples
    --------
    >>> localise("worth keeping", "zh"), localise("hibernating", "zh+en")
    ('值得保留的客户', '沉睡客户 / hibernating')
    >>> localise("Pareto/NBD (NBD limit)", "zh")
    'Pareto/NBD（NBD 极限形式）'
    >>> localise("a name of the client's data", "zh")
    "a name of the client's data"
    """
    _check_lang(lang, "localise")
    if isinstance(text, Message):
        text = text.spec
    if isinstance(text, Mapping):
        if "parts" in text:
            return "".join(localise(part, lang) for part in text["parts"])
        if text.get("id") in MESSAGES:
            return message(text["id"], lang, **text.get("params", {}))
        return str(text.get("text", ""))
    text = str(text)
    if lang == "en":
        return text
    if text in _BY_ENGLISH:
        return message(_BY_ENGLISH[text], lang)
    column_check = re.fullmatch(r"(missing|boolean|non-numeric|non-finite) (.+)", text)
    if column_check:  # the checks of VALIDATION_CHECKS that name the amount column
        kind = column_check.group(1).replace("-", "_")
        return message(f"check.{kind}_col", lang, col=column_check.group(2))
    limit = re.fullmatch(r"(.+) \(NBD limit\)", text)
    if limit:
        return message("model.nbd_limit", lang, model=limit.group(1))
    penalised = re.fullmatch(r"(.+) \(penalised, ([0-9.e+-]+)\)", text)
    if penalised:
        return message("model.penalised", lang, model=penalised.group(1),
                       penalizer=penalised.group(2))
    return text


def localise_report(nb, lang: str = "en"):
    """The report notebook with each Markdown cell's text in ``lang``.

    A Markdown cell of the template names its text by message ids in its metadata
    (``"crm_messages": ["h.summary"]``); the cell's source is replaced by those
    messages, joined by blank lines. Cells without ids are left alone.

    Parameters
    ----------
    nb : NotebookNode
        Modified in place and returned.
    lang : {"en", "zh", "zh+en"}

    Returns
    -------
    NotebookNode
    """
    _check_lang(lang, "localise_report")
    for cell in nb.cells:
        keys = cell.get("metadata", {}).get("crm_messages")
        if cell.cell_type == "markdown" and keys:
            cell.source = "\n\n".join(message(k, lang) for k in keys)
    return nb
