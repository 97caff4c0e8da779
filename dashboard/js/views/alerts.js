// Alerts: every out-of-stock or low-stock item across the user's stores, newest first.
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

export function mount(root, ctx) {
  let params = {};
  let alerts = [];
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
    onSort: (key) => {
      const dir = params.sort === key && params.dir !== 'desc' ? 'desc' : 'asc';
      ctx.go('alerts', { ...params, sort: key, dir }, { replace: true });
    },
  });
  replace(root, form, messages, summary, table.element, h('div', { class: 'table-footer' }, exportButton));

  form.addEventListener('submit', (event) => event.preventDefault());
  for (const select of [status, storeSelect]) {
    select.addEventListener('change', () => ctx.go('alerts', { ...params, status: status.value, store: storeSelect.value }));
  }
  exportButton.addEventListener('click', () => {
    downloadCsv('alerts.csv', toCsv(COLUMNS.map((c) => ({ header: c.key, value: c.value })), shown()));
    ctx.announce('Exported the alerts as CSV.');
  });

  function shown() {
    const rows = params.store ? alerts.filter((a) => a.store === params.store) : alerts;
    const column = COLUMNS.find((c) => c.key === params.sort);
    return column ? [...rows].sort(compareBy(column, params.dir)) : rows;
  }

  function render() {
    const rows = shown();
    table.setSort(params.sort, params.dir);
    table.setRows(rows, 'No alerts: every item is in stock.');
    const out = rows.filter((a) => a.status === 'out').length;
    const low = rows.filter((a) => a.status === 'low').length;
    summary.textContent = `${formatCount(out)} out of stock, ${formatCount(low)} low.`;
    exportButton.disabled = !rows.length;
  }

  // A newer load (another status) aborts this one: only the newest answer is shown.
  const loads = latest();

  function showAlerts([stores, body]) {
    replace(storeSelect, h('option', { value: '' }, 'All my stores'), stores.map((s) => h('option', { value: s.store }, s.store)));
    storeSelect.value = params.store || '';
    // Newest first, whatever order the service returned.
    alerts = [...body.alerts].sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
    replace(messages);
    table.setBusy(false);
    render();
  }

  async function load() {
    const { status: wanted } = params;
    table.setBusy(true);
    try {
      await loads.run((signal) => Promise.all([ctx.getStores(), ctx.api.alerts({ status: wanted }, { signal })]), showAlerts);
    } catch (error) {
      table.setBusy(false);
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      throw error;
    }
  }

  return {
    title: () => 'Alerts',
    update(next) {
      const reload = (next.status || '') !== (params.status || '') || !alerts.length;
      params = next;
      status.value = params.status || '';
      storeSelect.value = params.store || '';
      if (!reload) {
        render();
        return Promise.resolve();
      }
      return load();
    },
    refresh: load,
    destroy: () => loads.cancel(),
  };
}
