// Small SVG trend charts for the Marrow CDS app (written here, no charting library).
// Values arrive normalised by the service (its own UCUM conversion); nothing is converted here.
'use strict';

const MarrowCharts = (() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const W = 300;
  const H = 150;
  const M = { top: 10, right: 8, bottom: 22, left: 40 };
  // Colour-blind safe (Okabe-Ito) with shape as a second cue: circle / square per series.
  const SERIES_COLOURS = ['#0072B2', '#D55E00'];
  const DAY = 86400000;

  function el(name, attrs = {}, parent = null) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(tag, attrs = {}, text = null) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    if (text !== null) node.textContent = text;
    return node;
  }

  function fmtDate(iso) {
    return iso.slice(0, 10);
  }

  function niceNumber(value) {
    return Number(value.toPrecision(3)).toString();
  }

  // The range band: the newest point's own range where the lab sent one, else the default.
  function rangeOf(series) {
    const last = series.points[series.points.length - 1];
    const low = last && last.low !== null ? last.low : series.defaultRange.low;
    const high = last && last.high !== null ? last.high : series.defaultRange.high;
    return { low, high };
  }

  function render(chart, { asOf, years, onSelect }) {
    const figure = html('figure', { class: 'chart', 'data-chart': chart.key });
    const total = chart.series.reduce((n, s) => n + s.points.length, 0);
    figure.dataset.points = String(total);
    const caption = html('figcaption');
    caption.appendChild(html('span', { class: 'chart-title' }, chart.label));
    if (chart.unit) caption.appendChild(html('span', { class: 'chart-unit' }, ` (${chart.unit})`));
    figure.appendChild(caption);

    const end = new Date(asOf).getTime();
    const start = end - years * 365.25 * DAY;
    // a log scale draws log10 of every value (all positive there: ratios)
    const log = chart.scale === 'log';
    const f = log ? (v) => Math.log10(Math.max(v, 1e-6)) : (v) => v;
    const values = chart.series.flatMap((s) => s.points.map((p) => f(p.value)));
    const primary = rangeOf(chart.series[0]);
    const bounds = [...values];
    for (const v of [primary.low, primary.high]) if (v !== null && v !== undefined) bounds.push(f(v));
    let lo = bounds.length ? Math.min(...bounds) : 0;
    let hi = bounds.length ? Math.max(...bounds) : 1;
    // thresholds close to the data are drawn; the others are listed under the chart
    const near = (v) => v >= lo - (hi - lo) * 0.6 && v <= hi + (hi - lo) * 0.6;
    // thresholds at the same value drawn once, their labels joined
    const merged = [];
    for (const t of chart.thresholds) {
      const same = merged.find((m) => Math.abs(m.value - t.value) < 1e-9);
      if (same) same.label += '; ' + t.label; else merged.push({ ...t, at: f(t.value) });
    }
    const shown = merged.filter((t) => near(t.at));
    const offChart = merged.filter((t) => !near(t.at));
    for (const t of shown) { lo = Math.min(lo, t.at); hi = Math.max(hi, t.at); }
    if (hi === lo) { hi += 1; lo = Math.max(0, lo - 1); }
    const pad = (hi - lo) * 0.08;
    const floor = !log && Math.min(...bounds, ...shown.map((t) => t.at)) >= 0 ? 0 : -Infinity;
    lo = Math.max(lo - pad, floor); hi += pad;

    const x = (iso) => M.left + ((new Date(iso).getTime() - start) / (end - start)) * (W - M.left - M.right);
    const y = (v) => M.top + (1 - (f(v) - lo) / (hi - lo)) * (H - M.top - M.bottom);
    const yAt = (at) => M.top + (1 - (at - lo) / (hi - lo)) * (H - M.top - M.bottom);

    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'group',
      'aria-label': `${chart.label}: ${total} result${total === 1 ? '' : 's'}` });
    figure.appendChild(svg);

    // reference range band
    if (primary.low !== null || primary.high !== null) {
      const top = primary.high !== null ? y(primary.high) : yAt(hi);
      const bottom = primary.low !== null ? y(primary.low) : yAt(lo);
      el('rect', { x: M.left, y: top, width: W - M.left - M.right, height: Math.max(bottom - top, 0),
        class: 'range-band' }, svg);
    }
    // axes and ticks
    el('line', { x1: M.left, y1: H - M.bottom, x2: W - M.right, y2: H - M.bottom, class: 'axis' }, svg);
    el('line', { x1: M.left, y1: M.top, x2: M.left, y2: H - M.bottom, class: 'axis' }, svg);
    for (let i = 0; i <= 3; i += 1) {
      const at = lo + ((hi - lo) * i) / 3;
      el('text', { x: M.left - 4, y: yAt(at) + 4, class: 'tick', 'text-anchor': 'end' }, svg)
        .textContent = niceNumber(log ? 10 ** at : at);
    }
    for (let i = 0; i <= years; i += 1) {
      const t = new Date(start + ((end - start) * i) / years).toISOString();
      el('text', { x: x(t), y: H - 8, class: 'tick', 'text-anchor': i === 0 ? 'start' : i === years ? 'end' : 'middle' }, svg)
        .textContent = t.slice(0, 7);
    }
    // decision thresholds
    for (const t of shown) {
      el('line', { x1: M.left, x2: W - M.right, y1: y(t.value), y2: y(t.value), class: 'threshold' }, svg);
      const label = el('text', { x: W - M.right - 2, y: y(t.value) - 3, class: 'threshold-label', 'text-anchor': 'end' }, svg);
      label.textContent = t.label;
    }
    // series: line and points
    chart.series.forEach((series, index) => {
      const colour = SERIES_COLOURS[index % SERIES_COLOURS.length];
      if (series.points.length > 1) {
        el('polyline', { points: series.points.map((p) => `${x(p.date)},${y(p.value)}`).join(' '),
          class: 'series-line', stroke: colour }, svg);
      }
      for (const point of series.points) {
        const label = `${series.label} ${point.shown} ${series.unit} on ${fmtDate(point.date)}` +
          (point.computed ? ' (computed)' : '') + `, ${point.reference}`;
        const shape = index === 0
          ? el('circle', { cx: x(point.date), cy: y(point.value), r: 5 }, svg)
          : el('rect', { x: x(point.date) - 4.5, y: y(point.value) - 4.5, width: 9, height: 9 }, svg);
        shape.setAttribute('class', 'point');
        shape.setAttribute('fill', colour);
        shape.setAttribute('tabindex', '0');
        shape.setAttribute('role', 'button');
        shape.setAttribute('aria-label', label);
        shape.dataset.reference = point.reference;
        el('title', {}, shape).textContent = label;
        const select = () => onSelect(series, point);
        shape.addEventListener('click', select);
        shape.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); select(); }
        });
      }
    });
    // legend of the series, thresholds off the chart, and the values as a table
    if (chart.series.length > 1) {
      const legend = html('p', { class: 'series-legend' });
      chart.series.forEach((s, i) => {
        const key = html('span', { class: `key key-${i}` });
        key.style.setProperty('--c', SERIES_COLOURS[i]);
        legend.appendChild(key);
        legend.appendChild(document.createTextNode(` ${s.label} (${s.points.length})  `));
      });
      figure.appendChild(legend);
    }
    if (offChart.length) {
      figure.appendChild(html('p', { class: 'off-chart' },
        `Also a threshold: ${offChart.map((t) => t.label).join('; ')}.`));
    }
    if (total === 0) figure.appendChild(html('p', { class: 'empty' }, `No results in the last ${years} years.`));
    // the same values as a table, for screen readers (the chart is a picture of it)
    const table = html('table', { class: 'sr-only' });
    table.appendChild(html('caption', {}, `${chart.label}, ${chart.unit || 'ratio'}`));
    const head = html('tr');
    for (const name of ['Date', 'Test', 'Value', 'Resource']) head.appendChild(html('th', { scope: 'col' }, name));
    table.appendChild(head);
    for (const series of chart.series) {
      for (const point of series.points) {
        const row = html('tr');
        for (const cell of [fmtDate(point.date), series.label, point.shown, point.reference]) row.appendChild(html('td', {}, cell));
        table.appendChild(row);
      }
    }
    figure.appendChild(table);
    return figure;
  }

  return { render };
})();
