// Order: what to order within the order cycle, per store and grouped by supplier, soonest order-by
// first (GET /reorder), and a CSV purchase list of what is shown. Each line says why.
import { downloadCsv, fileSafe, toCsv } from '../csv.js';
import { h, messageBox, replace } from '../dom.js';
import { formatCount, formatRate, formatTime, isoOrNull } from '../format.js';
import { itemColumn } from '../columns.js';
import { compareBy, dataTable } from '../table.js';

const NO_SUPPLIER = 'No supplier given';

function orderBy(row, now) {
  const due = new Date(row.order_by).getTime();
  const text = due <= now ? 'Now' : formatTime(row.order_by);
  return h('time', { datetime: isoOrNull(row.order_by), title: formatTime(row.order_by), class: due <= now ? 'order-now' : null }, text);
}

const COLUMNS = [
  itemColumn,
  {
    key: 'quantity',
    header: 'Order',
    numeric: true,
    value: (row) => row.quantity,
    render: (row) => (row.pack_size > 1 ? `${formatCount(row.quantity)} (${formatCount(row.quantity / row.pack_size)} × ${row.pack_size})` : formatCount(row.quantity)),
  },
  { key: 'order_by', header: 'Order by', value: (row) => row.order_by, render: (row) => orderBy(row, Date.now()) },
  { key: 'on_hand', header: 'On hand', numeric: true, value: (row) => row.on_hand, render: (row) => formatCount(Math.round(row.on_hand)) },
  { key: 'rate_per_day', header: 'Sells a day', numeric: true, value: (row) => row.rate_per_day, render: (row) => formatRate(row.rate_per_day) },
  { key: 'why', header: 'Why', value: (row) => row.why, render: (row) => h('span', { class: 'order-why' }, row.why) },
];

// The purchase list: one line per item to order.
const CSV_COLUMNS = [
  { header: 'store', value: (row) => row.store },
  { header: 'supplier', value: (row) => row.supplier || '' },
  { header: 'item', value: (row) => row.item },
  { header: 'quantity', value: (row) => row.quantity },
  { header: 'pack_size', value: (row) => row.pack_size },
  { header: 'order_by', value: (row) => row.order_by },
];

/** Rows grouped by store, then supplier (suppliers by name, "no supplier" last); order kept within. */
export function groupOrders(rows) {
  const stores = new Map();
  for (const row of rows) {
    if (!stores.has(row.store)) stores.set(row.store, new Map());
    const suppliers = stores.get(row.store);
    const supplier = row.supplier || '';
    if (!suppliers.has(supplier)) suppliers.set(supplier, []);
    suppliers.get(supplier).push(row);
  }
  return [...stores.keys()].sort((a, b) => a.localeCompare(b)).map((store) => ({
    store,
    suppliers: [...stores.get(store).entries()]
      .sort(([a], [b]) => (a === '') - (b === '') || a.localeCompare(b))
      .map(([supplier, items]) => ({ supplier, items })),
  }));
}

