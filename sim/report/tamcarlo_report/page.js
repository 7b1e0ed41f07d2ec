// The report page's charts, drawn in the browser with Chart.js (inlined before this script) from the specs that
// tamcarlo_report.charts writes (the JSON element #tamcarlo-data, the same as data.json). A chart is drawn when it
// comes into view; each gets a PNG download; a distribution chart reads P(X < a) at the pointer and at a typed value;
// cases beyond the base (stressed cases) are toggled from the legend. Numbers follow the shared number rule
// (number_format.py and sim/base/number_format.cpp; tests/browser_check.py runs this file's twin on their cases).
(function () {
  'use strict';
  const DATA = JSON.parse(document.getElementById('tamcarlo-data').textContent);
  const LOCALE = DATA.locale === 'zh' ? 'zh' : 'en';
  const W = DATA.words;
  const BLUE = '#1f5f99', ORANGE = '#d9730d', GREY = '#6b6b6b', PURPLE = '#6a3d9a';
  const CASE_COLORS = [BLUE, ORANGE, '#2e7d32', '#b22222', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];

  // --- the number rule (twin of number_format.py) ---
  const SCALES = {en: [[1e12, 12, 'T'], [1e9, 9, 'B'], [1e6, 6, 'M'], [1e3, 3, 'k']],
                  zh: [[1e12, 12, '万亿'], [1e8, 8, '亿'], [1e4, 4, '万']]};
  function scaleOf(a) {
    for (const s of SCALES[LOCALE]) if (a >= s[0]) return s;
    return [1, 0, ''];
  }
  function roundSignificant(x, digits) {  // [x rounded to `digits` significant digits, its decimal exponent]
    const e = x.toExponential(digits - 1);
    return [parseFloat(e), parseInt(e.slice(e.indexOf('e') + 1), 10)];
  }
  function eNotation(x, digits) {  // Python's f"{x:.2e}": the exponent has at least two digits
    const e = x.toExponential(digits), at = e.indexOf('e');
    const sign = e[at + 1], exp = e.slice(at + 2);
    return e.slice(0, at) + 'e' + sign + (exp.length < 2 ? '0' + exp : exp);
  }
  function fixed(x, d) {
    const t = x.toFixed(Math.max(d, 0));
    return t.startsWith('-') && parseFloat(t) === 0 ? t.slice(1) : t;
  }
  function automatic(x) {
    const a = Math.abs(x);
    if (a >= 1e3 && a < 1e4 && x === Math.floor(x)) return x.toFixed(0);
    const [value, exponent] = roundSignificant(x, 3);
    if (Math.abs(value) >= 1e15 || Math.abs(value) < 1e-3) return eNotation(x, 2);
    const s = scaleOf(Math.abs(value));
    return (value / s[0]).toFixed(Math.max(2 - (exponent - s[1]), 0)) + s[2];
  }
  function formatNumber(x, style) {
    if (x === null || x === undefined || Number.isNaN(x)) return '—';
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
    if (x === 0) return style === 'percent' ? '0%' : '0';
    if (style === 'year') return x === Math.floor(x) ? x.toFixed(0) : x.toFixed(1);
    if (style === 'percent') return automatic(100 * x) + '%';
    return automatic(x);
  }
  function decimals(step) {
    for (let d = 0; d < 7; d++) {
      const scaled = step * Math.pow(10, d);
      if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, Math.abs(scaled))) return d;
    }
    return 6;
  }
  function formatTicks(values, style) {
    const finite = values.filter((v) => v !== null && Number.isFinite(v));
    if (!finite.length) return values.map(() => '');
    if (style === 'year') return values.map((v) => (Number.isFinite(v) && v === Math.floor(v) ? v.toFixed(0) : Number.isFinite(v) ? v.toFixed(1) : ''));
    let factor = style === 'percent' ? 0.01 : 1, word = style === 'percent' ? '%' : '';
    const ordered = finite.slice().sort((a, b) => a - b);
    const positive = ordered.every((v) => v > 0);
    const ratios = positive && ordered.length > 2 ? ordered.slice(1).map((b, i) => b / ordered[i]) : [];
    const logAxis = ratios.length > 0 && Math.max(...ratios) - Math.min(...ratios) < 1e-6 * Math.max(...ratios) && ratios[0] > 1.5;
    if (style !== 'percent' && !logAxis) {
      const big = Math.max(...finite.map(Math.abs));
      [factor, , word] = big >= 1e4 ? scaleOf(big) : [1, 0, ''];
    }
    const steps = ordered.slice(1).map((b, i) => (b - ordered[i]) / factor).filter((s, i) => ordered[i + 1] > ordered[i]);
    const common = logAxis || !steps.length ? null : decimals(Math.min(...steps));
    return values.map((v) => {
      if (v === null || !Number.isFinite(v)) return '';
      let x = v / factor, w = word;
      if (logAxis && style !== 'percent') {
        const s = Math.abs(v) >= 1e4 ? scaleOf(Math.abs(v)) : [1, 0, ''];
        x = v / s[0];
        w = s[2];
      }
      if (x === 0) return '0';
      const d = common !== null ? common : decimals(Math.abs(x));
      return fixed(x, d) + w;
    });
  }
  // A typed value: "12.5", "1.2B", "3亿", "25%", "-4k".
  function parseValue(text, style) {
    const t = text.trim().replace(/,/g, '');
    const m = /^([-+]?\d*\.?\d+(?:e[-+]?\d+)?)\s*(万亿|亿|万|k|M|B|T|%)?$/i.exec(t);
    if (!m) return NaN;
    const unit = {'': 1, 'k': 1e3, 'm': 1e6, 'b': 1e9, 't': 1e12, '万': 1e4, '亿': 1e8, '万亿': 1e12, '%': 0.01};
    const u = m[2] ? unit[m[2].length === 1 ? m[2].toLowerCase() : m[2]] : (style === 'percent' ? 0.01 : 1);
    return parseFloat(m[1]) * u;
  }

  function rgba(hex, a) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${a})`;
  }
  function ticks(style, log) {
    return {
      maxRotation: 0, includeBounds: false,
      callback(value, index, all) {
        if (log) {  // 1, 2 and 5 times a power of ten (of either sign, or 0); each its own scale
          if (value === 0) return '0';
          const a = Math.abs(value), m = a / Math.pow(10, Math.floor(Math.log10(a) + 1e-9));
          return [1, 2, 5].some((k) => Math.abs(m - k) < 1e-6) ? formatTicks([value], style)[0] : '';
        }
        if (index === 0 || !all._labels) all._labels = formatTicks(all.map((t) => t.value), style);
        return all._labels[index];
      },
    };
  }
  // An asinh axis (x ↦ asinh(x / c): linear within ±c, logarithmic beyond) for a signed heavy tail, where a linear
  // axis shows one bar and a line and a log axis cannot go below 0. Ticks: 0 and 1, 2, 5 × 10^k of either sign, as
  // many as fit apart.
  class SymlogScale extends Chart.Scale {
    determineDataLimits() {
      const {min, max} = this.getUserBounds();
      this.min = min;
      this.max = max;
    }
    f(v) { return Math.asinh(v / this.options.width); }
    configure() {
      super.configure();
      this._f0 = this.f(this.min);
      this._fr = this.f(this.max) - this._f0 || 1;
    }
    buildTicks() {
      const c = this.options.width, big = Math.max(Math.abs(this.min), Math.abs(this.max), c);
      const values = [0];
      for (let k = Math.floor(Math.log10(c)) - 1; k <= Math.ceil(Math.log10(big)); k++)
        for (const m of [1, 2, 5]) values.push(m * Math.pow(10, k), -m * Math.pow(10, k));
      const inside = values.filter((v) => v >= this.min && v <= this.max).sort((a, b) => a - b);
      const ticks = [];
      let last = -Infinity;
      for (const v of inside) {
        const d = (this.f(v) - this._f0) / this._fr;
        if (d - last >= 0.08) { ticks.push({value: v}); last = d; }
      }
      return ticks;
    }
    getLabelForValue(v) { return formatNumber(v, 'auto'); }
    getPixelForTick(i) { return this.getPixelForValue(this.ticks[i].value); }
    getPixelForValue(v) { return this.getPixelForDecimal((this.f(v) - this._f0) / this._fr); }
    getValueForPixel(px) { return this.options.width * Math.sinh(this._f0 + this.getDecimalForPixel(px) * this._fr); }
  }
  SymlogScale.id = 'symlog';
  SymlogScale.defaults = {width: 1};
  Chart.register(SymlogScale);

  const title = (text) => ({display: !!text, text: text ? text.split('\n') : '', font: {size: 12}});

  // P(X < a) from a case's distribution function (the quantile function at fine resolution): linear between its
  // points; null below the first point of a summary-only CDF (what lies there is not known).
  function cdfAt(c, a) {
    const xs = c.cdf.x, ps = c.cdf.p, n = xs.length;
    if (!n) return null;
    if (a <= xs[0]) return ps[0] === 0 ? 0 : (a < xs[0] ? null : ps[0]);
    if (a > xs[n - 1]) return ps[n - 1] === 1 ? 1 : null;
    let lo = 0, hi = n - 1;  // xs[lo] < a <= xs[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < a) lo = mid; else hi = mid;
    }
    return ps[lo] + (ps[hi] - ps[lo]) * (a - xs[lo]) / (xs[hi] - xs[lo]);
  }

  const SPECS = new WeakMap();  // canvas → the spec its chart draws (the plugins read it while the chart is built)

  // --- plugins: a white background (for the PNG), bars' CI whiskers and value labels, lines and bands, crosshair ---
  const background = {id: 'background', beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  }};
  const extras = {id: 'extras', afterDatasetsDraw(chart) {
    const ctx = chart.ctx, spec = SPECS.get(chart.canvas), area = chart.chartArea;
    ctx.save();
    ctx.beginPath();
    ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
    ctx.clip();
    chart.data.datasets.forEach((ds, i) => {
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden || !chart.isDatasetVisible(i) || !ds.$whiskers) return;
      const horizontal = chart.options.indexAxis === 'y';
      ctx.strokeStyle = '#333';
      ctx.lineWidth = 1;
      meta.data.forEach((el, k) => {
        const lo = ds.$whiskers.lo[k], hi = ds.$whiskers.hi[k];
        if (lo === null || hi === null) return;
        if (horizontal) {
          const s = chart.scales.x, a = Math.max(s.getPixelForValue(lo), area.left), b = Math.min(s.getPixelForValue(hi), area.right);
          ctx.beginPath(); ctx.moveTo(a, el.y); ctx.lineTo(b, el.y);
          ctx.moveTo(a, el.y - 3); ctx.lineTo(a, el.y + 3); ctx.moveTo(b, el.y - 3); ctx.lineTo(b, el.y + 3); ctx.stroke();
        } else {  // matrix: vertical P5–P95 (and horizontal x_lo–x_hi)
          const y = chart.scales.y, a = y.getPixelForValue(lo), b = y.getPixelForValue(hi);
          ctx.strokeStyle = ds.$colors ? ds.$colors[k] : '#333';
          ctx.beginPath(); ctx.moveTo(el.x, a); ctx.lineTo(el.x, b); ctx.stroke();
          if (ds.$xwhiskers) {
            const x = chart.scales.x, l = x.getPixelForValue(ds.$xwhiskers.lo[k]), r = x.getPixelForValue(ds.$xwhiskers.hi[k]);
            ctx.beginPath(); ctx.moveTo(l, el.y); ctx.lineTo(r, el.y); ctx.stroke();
          }
        }
      });
    });
    if (spec.kind === 'bars' && spec.value_labels) {
      const meta = chart.getDatasetMeta(0), s = chart.scales.x;
      ctx.fillStyle = '#222';
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      spec.value_labels.forEach((text, k) => {
        const at = spec.value_at[k], origin = spec.value_origin === null ? -Infinity : spec.value_origin;
        const right = at >= origin;
        let x = s.getPixelForValue(at) + (right ? 4 : -4);
        ctx.textAlign = right ? 'left' : 'right';
        let inside = false;
        if (right && x + ctx.measureText(text).width > area.right) { ctx.textAlign = 'right'; x = area.right - 3; inside = true; }
        if (!right && x - ctx.measureText(text).width < area.left) { ctx.textAlign = 'left'; x = area.left + 3; inside = true; }
        const el = meta.data[k];
        ctx.fillStyle = inside ? '#fff' : '#222';
        if (el) ctx.fillText(text, x, el.y);
      });
    }
    if (spec.kind === 'matrix') {  // each point named: the first of eight places around it that overlaps nothing placed
      const meta = chart.getDatasetMeta(0);
      ctx.fillStyle = '#333';
      ctx.font = '11px system-ui, sans-serif';
      ctx.textAlign = 'left';
      const taken = meta.data.map((el) => {
        const r = el.options.radius + 1;
        return [el.x - r, el.y - r, el.x + r, el.y + r];
      });
      const free = (b) => b[0] >= area.left && b[2] <= area.right && b[1] >= area.top && b[3] <= area.bottom &&
        taken.every((t) => b[2] <= t[0] || b[0] >= t[2] || b[3] <= t[1] || b[1] >= t[3]);
      meta.data.forEach((el, k) => {
        const text = `${k + 1}. ${spec.cell[k]}`, w = ctx.measureText(text).width, h = 12, r = el.options.radius + 3;
        const places = [[r, -r - h], [r, r], [-r - w, -r - h], [-r - w, r], [r, -h / 2], [-r - w, -h / 2],
                        [-w / 2, -r - h - 2], [-w / 2, r + 2]];
        let box = null;
        for (const [dx, dy] of places) {
          const b = [el.x + dx, el.y + dy, el.x + dx + w, el.y + dy + h];
          if (free(b)) { box = b; break; }
        }
        if (!box) box = [el.x + places[0][0], el.y + places[0][1], el.x + places[0][0] + w, el.y + places[0][1] + h];
        taken.push(box);
        ctx.fillText(text, box[0], box[3] - 2);
      });
    }
    for (const ln of spec.lines || []) {
      if (ln.value === null) continue;
      const x = chart.scales.x.getPixelForValue(ln.value);
      if (x < area.left || x > area.right) continue;
      ctx.strokeStyle = ln.color || GREY;
      ctx.setLineDash(ln.dash ? [5, 4] : []);
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(x, area.top); ctx.lineTo(x, area.bottom); ctx.stroke();
      ctx.setLineDash([]);
    }
    if (chart.$cross !== undefined && chart.$cross !== null) {
      ctx.strokeStyle = '#444';
      ctx.setLineDash([3, 3]);
      ctx.beginPath(); ctx.moveTo(chart.$cross, area.top); ctx.lineTo(chart.$cross, area.bottom); ctx.stroke();
    }
    ctx.restore();
  }, beforeDatasetsDraw(chart) {
    const b = SPECS.get(chart.canvas).band, area = chart.chartArea;
    if (!b) return;
    const s = chart.scales.x, ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = 'rgba(107,107,107,0.15)';
    const l = Math.max(s.getPixelForValue(b.from), area.left), r = Math.min(s.getPixelForValue(b.to), area.right);
    ctx.fillRect(l, area.top, r - l, area.bottom - area.top);
    ctx.restore();
  }};

  // Clicking a legend entry shows or hides its dataset, or with several cases on one chart, the whole case.
  function legend(extra) {
    return Object.assign({
      position: 'bottom',
      labels: {boxWidth: 18, font: {size: 12}, filter: (item, data) => data.datasets[item.datasetIndex].$legend !== false},
      onClick(e, item, leg) {
        const chart = leg.chart, ds = chart.data.datasets[item.datasetIndex];
        const group = ds.$case;
        const show = !chart.isDatasetVisible(item.datasetIndex);
        chart.data.datasets.forEach((d, i) => {
          if (i === item.datasetIndex || (group !== undefined && chart.$cases > 1 && d.$case === group)) chart.setDatasetVisibility(i, show);
        });
        chart.update();
        if (chart.$onToggle) chart.$onToggle();
      },
    }, extra || {});
  }

  // --- the kinds of chart ---
  function distribution(spec, fig) {
    const log = !!spec.log, style = spec.style;
    const [lo, hi] = spec.x_range;
    const several = spec.cases.length > 1;
    const shown = (x) => x !== null && (!log || x > 0);
    let top = 0;
    for (const c of spec.cases) {
      if (c.hist) top = Math.max(top, ...c.hist.share.map((v) => v || 0));
    }
    if (!top) for (const c of spec.cases) for (const a of c.atoms || []) top = Math.max(top, a.share);
    top = top * 1.15 || 1;
    const binned = spec.cases.some((c) => c.hist || (c.atoms && c.atoms.length));
    const datasets = [], corner = [];
    spec.cases.forEach((c, k) => {
      const color = CASE_COLORS[k % CASE_COLORS.length];
      const prefix = several ? c.name + ': ' : '';
      const hidden = !!c.hidden;
      if (c.hist) {
        const e = c.hist.edges, s = c.hist.share, pts = [{x: e[0], y: 0}];
        s.forEach((v, i) => pts.push({x: e[i], y: v || 0}));
        pts.push({x: e[e.length - 1], y: s[s.length - 1] || 0}, {x: e[e.length - 1], y: 0});
        datasets.push({type: 'line', label: several ? c.name : W.share, data: pts, stepped: 'after', fill: 'origin',
                       backgroundColor: rgba(color, several ? 0.3 : 0.45), borderColor: color, borderWidth: 1,
                       pointRadius: 0, yAxisID: 'y', hidden, $case: k, $legend: true, order: 5});
      }
      for (const a of c.atoms || []) {
        const label = `${prefix}P(${spec.variable} = ${formatNumber(a.value, style)}) = ${(100 * a.share).toFixed(1)}%`;
        if (!shown(a.value)) { corner.push(label); continue; }
        const h = Math.min(a.share, top);
        datasets.push({type: 'line', label, data: [{x: a.value, y: 0}, {x: a.value, y: h}], borderColor: several ? color : PURPLE,
                       borderWidth: several && k === 0 ? 5 : 3, pointRadius: [0, a.share > top ? 6 : 0], pointStyle: 'triangle',
                       pointBackgroundColor: several ? color : PURPLE, yAxisID: 'y', hidden, $case: k, $legend: !hidden, order: 2});
      }
      datasets.push({type: 'line', label: several && !c.hist ? c.name : prefix + (spec.cdf_label || W.cdf),
                     data: c.cdf.x.map((x, i) => ({x, y: c.cdf.p[i]})).filter((p) => shown(p.x)),
                     borderColor: several ? color : ORANGE, borderWidth: 1.8, borderDash: several && k > 0 ? [6, 3] : [],
                     pointRadius: c.hist || c.atoms || c.cdf.x.length > 30 ? 0 : 2.5, yAxisID: 'y2', hidden, $case: k, $legend: !several || !c.hist, order: 1});
      if (spec.mean_lines || (several && k > 0 && !spec.no_means)) {
        datasets.push({type: 'line', label: `${prefix}${W.mean} ${formatNumber(c.mean, style)}`,
                       data: shown(c.mean) ? [{x: c.mean, y: 0}, {x: c.mean, y: 1}] : [], borderColor: color,
                       borderDash: [5, 4], borderWidth: 1.4, pointRadius: 0, yAxisID: 'y2', hidden, $case: k, $legend: false, order: 0});
      }
    });
    for (const m of spec.markers || []) {
      const on = shown(m.value) && m.value >= lo && m.value <= hi;
      datasets.push({type: 'line', label: m.label + (on ? '' : ` (${W.off_axis})`), data: on ? [{x: m.value, y: 0}, {x: m.value, y: 1}] : [],
                     borderColor: m.color, borderDash: m.dash, borderWidth: 1.4, pointRadius: 0, yAxisID: 'y2', $case: 0, order: 0});
    }
    for (const r of spec.regions || []) {
      datasets.push({type: 'line', label: r.label, data: [{x: r.from, y: 1}, {x: r.to, y: 1}], fill: 'origin',
                     backgroundColor: 'rgba(178,34,34,0.10)', borderWidth: 0, pointRadius: 0, yAxisID: 'y2', $case: 0, order: 6});
    }
    const chart = new Chart(fig.canvas, {
      data: {datasets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: false, normalized: true,
        events: ['mousemove', 'mouseout', 'click', 'touchstart', 'touchmove'],
        plugins: {title: title(spec.title), legend: legend(), tooltip: {enabled: false}},
        scales: {
          x: Object.assign({type: log ? 'logarithmic' : spec.symlog ? 'symlog' : 'linear', min: lo, max: hi,
                            title: title(spec.xlabel), ticks: ticks(style, log || !!spec.symlog)},
                           spec.symlog ? {width: spec.symlog} : {}),
          y: {display: binned, min: 0, max: top, position: 'left', title: title(spec.ylabel), ticks: ticks('percent', false)},
          y2: {min: 0, max: 1.02, position: 'right', grid: {drawOnChartArea: false}, title: title(spec.cdf_label || W.cdf),
               ticks: Object.assign(ticks('auto', false), {stepSize: 0.25})},
        },
        onHover(e, _items, ch) { readAt(ch, e.x); },
      },
      plugins: [background, extras],
    });
    chart.$cases = spec.cases.length;
    if (corner.length) fig.note(corner.join('; ') + ` (${W.not_on_log})`);
    // The readout: P(X < a) at the pointer's x, and at a typed value.
    const read = document.createElement('div');
    read.className = 'readout';
    read.innerHTML = '<span class="at"></span> <label></label> <input type="text" inputmode="decimal"><output></output>';
    read.querySelector('label').textContent = W.read;
    fig.el.appendChild(read);
    const at = read.querySelector('.at'), input = read.querySelector('input'), out = read.querySelector('output');
    const phrase = (a) => spec.cases
      .map((c, k) => ({c, k}))
      .filter(({k}) => chart.data.datasets.some((d, i) => d.$case === k && chart.isDatasetVisible(i)))
      .map(({c}) => {
        const p = cdfAt(c, a);
        return `${several ? c.name + ': ' : ''}P(${spec.variable} < ${formatNumber(a, style)}) = ` +
               (p === null ? '—' : (100 * p).toFixed(p > 0.001 && p < 0.999 ? 1 : 2) + '%');
      }).join(' · ');
    function readAt(ch, px) {
      const area = ch.chartArea;
      if (px === null || px === undefined || px < area.left || px > area.right) { ch.$cross = null; at.textContent = ''; ch.draw(); return; }
      ch.$cross = px;
      const a = ch.scales.x.getValueForPixel(px);
      at.textContent = phrase(a);
      at.dataset.value = a;
      at.dataset.p = cdfAt(spec.cases[0], a);
      ch.draw();
    }
    input.addEventListener('input', () => {
      const a = parseValue(input.value, style);
      out.textContent = Number.isFinite(a) ? phrase(a) : '';
      out.dataset.p = Number.isFinite(a) ? cdfAt(spec.cases[0], a) : '';
    });
    chart.$onToggle = () => input.dispatchEvent(new Event('input'));
    return chart;
  }

  function bars(spec, fig) {
    const several = spec.series.length > 1 && !spec.stacked;
    const datasets = spec.series.map((s) => ({
      label: s.name || '', $legend: !!s.name,
      data: s.from ? s.from.map((f, i) => [f, s.to[i]]) : s.values,
      backgroundColor: s.colors || s.color || BLUE, borderWidth: 0,
      barPercentage: 0.8, categoryPercentage: spec.stacked ? 0.7 : 0.8,
      grouped: !spec.stacked,
      $whiskers: s.lo ? {lo: s.lo, hi: s.hi} : null,
    }));
    for (const ln of spec.lines || []) {  // a labelled line is named in the legend
      if (ln.label) datasets.push({type: 'line', label: ln.label, data: [], borderColor: ln.color || GREY,
                                   borderDash: ln.dash ? [5, 4] : [], borderWidth: 1.2, backgroundColor: '#fff', $legend: true});
    }
    const rows = spec.labels.length * (several ? 1.6 : 1);
    fig.frame.style.height = `${Math.round(26 * rows + 130 + 14 * (spec.xlabel || '').split('\n').length)}px`;
    if (spec.band) fig.note(spec.band.label);
    const style = spec.style || 'auto';
    return new Chart(fig.canvas, {
      type: 'bar',
      data: {labels: spec.labels, datasets},
      options: {
        indexAxis: 'y', animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {
          title: title(spec.title), legend: legend({display: datasets.some((d) => d.$legend)}),
          tooltip: {callbacks: {label(ctx) {
            const s = spec.series[ctx.datasetIndex], k = ctx.dataIndex;
            const v = s.from ? `${formatNumber(s.from[k], style)} → ${formatNumber(s.to[k], style)}` : formatNumber(s.values[k], style);
            const ci = s.lo ? ` [${formatNumber(s.lo[k], style)}, ${formatNumber(s.hi[k], style)}]` : '';
            return `${s.name ? s.name + ': ' : ''}${v}${ci}`;
          }}},
        },
        scales: {
          x: {min: spec.xmin, max: spec.xmax, title: title(spec.xlabel), ticks: ticks(style, false)},
          y: {stacked: !!spec.stacked, ticks: {autoSkip: false, font: {size: 12}}},
        },
      },
      plugins: [background, extras],
    });
  }

  function fan(spec, fig) {
    const years = spec.year, several = spec.cases.length > 1, style = spec.style, words = spec.words;
    const datasets = [];
    const line = (k, label, values, extra) => Object.assign({
      type: 'line', label, data: years.map((x, i) => ({x, y: values[i]})), pointRadius: 0, borderWidth: 0, order: 5,
      $case: k, hidden: !!spec.cases[k].hidden}, extra);
    spec.cases.forEach((c, k) => {
      const color = CASE_COLORS[k % CASE_COLORS.length], prefix = several ? c.name + ': ' : '';
      datasets.push(line(k, '', c.p5, {$legend: false, $quiet: true}));
      datasets.push(line(k, prefix + words.band90, c.p95, {fill: '-1', backgroundColor: rgba(color, 0.18), $legend: !several}));
      if (spec.bands50 !== false) {
        datasets.push(line(k, '', c.p25, {$legend: false, $quiet: true}));
        datasets.push(line(k, prefix + words.band50, c.p75, {fill: '-1', backgroundColor: rgba(color, 0.35), $legend: !several}));
      }
      datasets.push(line(k, several ? c.name : words.median, c.p50, {borderColor: color, borderWidth: 2.2, $legend: true, order: 1}));
      if (c.point) datasets.push(line(k, words.point, c.point, {borderColor: ORANGE, borderDash: [6, 4], borderWidth: 1.4, $legend: !several, order: 0}));
    });
    const chart = new Chart(fig.canvas, {
      data: {datasets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
        interaction: {mode: 'index', intersect: false},
        plugins: {
          title: title(spec.title), legend: legend(),
          tooltip: {filter: (item) => !item.dataset.$quiet, callbacks: {
            title: (items) => (items.length ? formatNumber(items[0].parsed.x, 'year') : ''),
            label: (ctx) => `${ctx.dataset.label}: ${formatNumber(ctx.parsed.y, style)}`}},
        },
        scales: {
          x: {type: 'linear', min: years[0], max: years[years.length - 1], title: title(spec.xlabel),
              ticks: Object.assign(ticks('year', false), {stepSize: 1})},
          y: {title: title(spec.ylabel), ticks: ticks(style, false)},
        },
      },
      plugins: [background, extras],
    });
    chart.$cases = spec.cases.length;
    if (several) fig.note(W.hidden);
    return chart;
  }

  function matrix(spec, fig) {
    fig.frame.style.height = '520px';
    const data = spec.x.map((x, i) => ({x, y: spec.p50[i]}));
    const style = 'auto';
    // Axes that hold every whisker: P5–P95 on the log y axis, the share's P5–P95 on x.
    const xs = spec.x.concat(spec.x_lo || [], spec.x_hi || []), pad = 0.06 * (Math.max(...xs) - Math.min(...xs) || 1);
    const ymin = Math.min(...spec.p5.filter((v) => v > 0)), ymax = Math.max(...spec.p95);
    return new Chart(fig.canvas, {
      type: 'scatter',
      data: {datasets: [{label: '', data, $legend: false, pointRadius: spec.market_stars.map((s) => 3 + 1.6 * s),
                         backgroundColor: spec.colors, borderColor: spec.colors, $colors: spec.colors,
                         $whiskers: {lo: spec.p5, hi: spec.p95}, $xwhiskers: spec.x_lo ? {lo: spec.x_lo, hi: spec.x_hi} : null}]},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, layout: {padding: {right: 30}},
        plugins: {
          title: title(spec.title), legend: {display: false},
          tooltip: {callbacks: {label(ctx) {
            const k = ctx.dataIndex;
            return `${k + 1}. ${spec.cell[k]}: P50 ${formatNumber(spec.p50[k], style)} [${formatNumber(spec.p5[k], style)}, ` +
                   `${formatNumber(spec.p95[k], style)}], ${spec.market_stars[k]}★`;
          }}},
        },
        scales: {
          x: {title: title(spec.xlabel), min: Math.min(...xs) - pad, max: Math.max(...xs) + 3 * pad,
              ticks: spec.x_style === 'plain' ? {} : ticks('auto', false)},
          y: {type: 'logarithmic', min: ymin / 1.25, max: ymax * 1.25, title: title(spec.ylabel), ticks: ticks(style, true)},
        },
      },
      plugins: [background, extras],
    });
  }

  // The output against one input at a time (a select switches between its strongest drivers).
  function scatter(spec, fig) {
    fig.frame.style.height = '440px';
    const pick = (k) => spec.inputs[k].x.map((x, i) => ({x, y: spec.y[i]}));
    const chart = new Chart(fig.canvas, {
      type: 'scatter',
      data: {datasets: [{label: '', data: pick(0), $legend: false, pointRadius: 2, borderWidth: 0,
                         backgroundColor: rgba(BLUE, 0.35)}]},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: {title: title(spec.title), legend: {display: false}, tooltip: {callbacks: {label(ctx) {
          const inp = spec.inputs[chart.$input || 0];
          return `${inp.name} ${formatNumber(ctx.parsed.x, inp.style)}, ${spec.variable} ${formatNumber(ctx.parsed.y, spec.style)}`;
        }}}},
        scales: {x: {title: title(`${spec.inputs[0].xlabel} (ρ = ${spec.inputs[0].rho.toFixed(2)})`), ticks: ticks(spec.inputs[0].style, false)},
                 y: {title: title(spec.ylabel), ticks: ticks(spec.style, false)}},
      },
      plugins: [background, extras],
    });
    const label = document.createElement('label');
    label.className = 'readout';
    label.textContent = spec.choose + ': ';
    const select = document.createElement('select');
    spec.inputs.forEach((inp, k) => select.add(new Option(`${inp.name} (ρ = ${inp.rho.toFixed(2)})`, k)));
    select.addEventListener('change', () => {
      const k = Number(select.value), inp = spec.inputs[k];
      chart.$input = k;
      chart.data.datasets[0].data = pick(k);
      chart.options.scales.x.title = title(`${inp.xlabel} (ρ = ${inp.rho.toFixed(2)})`);
      chart.options.scales.x.ticks = ticks(inp.style, false);
      chart.update();
    });
    label.appendChild(select);
    fig.el.insertBefore(label, fig.el.querySelector('figcaption'));
    return chart;
  }

  const KINDS = {distribution, bars, fan, matrix, scatter};
  const charts = {};

  function render(el) {
    const name = el.dataset.chart;
    if (charts[name] || !DATA.charts[name]) return charts[name];
    const spec = DATA.charts[name];
    const fig = {el, frame: el.querySelector('.frame'), canvas: el.querySelector('canvas'),
                 note(text) {
                   const p = document.createElement('div');
                   p.className = 'note';
                   p.textContent = text;
                   el.insertBefore(p, el.querySelector('figcaption'));
                 }};
    SPECS.set(fig.canvas, spec);
    const chart = KINDS[spec.kind](spec, fig);
    chart.$spec = spec;
    chart.update();
    charts[name] = chart;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'png';
    button.textContent = W.png;
    button.addEventListener('click', () => {
      const a = document.createElement('a');
      a.href = chart.toBase64Image('image/png', 1);
      a.download = name;
      a.click();
    });
    el.querySelector('figcaption').appendChild(button);
    return chart;
  }
  function renderAll() {
    document.querySelectorAll('figure.chart').forEach(render);
    return Object.keys(charts).length;
  }
  Chart.defaults.font.family = 'system-ui, sans-serif';
  Chart.defaults.color = '#222';
  if ('IntersectionObserver' in window) {
    const seen = new IntersectionObserver((entries) => {
      for (const e of entries) if (e.isIntersecting) { seen.unobserve(e.target); render(e.target); }
    }, {rootMargin: '400px 0px'});
    document.querySelectorAll('figure.chart').forEach((el) => seen.observe(el));
  } else {
    renderAll();
  }
  window.addEventListener('beforeprint', renderAll);
  window.tamcarlo = {charts, render, renderAll, cdfAt, formatNumber, formatTicks, parseValue, data: DATA};
})();
