// Alerts: every out-of-stock or low-stock item across the user's stores, newest first.
// The view keeps what it shows in one state object; the functions that draw it are pure.
import { downloadCsv, toCsv } from '../csv.js';
import { h, messageBox, replace } from '../dom.js';
import { formatAgo, formatCount, formatTime, isoOrNull } from '../format.js';
import { latest } from '../latest.js';
import { countColumn, itemColumn, statusColumn, thresholdColumn } from '../columns.js';
import { compareBy, dataTable } from '../table.js';

const COLUMNS = [
  itemColumn,
  { key: 'store', header: 'Store', value: (row) => row.store },
  countColumn,
  statusColumn,
  thresholdColumn,
  {
    key: 'updated_at',
    header: 'Since',
    value: (row) => row.updated_at,
    render: (row) => h('time', { datetime: isoOrNull(row.updated_at), title: formatTime(row.updated_at) }, formatAgo(row.updated_at)),
  },
];

/** What the view shows before its first answer: nothing yet (alerts null). */
export function initialState() {
  return { params: {}, stores: [], alerts: null, error: null };
}

/** The state after an answer: the stores, and the alerts newest first whatever order the service returned. */
export function answered(state, { stores, alerts }) {
  const newest = [...alerts].sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
  return { ...state, stores, alerts: newest, error: null };
}

/** The alerts shown: the chosen store's (or all), in the chosen column's order. */
export function visibleAlerts({ params, alerts }) {
  const rows = params.store ? alerts.filter((a) => a.store === params.store) : alerts;
  const column = COLUMNS.find((c) => c.key === params.sort);
  return column ? [...rows].sort(compareBy(column, params.dir)) : rows;
}

/** How many of the rows are out of stock and how many low. */
export function summaryText(rows) {
  const out = rows.filter((a) => a.status === 'out').length;
  const low = rows.filter((a) => a.status === 'low').length;
  return `${formatCount(out)} out of stock, ${formatCount(low)} low.`;
}

/** The store filter's choices: all of them, then each store. */
export function storeOptions(stores) {
  return [h('option', { value: '' }, 'All my stores'), ...stores.map((s) => h('option', { value: s.store }, s.store))];
}

export function mount(root, ctx) {
  let state = initialState();
  let storesShown = null;
  const status = h(
    'select',
    { id: 'alerts-status', name: 'status' },
    h('option', { value: '' }, 'Out and low'),
    h('option', { value: 'out' }, 'Out of stock only'),
    h('option', { value: 'low' }, 'Low stock only'),
  );
  const storeSelect = h('select', { id: 'alerts-store', name: 'store' });
  const exportButton = h('button', { type: 'button', class: 'button' }, 'Export CSV');
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter alerts' },
    h('div', { class: 'field' }, h('label', { for: 'alerts-status' }, 'Show'), status),
    h('div', { class: 'field' }, h('label', { for: 'alerts-store' }, 'Store'), storeSelect),
  );
  const summary = h('p', { class: 'summary', role: 'status' });
  const messages = h('div', { class: 'messages' });
  const table = dataTable({
    caption: 'Out-of-stock and low-stock items, newest first',
    label: 'Alerts table',
    columns: COLUMNS,
    onSort: (sort, dir) => ctx.go('alerts', { ...state.params, sort, dir }, { replace: true }),
  });
  replace(root, form, messages, summary, table.element, h('div', { class: 'table-footer' }, exportButton));

  form.addEventListener('submit', (event) => event.preventDefault());
  for (const select of [status, storeSelect]) {
    select.addEventListener('change', () => ctx.go('alerts', { ...state.params, status: status.value, store: storeSelect.value }));
  }
  exportButton.addEventListener('click', () => {
    downloadCsv('alerts.csv', toCsv(COLUMNS.map((c) => ({ header: c.key, value: c.value })), visibleAlerts(state)));
    ctx.announce('Exported the alerts as CSV.');
  });

  function renderFilters() {
    status.value = state.params.status || '';
    // The store choices are rebuilt only when the stores change, so a focused select keeps its focus.
    if (state.stores !== storesShown) replace(storeSelect, storeOptions(state.stores));
    storesShown = state.stores;
    storeSelect.value = state.params.store || '';
  }

  function render() {
    const { params } = state;
    renderFilters();
    replace(messages, state.error ? messageBox('error', state.error) : null);
    if (state.alerts === null) return;
    const rows = visibleAlerts(state);
    table.setSort(params.sort, params.dir);
    table.setRows(rows, 'No alerts: every item is in stock.');
    summary.textContent = summaryText(rows);
    exportButton.disabled = !rows.length;
  }

  // A newer load (another status) aborts this one: only the newest answer is shown.
  const loads = latest();

  async function load() {
    const { status: wanted } = state.params;
    table.setBusy(true);
    try {
      await loads.run(
        (signal) => Promise.all([ctx.getStores(), ctx.api.alerts({ status: wanted }, { signal })]),
        ([stores, body]) => {
          state = answered(state, { stores, alerts: body.alerts });
          table.setBusy(false);
          render();
        },
      );
    } catch (error) {
      table.setBusy(false);
      if (!ctx.handleError(error)) {
        state = { ...state, error: error.message };
        render();
      }
      throw error;
    }
  }

  return {
    title: () => 'Alerts',
    update(next) {
      const reload = (next.status || '') !== (state.params.status || '') || !state.alerts?.length;
      state = { ...state, params: next };
      if (reload) {
        renderFilters(); // the rows wait for the answer
        return load();
      }
      render();
      return Promise.resolve();
    },
    refresh: load,
    destroy: () => loads.cancel(),
  };
}