export function mount(root, ctx) {
  let params = {};
  let orders = [];
  let answer = null;
  let loadedFor = null; // the store the orders were read for ('': all the caller's stores)
  let store = ''; // the store shown ('': all the caller's stores)
  const storeSelect = h('select', { id: 'order-store', name: 'store' });
  const exportButton = h('button', { type: 'button', class: 'button', id: 'order-export' }, 'Export purchase list (CSV)');
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Choose a store' },
    h('div', { class: 'field' }, h('label', { for: 'order-store' }, 'Store'), storeSelect),
  );
  const summary = h('p', { class: 'summary', role: 'status' });
  const messages = h('div', { class: 'messages' });
  const groupsEl = h('div', { class: 'order-groups' });
  replace(root, form, messages, summary, groupsEl, h('div', { class: 'table-footer' }, exportButton));

  form.addEventListener('submit', (event) => event.preventDefault());
  storeSelect.addEventListener('change', () => ctx.go('order', { ...params, store: storeSelect.value || 'all' }));
  exportButton.addEventListener('click', () => {
    const name = store ? `purchase-list-${fileSafe(store)}.csv` : 'purchase-list.csv';
    downloadCsv(name, toCsv(CSV_COLUMNS, shown()));
    ctx.announce('Exported the purchase list as CSV.');
  });

  function shown() {
    let rows = store ? orders.filter((row) => row.store === store) : orders;
    const column = COLUMNS.find((c) => c.key === params.sort);
    if (column) rows = [...rows].sort(compareBy(column, params.dir));
    // The export follows the page: store, then supplier, then the order shown (soonest order-by first).
    return groupOrders(rows).flatMap((group) => group.suppliers.flatMap((supplier) => supplier.items));
  }

  function supplierTable(store, supplier, items) {
    const name = supplier || NO_SUPPLIER;
    const table = dataTable({
      caption: `${store}: order from ${name}`,
      label: `${store}, ${name}`,
      columns: COLUMNS,
      onSort: (key) => {
        const dir = params.sort === key && params.dir !== 'desc' ? 'desc' : 'asc';
        ctx.go('order', { ...params, sort: key, dir }, { replace: true });
      },
    });
    table.setSort(params.sort, params.dir);
    table.setRows(items, '');
    const units = items.reduce((sum, row) => sum + row.quantity, 0);
    return h(
      'section',
      { class: 'order-supplier', 'data-supplier': supplier },
      h('h3', {}, name, h('span', { class: 'muted' }, ` · ${formatCount(items.length)} ${items.length === 1 ? 'item' : 'items'}, ${formatCount(units)} units`)),
      table.element,
    );
  }

  function render() {
    const rows = shown();
    const groups = groupOrders(rows);
    const cycle = answer ? answer.cycle_days : 7;
    summary.textContent = rows.length
      ? `${formatCount(rows.length)} ${rows.length === 1 ? 'item' : 'items'} to order within ${cycle} days, soonest first, grouped by supplier.`
      : `Nothing to order within ${cycle} days.`;
    replace(
      groupsEl,
      groups.map((group) =>
        h(
          'section',
          { class: 'panel order-store', 'data-store': group.store, 'aria-labelledby': `order-${fileSafe(group.store)}` },
          h('h2', { id: `order-${fileSafe(group.store)}` }, group.store),
          group.suppliers.map(({ supplier, items }) => supplierTable(group.store, supplier, items)),
        ),
      ),
    );
    exportButton.disabled = !rows.length;
  }

  async function load() {
    try {
      const wanted = store;
      const [stores, body] = await Promise.all([ctx.getStores(), ctx.api.reorder(wanted)]);
      replace(storeSelect, h('option', { value: 'all' }, 'All my stores'), stores.map((s) => h('option', { value: s.store }, s.store)));
      storeSelect.value = store || 'all';
      answer = body;
      orders = wanted ? body.items.map((row) => ({ ...row, store: body.store })) : body.items;
      loadedFor = wanted;
      replace(
        messages,
        h(
          'p',
          { class: 'hint' },
          `Quantities cover demand until the next order arrives (lead time plus ${body.cycle_days} days), with safety stock for ` +
            `${Math.round(body.service_level * 100)}% of cycles without a stockout, rounded up to whole packs.`,
        ),
      );
      render();
    } catch (error) {
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      throw error;
    }
  }

  return {
    title: () => 'Order',
    update(next) {
      params = next;
      // Head office opens on the store it last looked at: every store at once is a long read.
      const fallback = ctx.user.admin ? ctx.lastStore || '' : '';
      store = params.store === 'all' ? '' : params.store || fallback;
      if (store) ctx.rememberStore(store);
      if (answer && loadedFor === store) {
        storeSelect.value = store || 'all';
        render();
        return Promise.resolve();
      }
      return load();
    },
    refresh: load,
  };
}
