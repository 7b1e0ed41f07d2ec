"""The page's and the charts' words in English and Chinese, and numbers by the shared number rule."""
import re
import sys

from matplotlib.ticker import Formatter

from .number_format import format_mean_ci, format_number, format_ticks

ZH = {
    "prior (before the evidence)": "先验 (证据之前)", "posterior": "后验", "variable": "变量", "Observed figures": "观测数据",
    "figure": "数据", "observed": "观测值", "prior P5–P95": "先验 P5–P95", "posterior P5–P95": "后验 P5–P95",
    "prior mean": "先验均值", "posterior mean ± 95% CI": "后验均值 ± 95% 置信区间", "Prior and posterior": "先验与后验",
    "Every statistic of this run is weighted by how well each sample meets these figures (its likelihood): it is the posterior.":
        "本次运行的每个统计量都按各样本与这些数据的吻合程度 (似然) 加权: 即后验.",
    "effective sample size": "有效样本量", "of": "/", "mean likelihood": "平均似然",
    "log-normal error, sd of ln": "对数正态误差, ln 的标准差", "normal error, sd": "正态误差, 标准差",
    "the effective sample size is small: the conditioned statistics rest on few samples; run":
        "有效样本量偏小: 条件化后的统计量依赖少数样本; 请运行",
    "Scenario": "情景", "Stress case": "压力情景", "Shared inputs": "共享输入", "Cell": "单元", "Run": "运行",
    "Outputs": "输出", "Risk": "风险", "Inputs and their sources": "输入及其来源", "The matrix": "矩阵",
    "Portfolio": "投资组合", "output": "输出", "unit": "单位", "point": "点估计", "mean ± 95% CI": "均值 ± 95% 置信区间",
    "input": "输入", "law": "分布", "source": "来源", "metric": "指标", "value [95% CI]": "值 [95% 置信区间]",
    "rank": "排名", "cell": "单元", "section": "章节", "AIGC share": "AIGC 占比", "P(>next)": "P(>下一名)",
    "holding": "持仓", "expected P&L": "期望损益", "P(loss)": "P(亏损)", "mean P&L in the tail": "尾部平均损益",
    "density": "密度", "share of samples per bin": "每组样本占比", "share per bin": "每组占比", "Correlated inputs": "相关输入", "Spearman ρ asked": "设定的 Spearman ρ",
    "Spearman ρ of the samples (n)": "样本的 Spearman ρ (n)", "inputs not stored (run with --store all)": "输入未存储 (以 --store all 运行)",
    "Inputs that move together, as the scenario correlates them (Spearman ρ), and as the samples do.":
        "同向变动的输入: 情景设定的相关 (Spearman ρ) 与样本中的相关.", "in every sample (no distribution or tornado chart).": "(每个样本相同; 无分布图或龙卷风图).",
    "portfolio: contributions to the tail loss": "投资组合: 对尾部损失的贡献", "stars": "星级", "fan chart": "扇形图",
    "Agreement of the ranking with R1's `{stars}` stars (Kendall τ_b): {median} for the median ranking; per sample mean {mean} (95% CI), P5–P95 [{p5}, {p95}].":
        "排名与 R1 `{stars}` 星级的一致性 (Kendall τ_b): 中位数排名 {median}; 逐样本均值 {mean} (95% 置信区间), P5–P95 [{p5}, {p95}].", "tamcarlo report": "tamcarlo 报告",
    "is so skewed (|skewness|/√n = {ratio}, over {limit})": "偏度过大 (|偏度|/√n = {ratio}, 超过 {limit})",
    "has skewed replicate means": "其重复均值偏斜", "scenario warning": "情景警告", "has no finite mean": "没有有限均值", "has no finite sd": "没有有限标准差",
    "has {bad} non-finite samples (NaN or ±inf) of {n}; its statistics use the finite ones.":
        "在 {n} 个样本中有 {bad} 个非有限值 (NaN 或 ±inf); 其统计量只使用有限值.", "The first comes from": "第一个来自",
    "the 95% CI of its mean rests on a variance that does not exist and covers the mean less often than it says, however many samples are drawn; read its quantiles.":
        "其均值的 95% 置信区间依赖于不存在的方差, 无论抽取多少样本, 覆盖率都低于名义值; 请参考其分位数.", "in this case": "(本情形中)", "in the base case": "(基准情形中)",
    "its Δ mean and CI are only those of these samples and do not settle however many are drawn; compare the P50s.":
        "其均值差及置信区间仅为这些样本的值, 无论抽取多少样本都不会收敛; 请比较 P50.",
    "the mean and CI shown are only those of these samples and do not settle however many are drawn; read its quantiles.":
        "所示均值与置信区间仅为这些样本的值, 无论抽取多少样本都不会收敛; 请参考其分位数.",
    "that the 95% CI of its mean covers less often than it says; trust the quantiles more, or run more samples.":
        "其均值的 95% 置信区间覆盖率低于名义值; 请更多参考分位数, 或增加样本.", "Contents": "目录", "lower tail": "下尾", "upper tail": "上尾", "Sobol' indices of": "Sobol' 指数:", "{bins} bins": "{bins} 组", "against its strongest drivers": "与其最强驱动因素的关系", "The cells' market space compared (distribution functions)": "各单元市场空间对比 (分布函数)", "market space": "市场空间", "asinh scale: linear within ±": "asinh 刻度: 线性区间 ±", "market": "市场", "P&L per holding": "各持仓损益", "mean P&L in the worst": "最差情形的平均损益:", "{bins} log bins": "{bins} 组, 对数等宽",
    "P(X < a) at the pointer, or type a value:": "指针处的 P(X < a), 或输入一个值:", "PNG": "PNG 图片",
    "The charts are drawn by JavaScript, which is off in this browser; tamcarlo report --png writes them as PNG files.":
        "图表由 JavaScript 绘制, 此浏览器已关闭 JavaScript; tamcarlo report --png 可将其另存为 PNG 图片.",
    "click a legend entry to show or hide it": "点击图例可显示或隐藏该项", "first": "前",
    "input in its highest decile": "输入处于最高十分位", "input in its lowest decile": "输入处于最低十分位",
    "no monotone effect detectable": "检测不到单调影响", "within 2 SE of 0": "在 0 的 2 个标准误之内",
    "share of samples": "样本占比", "not on the log axis": "不在对数轴上", "off the axis": "在坐标轴之外",
    "log scale": "对数刻度", "CIs clipped to the axis": "置信区间截于坐标轴", "unchanged by the stress": "压力下不变", "cumulative probability": "累积概率", "year": "年份", "median": "中位数",
    "90% band (P5–P95)": "90% 区间 (P5–P95)", "50% band (P25–P75)": "50% 区间 (P25–P75)",
    "point estimate": "点估计", "Spearman rank correlation with the output": "与输出的 Spearman 秩相关",
    "base": "基准", "stressed": "压力", "Δ mean ± 95% CI": "均值差 ± 95% 置信区间", "base P50": "基准 P50",
    "stressed P50": "压力 P50", "base mean": "基准均值", "stressed mean": "压力均值", "replaces": "替换",
    "Latin hypercube": "拉丁超立方", "scrambled Sobol' points": "加扰 Sobol' 点列", "replicates": "个重复",
    "mean CI": "均值置信区间", "format": "格式", "scenario": "情景", "seed": "种子", "samples": "样本", "result file": "结果文件", "scenario file": "情景文件",
    "suite file": "套件文件", "values as": "数值单位", "mean": "均值", "is constant": "为常数",
    "heavy tail": "厚尾", "total index ST (with interactions)": "总效应指数 ST（含交互）",
    "first-order index S (alone)": "一阶指数 S（单独）", "share of the output's variance": "输出方差占比", "What drives": "驱动因素:", "by year": "逐年", "distribution of": "分布:",
    "inputs driving": "驱动输入:", "Swing of": "摆幅:", "swing of": "摆幅:", "per input": "（逐个输入）",
    "mean with the input in its lowest (orange) and highest (blue) decile": "输入处于最低（橙）与最高（蓝）十分位时的均值", "R1 application difficulty": "R1 应用难度", "equal values spread sideways": "相同值横向错开",
    "AIGC share of the work (R2: how far AIGC can transform it), P50 with P5–P95": "AIGC 可承担的工作占比（R2 改造深度），P50 及 P5–P95",
    "market space, P50 with P5–P95": "市场空间，P50 及 P5–P95", "R1 market stars": "R1 市场星级",
    "Market space against R1's difficulty": "市场空间与 R1 应用难度", "Market space in": "市场空间单位",
    "The cells on R2's two axes: transformation depth × money": "R2 两轴上的单元：改造深度 × 资金",
    "Portfolio: each holding's expected P&L and its share of the tail loss": "投资组合：各持仓期望损益及其尾部损失贡献", "loss region": "亏损区域", "plausibility cap": "合理上限",
    "Checks": "校验", "check": "校验", "condition": "条件", "violated": "违反次数", "P(violated)": "违反概率", "never": "从未",
    "ok": "通过", "VIOLATED": "违反", "bounds": "取值范围",
    "Decision": "决策", "best now": "当前最优", "Options compared by their expected value": "按期望值比较各选项",
    "option": "选项", "P(best) [95% CI]": "P(最优) [95% 置信区间]",
    "what knowing every input before deciding would add to the best option": "在决策前知道全部输入可为最优选项增加的价值",
    "what to learn first": "先了解什么", "95% CI (± bias bound)": "95% 置信区间（含偏差界）", "of EVPI": "占 EVPI",
    "expected value of learning it before deciding (EVPPI)": "决策前了解它的期望价值 (EVPPI)",
    "blue: one input, orange: a group; bars: 95% CI with the bias bound": "蓝：单个输入，橙：输入组；误差棒：含偏差界的 95% 置信区间",
    "What is worth learning before deciding": "决策前值得了解什么", "Shapley effects of": "Shapley 效应:",
    "permutations": "个排列", "in": "于",
    "inputs are correlated: Shapley effects (they sum to 1), not Sobol' indices": "输入相关：显示 Shapley 效应（和为 1），而非 Sobol' 指数",
    "the 95% CI of its mean reaches below its samples": "均值的 95% 置信区间低于其最小样本",
    "the 95% CI of its mean reaches above its samples": "均值的 95% 置信区间高于其最大样本",
    "a value it never took: not a range of plausible means": "该值从未出现：不应读作均值的合理范围",
}


