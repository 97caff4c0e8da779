// Item detail: the count over time from the history endpoint, as a chart and a table, with the
// item and its forecast (GET /stores/{store}/items/{item}) drawn on the chart as a dashed line down to 0.
// The view keeps what it shows in one state object; the functions that draw it are pure.
import { ApiError } from '../api.js';
import { formatDaysLeft, historyChart } from '../charts.js';
import { h, messageBox, replace, statusBadge } from '../dom.js';
import { formatCount, formatRate, formatTime, isoOrNull } from '../format.js';
import { latest } from '../latest.js';
import { buildHash } from '../router.js';
import { runsOutSoon } from '../urgency.js';

const RANGES = [
  ['1d', 'Last 24 hours', 86400_000],
  ['7d', 'Last 7 days', 7 * 86400_000],
  ['30d', 'Last 30 days', 30 * 86400_000],
  ['90d', 'Last 90 days', 90 * 86400_000],
];
const DEFAULT_RANGE = '7d';

/** The period a range names, ending at `now` (ms): {from, to} in ms. An unknown range is the default. */
export function period(range, now) {
  const span = (RANGES.find(([value]) => value === (range || DEFAULT_RANGE)) || RANGES[1])[2];
  return { from: now - span, to: now };
}

/** What the view shows before its first answer: nothing yet. */
export function initialState() {
  return { params: {}, item: null, points: null, from: null, to: null, error: null };
}

/** The state for `params`: a period of the same item keeps what is shown until its answer; another item
 * starts from nothing, so a failed load never leaves the previous item's count and chart under the new title. */
export function navigated(state, params) {
  const same = state.params.store === params.store && state.params.item === params.item;
  return same ? { ...state, params, error: null } : { ...initialState(), params };
}

/** The state after an answer: the item (null: not found) with its forecast, and the period's history. */
export function answered(state, { item, points, from, to }) {
  return { ...state, item, points, from, to, error: null };
}

/** The item's count, status and low-stock level; null while unknown. */
export function renderCurrent(item) {
  if (!item) return null;
  return h(
    'p',
    { class: 'summary' },
    'Now ',
    h('strong', { class: 'big-count' }, formatCount(item.count)),
    ' ',
    statusBadge(item.status),
    item.threshold !== null && item.threshold !== undefined ? ` · low at ${formatCount(item.threshold)}` : ' · default low-stock level',
    ` · updated ${formatTime(item.updated_at)}`,
  );
}

/** When the item runs out, or why there is no forecast. */
export function renderForecast(forecast, { soonDays }) {
  if (!forecast) return h('p', { class: 'hint', id: 'item-forecast' }, 'No forecast: this item has not been seen being used up.');
  return h(
    'p',
    { class: 'summary forecast-summary', id: 'item-forecast' },
    'Forecast: ',
    h('strong', { class: runsOutSoon(forecast, { soonDays }) ? 'cover cover-soon' : 'cover' }, formatDaysLeft(forecast.days_left) || 'runs out now'),
    ` of cover, runs out around ${formatTime(forecast.runs_out_at)} · uses about ${formatRate(forecast.rate_per_day)} a day`,
  );
}

/** The count over the period as a chart (with the forecast and the low-stock line), drawn `width` wide. */
export function renderChart(state, { lowStockDefault }, width) {
  const { params, item, points, from, to } = state;
  const forecast = item?.forecast || null;
  if (!points.length) return messageBox('notice', 'No changes were recorded in this period.');
  return historyChart(points, {
    title: `Count of ${params.item} in ${params.store} over time${forecast ? ', with its forecast' : ''}`,
    from,
    to,
    threshold: item?.threshold ?? lowStockDefault,
    forecast,
    width,
  });
}

/** The changes of the period as table rows, newest first. */
export function renderChanges(points) {
  if (!points.length) return h('tr', {}, h('td', { colspan: '4', class: 'empty' }, 'No changes in this period.'));
  return [...points].reverse().map((p) => {
    const isNew = p.previous === null || p.previous === undefined;
    const change = isNew ? null : p.count - p.previous;
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('time', { datetime: isoOrNull(p.time) }, formatTime(p.time))),
      h('td', { class: 'num', 'data-label': 'Before' }, isNew ? h('span', { class: 'muted' }, 'new') : formatCount(p.previous)),
      h('td', { class: 'num', 'data-label': 'After' }, formatCount(p.count)),
      h('td', { class: 'num', 'data-label': 'Change' }, change === null ? '' : `${change > 0 ? '+' : ''}${formatCount(change)}`),
    );
  });
}

export function mount(root, ctx) {
  let state = initialState();
  const loads = latest();
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
  range.addEventListener('change', () => ctx.go('item', { ...state.params, range: range.value }));

  function render() {
    back.href = buildHash('items', { store: state.params.store });
    range.value = state.params.range || DEFAULT_RANGE;
    replace(messages, state.error ? messageBox('error', state.error) : null);
    if (state.points === null) {
      replace(current);
      replace(chartEl);
      replace(tbody);
      return;
    }
    replace(current, renderCurrent(state.item), renderForecast(state.item?.forecast, ctx.config));
    replace(chartEl, renderChart(state, ctx.config, Math.round(Math.min(720, Math.max(280, chartEl.clientWidth || 720)))));
    replace(tbody, renderChanges(state.points));
  }

  async function fetchItem({ store, item: name }, { from, to }, signal) {
    const history = ctx.api.history(store, name, { from: new Date(from).toISOString(), to: new Date(to).toISOString() }, { signal });
    // Its present count, threshold and forecast; a failure here (404: not in the store) leaves the history shown alone.
    const item = ctx.api.item(store, name, { signal }).catch((error) => (error instanceof ApiError ? null : Promise.reject(error)));
    const [body, found] = await Promise.all([history, item]);
    return { item: found, points: body.points || [], from, to };
  }

  async function load() {
    const { params } = state;
    try {
      await loads.run(
        (signal) => fetchItem(params, period(params.range, Date.now()), signal),
        (answer) => {
          state = answered(state, answer);
          render();
        },
      );
    } catch (error) {
      if (!ctx.handleError(error)) {
        state = { ...state, error: error.message };
        render();
      }
      throw error;
    }
  }

  return {
    title: (p) => (p.item ? `${p.item} · ${p.store}` : 'Item'),
    update(next) {
      state = navigated(state, next);
      ctx.rememberStore(next.store);
      if (!next.store || !next.item) {
        loads.cancel();
        state.error = 'No item was chosen. Pick one from the Items view.';
        render();
        return Promise.resolve();
      }
      render();
      return load();
    },
    refresh: load,
    destroy: () => loads.cancel(),
  };
}
