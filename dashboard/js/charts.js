// Inline SVG charts. Labels are SVG text nodes (never markup), and every chart has a
// text title and description for screen readers.
import { s } from './dom.js';
import { formatCount, formatTime } from './format.js';

let chartId = 0;

function truncate(text, max) {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

function accessibleSvg(attrs, title, description, ...children) {
  chartId += 1;
  const titleId = `chart-title-${chartId}`;
  const descId = `chart-desc-${chartId}`;
  return s(
    'svg',
    { ...attrs, role: 'img', 'aria-labelledby': `${titleId} ${descId}`, xmlns: 'http://www.w3.org/2000/svg' },
    s('title', { id: titleId }, title),
    s('desc', { id: descId }, description),
    ...children,
  );
}

const STATUS_WORD = { out: 'out', low: 'low' };

/** "3 d left", "5 h left", "under 1 h left", or '' when no forecast is known. */
export function formatDaysLeft(days) {
  if (typeof days !== 'number' || !Number.isFinite(days)) return '';
  if (days * 24 < 0.5) return 'under 1 h left';
  if (days < 1) return `${Math.round(days * 24)} h left`;
  return `${days < 10 ? Math.round(days * 10) / 10 : Math.round(days)} d left`;
}

/**
 * Horizontal bars of count by item, in the order given (the caller orders by urgency); out and
 * low items coloured and labelled in text, each item's low-stock level marked on its bar.
 * items: [{item, count, status, threshold?, days_left?}]; lowStockDefault marks items without their own level.
 */
export function stockBarChart(items, { title, lowStockDefault = null }) {
  const width = 720;
  const labelWidth = 200;
  const valueWidth = 140;
  const row = 26;
  const top = 8;
  const height = top * 2 + Math.max(items.length, 1) * row;
  const levelOf = (entry) => {
    const level = entry.threshold ?? lowStockDefault;
    return typeof level === 'number' && level >= 0 ? level : null;
  };
  const max = Math.max(1, ...items.map((entry) => Math.max(entry.count, levelOf(entry) ?? 0)));
  const plot = width - labelWidth - valueWidth;
  const out = items.filter((entry) => entry.status === 'out').length;
  const low = items.filter((entry) => entry.status === 'low').length;
  const description =
    `${items.length} items, most urgent first; ${out} out of stock, ${low} low. ` +
    'A thin mark on each bar shows the item’s low-stock level.';

  const bars = items.map((entry, index) => {
    const y = top + index * row;
    const barLength = entry.count > 0 ? Math.max(2, (entry.count / max) * plot) : 0;
    const mark = STATUS_WORD[entry.status];
    const left = formatDaysLeft(entry.days_left);
    const level = levelOf(entry);
    const label = [formatCount(entry.count), mark, left].filter(Boolean).join(' · ');
    const levelX = level === null ? null : labelWidth + (level / max) * plot;
    return s(
      'g',
      { class: `bar bar-${entry.status}`, 'data-item': entry.item },
      s(
        'title',
        {},
        `${entry.item}: ${formatCount(entry.count)}${mark ? ` (${mark === 'out' ? 'out of stock' : 'low stock'})` : ''}` +
          `${level === null ? '' : `; low at ${formatCount(level)}`}${left ? `; ${left}` : ''}`,
      ),
      s('text', { x: labelWidth - 8, y: y + row / 2, class: 'bar-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' }, truncate(entry.item, 26)),
      s('rect', { x: labelWidth, y: y + 4, width: barLength, height: row - 8, rx: 2, class: 'bar-rect' }),
      entry.status === 'out'
        ? s('rect', { x: labelWidth, y: y + 4, width: 4, height: row - 8, class: 'bar-out-mark' })
        : null,
      levelX === null
        ? null
        : s('line', { x1: levelX, x2: levelX, y1: y + 1, y2: y + row - 1, class: 'bar-threshold', 'data-threshold': String(level) }),
      s('text', { x: Math.max(labelWidth + barLength, levelX ?? 0) + 6, y: y + row / 2, class: 'bar-value', 'dominant-baseline': 'middle' }, label),
    );
  });

  return accessibleSvg(
    { viewBox: `0 0 ${width} ${height}`, class: 'chart chart-bars', preserveAspectRatio: 'xMinYMin meet' },
    title,
    description,
    s('line', { x1: labelWidth, x2: labelWidth, y1: top, y2: height - top, class: 'axis' }),
    ...bars,
  );
}

/** A time-axis label as precise as the span needs: seconds, minutes or days. */
function tickLabel(time, span) {
  const date = new Date(time);
  if (span < 3600_000) return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (span < 3 * 86400_000) {
    return `${date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`;
  }
  return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

function niceMax(value) {
  if (value <= 5) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

/**
 * The projected line of a forecast ({count, rate_per_day, runs_out_at}): from the last moment the count
 * was known (runs_out_at less its cover at that count) down to 0 at runs_out_at. null when unknown.
 */
export function forecastSegment(forecast) {
  const end = forecast ? Date.parse(forecast.runs_out_at) : Number.NaN;
  const rate = forecast?.rate_per_day;
  if (Number.isNaN(end) || typeof rate !== 'number' || rate <= 0 || typeof forecast.count !== 'number') return null;
  const start = end - (Math.max(0, forecast.count) / rate) * 86400_000;
  return { start, end, count: forecast.count };
}

/**
 * Count over time as a step line (a count holds until the next change).
 * points: [{time, count}] oldest first; threshold: optional low-stock level line; forecast: the item's
 * forecast ({count, rate_per_day, runs_out_at}), drawn dashed down to 0 where it runs out.
 */
export function historyChart(points, { title, from, to, threshold, forecast, width = 720 }) {
  // Drawn at the width it is shown (the caller passes its frame's), so its text keeps its real size
  // on a phone instead of shrinking with a scaled-down drawing.
  const height = width < 480 ? 240 : 300;
  const margin = { left: 52, right: 16, top: 16, bottom: 40 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const times = points.map((p) => new Date(p.time).getTime());
  const projected = forecastSegment(forecast);
  // The time axis starts at the first recorded change (or the period's start when there is
  // none), so a short history fills the chart instead of hugging its right edge; a forecast
  // stretches it to the moment the item runs out.
  const end = Math.max(to ?? 0, ...times, projected?.end ?? 0);
  const start = Math.min(times.length ? times[0] : from ?? end, end - 60_000);
  const yMax = niceMax(Math.max(1, threshold ?? 0, projected?.count ?? 0, ...points.map((p) => p.count)));
  const x = (t) => margin.left + ((t - start) / (end - start)) * plotW;
  const y = (c) => margin.top + plotH - (c / yMax) * plotH;

  let path = '';
  points.forEach((p, index) => {
    const px = x(times[index]);
    const py = y(p.count);
    path += index === 0 ? `M${px},${py}` : `H${px}V${py}`;
  });
  if (points.length) path += `H${x(end)}`;

  const yTicks = [0, 0.2, 0.4, 0.6, 0.8, 1].map((f) => Math.round(f * yMax));
  // As many time labels as fit side by side.
  const fractions = width < 400 ? [0, 1] : width < 560 ? [0, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1];
  const xTicks = fractions.map((f) => start + f * (end - start));
  const first = points[0];
  const last = points[points.length - 1];
  const runsOut = projected ? formatTime(new Date(projected.end).toISOString()) : '';
  const description =
    (points.length
      ? `${points.length} changes from ${formatTime(first.time)} to ${formatTime(last.time)}; count went from ${formatCount(first.count)} to ${formatCount(last.count)}.`
      : 'No changes in this period.') + (projected ? ` At its recent rate it runs out around ${runsOut} (dashed line).` : '');
  // The projection starts where the count was last known (or at the chart's left edge, on its way down).
  const lineStart = projected ? Math.max(start, projected.start) : 0;
  const lineCount = projected ? projected.count * ((projected.end - lineStart) / (projected.end - projected.start || 1)) : 0;
  // The label sits at the line's end, inside the plot whichever side that is.
  const labelAnchor = projected && x(projected.end) > margin.left + plotW / 2 ? 'end' : 'start';

  return accessibleSvg(
    { viewBox: `0 0 ${width} ${height}`, class: 'chart chart-history' },
    title,
    description,
    ...yTicks.map((tick) =>
      s(
        'g',
        { class: 'tick' },
        s('line', { x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick), class: 'grid' }),
        s('text', { x: margin.left - 8, y: y(tick), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, formatCount(tick)),
      ),
    ),
    ...xTicks.map((tick, index) =>
      s(
        'text',
        { x: x(tick), y: height - 14, 'text-anchor': index === 0 ? 'start' : index === xTicks.length - 1 ? 'end' : 'middle', class: 'tick' },
        tickLabel(tick, end - start),
      ),
    ),
    threshold !== undefined && threshold !== null
      ? s(
          'g',
          { class: 'threshold' },
          s('line', { x1: margin.left, x2: width - margin.right, y1: y(threshold), y2: y(threshold) }),
          s('text', { x: width - margin.right, y: y(threshold) - 6, 'text-anchor': 'end' }, `low at ${formatCount(threshold)}`),
        )
      : null,
    s('path', { d: path, class: 'history-line' }),
    projected
      ? s(
          'g',
          { class: 'forecast', 'data-runs-out-at': new Date(projected.end).toISOString() },
          s('title', {}, `Forecast: ${formatCount(projected.count)} now, runs out around ${runsOut}`),
          s('line', { x1: x(lineStart), y1: y(lineCount), x2: x(projected.end), y2: y(0), class: 'forecast-line' }),
          // A diamond, not a circle: the circles are the recorded counts.
          s('path', { d: `M${x(projected.end)},${y(0) - 5}l5,5l-5,5l-5,-5z`, class: 'forecast-end' }),
          // Above the low-stock line's own label, which sits just over the axis.
          s('text', { x: x(projected.end) + (labelAnchor === 'end' ? -6 : 6), y: y(0) - 26, 'text-anchor': labelAnchor, class: 'forecast-label' }, `runs out ~${runsOut}`),
        )
      : null,
    ...points.map((p, index) =>
      s(
        'circle',
        { cx: x(times[index]), cy: y(p.count), r: 4, class: p.count <= 0 ? 'point point-out' : 'point' },
        s('title', {}, `${formatTime(p.time)}: ${formatCount(p.count)}`),
      ),
    ),
  );
}