UNIT_ZH = {"year": "年", "years": "年", "month": "月", "months": "月", "day": "天", "days": "天", "person": "人",
           "people": "人", "seat": "席位", "seats": "席位", "developer": "开发者", "developers": "开发者", "user": "用户",
           "users": "用户", "case": "例", "cases": "例", "patient": "患者", "patients": "患者", "company": "家公司",
           "companies": "家公司", "share": "占比", "ratio": "比率", "visit": "次", "visits": "次", "min": "分钟",
           "h": "小时", "s": "秒"}
UNIT_WORD = re.compile(r"\b(" + "|".join(sorted(UNIT_ZH, key=len, reverse=True)) + r")\b")


class Words:
    """The page's and the charts' words and numbers in one locale (labels in zh are Chinese)."""

    def __init__(self, locale):
        self.locale = locale
        self.missing = set()  # zh: the labels asked for that have no translation (data.json lists them)

    def __call__(self, text):
        if self.locale != "zh":
            return text
        if text not in ZH and any("a" <= c.lower() <= "z" for c in text):
            self.missing.add(text)
        return ZH.get(text, text)

    def unit(self, unit):
        """A unit for people: in zh its English words (year, month, person, ...) in Chinese, currency codes kept."""
        if self.locale != "zh" or not unit:
            return unit
        return UNIT_WORD.sub(lambda m: UNIT_ZH[m.group(0)], unit)

    def num(self, x, style="auto"):
        return format_number(x, style, self.locale)

    def mean_ci(self, mean, half, style="auto"):
        m, h = format_mean_ci(mean, half, style, self.locale)
        return f"{m} ± {h}"

    def axis(self, style="auto"):
        """A tick formatter that follows the axis (number_format.format_ticks), not the statistics' rule."""
        return AxisFormatter(style, self.locale)


class AxisFormatter(Formatter):
    """Formats all the ticks of an axis together (format_ticks): one scale and the decimals their spacing needs."""

    def __init__(self, style, locale):
        self.style, self.locale, self.labels = style, locale, {}

    def set_locs(self, locs):
        self.locs = list(locs)
        self.labels = dict(zip(self.locs, format_ticks(self.locs, self.style, self.locale)))

    def __call__(self, x, pos=None):
        if x in self.labels:
            return self.labels[x]
        return format_ticks([x], self.style, self.locale)[0]


def say(text, end="\n"):
    """Progress on stderr: a line per phase; on a terminal the chart counter rewrites one line."""
    sys.stderr.write(f"tamcarlo report: {text}{end}")
    sys.stderr.flush()
