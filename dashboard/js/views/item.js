// Item detail: the count over time from the history endpoint, as a chart and a table, with the
// item's forecast (GET /stores/{store}/forecast) drawn on the chart as a dashed line down to 0.
import { formatDaysLeft, historyChart } from '../charts.js';
import { h, messageBox, replace, statusBadge } from '../dom.js';
import { formatCount, formatRate, formatTime, isoOrNull } from '../format.js';
import { buildHash } from '../router.js';
import { runsOutSoon } from '../urgency.js';

const RANGES = [
  ['1d', 'Last 24 hours', 86400_000],
  ['7d', 'Last 7 days', 7 * 86400_000],
  ['30d', 'Last 30 days', 30 * 86400_000],
  ['90d', 'Last 90 days', 90 * 86400_000],
];
const DEFAULT_RANGE = '7d';

export function mount(root, ctx) {
  let params = {};
  const back = h('a', { class: 'back-link' }, '← Back to items');
  const current = h('div', { class: 'item-current' });
  const range = h('select', { id: 'history-range' }, RANGES.map(([value, label]) => h('option', { value }, label)));
  const messages = h('div', { class: 'messages' });
  const chartEl = h('div', { class: 'chart-frame' });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'data-table' },
    h('caption', { class: 'visually-hidden' }, 'Changes in the period, newest first'),
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col', class: 'num' }, 'Before'), h('th', { scope: 'col', class: 'num' }, 'After'), h('th', { scope: 'col', class: 'num' }, 'Change')),
    ),
    tbody,
  );
  replace(
    root,
    h('p', {}, back),
    current,
    h('form', { class: 'filters', 'aria-label': 'Period' }, h('div', { class: 'field' }, h('label', { for: 'history-range' }, 'Period'), range)),
    messages,
    h('section', { class: 'panel', 'aria-labelledby': 'history-heading' }, h('h2', { id: 'history-heading' }, 'Count over time'), chartEl),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'changes-heading' },
      h('h2', { id: 'changes-heading' }, 'Changes'),
      h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Changes table' }, table),
    ),
  );
  range.addEventListener('change', () => ctx.go('item', { ...params, range: range.value }));

  async function currentItem() {
    // The item's present count and threshold (for the low-stock line), found by name.
    const body = await ctx.api.items(params.store, { q: params.item, limit: 500 });
    return body.items.find((row) => row.item === params.item) || null;
  }

  async function load() {
    const span = (RANGES.find(([value]) => value === (params.range || DEFAULT_RANGE)) || RANGES[1])[2];
    const to = new Date();
    const from = new Date(to.getTime() - span);
    try {
      const [body, item, forecast] = await Promise.all([
        ctx.api.history(params.store, params.item, { from: from.toISOString(), to: to.toISOString() }),
        currentItem().catch(() => null),
        // Items not being used up have no forecast; a store without forecasts answers 404.
        ctx.api
          .storeForecast(params.store)
          .then((answer) => answer.items.find((row) => row.item === params.item) || null)
          .catch(() => null),
      ]);
      replace(messages);
      replace(
        current,
        item
          ? h(
              'p',
              { class: 'summary' },
              'Now ',
              h('strong', { class: 'big-count' }, formatCount(item.count)),
              ' ',
              statusBadge(item.status),
              item.threshold !== null && item.threshold !== undefined ? ` · low at ${formatCount(item.threshold)}` : ' · default low-stock level',
              ` · updated ${formatTime(item.updated_at)}`,
            )
          : null,
        forecast
          ? h(
              'p',
              { class: 'summary forecast-summary', id: 'item-forecast' },
              'Forecast: ',
              h('strong', { class: runsOutSoon(forecast, ctx.config) ? 'cover cover-soon' : 'cover' }, formatDaysLeft(forecast.days_left) || 'runs out now'),
              ` of cover, runs out around ${formatTime(forecast.runs_out_at)} · uses about ${formatRate(forecast.rate_per_day)} a day`,
            )
          : h('p', { class: 'hint', id: 'item-forecast' }, 'No forecast: this item has not been seen being used up.'),
      );
      const points = body.points || [];
      replace(
        chartEl,
        points.length
          ? historyChart(points, {
              title: `Count of ${params.item} in ${params.store} over time${forecast ? ', with its forecast' : ''}`,
              from: from.getTime(),
              to: to.getTime(),
              threshold: item?.threshold ?? ctx.config.lowStockDefault,
              forecast,
              width: Math.round(Math.min(720, Math.max(280, chartEl.clientWidth || 720))),
            })
          : messageBox('notice', 'No changes were recorded in this period.'),
      );
      replace(
        tbody,
        points.length
          ? [...points].reverse().map((p) => {
              const change = p.previous === null || p.previous === undefined ? null : p.count - p.previous;
              return h(
                'tr',
                {},
                h('th', { scope: 'row' }, h('time', { datetime: isoOrNull(p.time) }, formatTime(p.time))),
                h('td', { class: 'num', 'data-label': 'Before' }, p.previous === null || p.previous === undefined ? h('span', { class: 'muted' }, 'new') : formatCount(p.previous)),
                h('td', { class: 'num', 'data-label': 'After' }, formatCount(p.count)),
                h('td', { class: 'num', 'data-label': 'Change' }, change === null ? '' : `${change > 0 ? '+' : ''}${formatCount(change)}`),
              );
            })
          : h('tr', {}, h('td', { colspan: '4', class: 'empty' }, 'No changes in this period.')),
      );
    } catch (error) {
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      throw error;
    }
  }

  return {
    title: (p) => (p.item ? `${p.item} · ${p.store}` : 'Item'),
    update(next) {
      params = next;
      ctx.rememberStore(params.store);
      back.href = buildHash('items', { store: params.store });
      range.value = params.range || DEFAULT_RANGE;
      if (!params.store || !params.item) {
        replace(messages, messageBox('error', 'No item was chosen. Pick one from the Items view.'));
        return Promise.resolve();
      }
      return load();
    },
    refresh: load,
  };
}
