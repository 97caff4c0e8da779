// Order: what to order within the order cycle, per store and grouped by supplier, soonest order-by
// first (GET /reorder), and a CSV purchase list of what is shown. Each line says why.
// The view keeps what it shows in one state object; the functions that draw it are pure.
import { downloadCsv, fileSafe, toCsv } from '../csv.js';
import { h, messageBox, replace } from '../dom.js';
import { formatCount, formatRate, formatTime, isoOrNull } from '../format.js';
import { itemColumn } from '../columns.js';
import { latest } from '../latest.js';
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

/** What the view shows before its first answer: nothing to order yet (answer null). `loadedFor`: the store read. */
export function initialState() {
  return { params: {}, store: '', stores: [], answer: null, loadedFor: null, orders: [], error: null };
}

/**
 * The store shown ('': all the caller's stores): the URL's ("all" for all), else for head office
 * the store last looked at (every store at once is a long read), else all.
 */
export function chosenStore(params, { admin, lastStore }) {
  if (params.store === 'all') return '';
  return params.store || (admin ? lastStore || '' : '');
}

/** The state after an answer read for `store`: one store's answer names its store once, so each row gets it. */
export function answered(state, { store, stores, body }) {
  const orders = store ? body.items.map((row) => ({ ...row, store: body.store })) : body.items;
  return { ...state, stores, answer: body, loadedFor: store, orders, error: null };
}

/** The rows shown, as the page lists them: store, then supplier, then the chosen order (soonest order-by first). */
export function shownOrders({ params, store, orders }) {
  let rows = store ? orders.filter((row) => row.store === store) : orders;
  const column = COLUMNS.find((c) => c.key === params.sort);
  if (column) rows = [...rows].sort(compareBy(column, params.dir));
  return groupOrders(rows).flatMap((group) => group.suppliers.flatMap((supplier) => supplier.items));
}

/** How many items to order within the cycle, or that there is nothing to order (and that only items seen being used
 * up are suggested, so an item out of stock with no history of use is not "nothing to order" by mistake). */
export function summaryText(rows, answer) {
  const cycle = answer ? answer.cycle_days : 7;
  return rows.length
    ? `${formatCount(rows.length)} ${rows.length === 1 ? 'item' : 'items'} to order within ${cycle} days, soonest first, grouped by supplier.`
    : `Nothing to order within ${cycle} days. Only items seen being used up are suggested: check the Overview for items out of stock or low.`;
}

/** What the quantities cover, from the answer's order cycle and service level. */
export function basisText(answer) {
  return (
    `Quantities cover demand until the next order arrives (lead time plus ${answer.cycle_days} days), with safety stock for ` +
    `${Math.round(answer.service_level * 100)}% of cycles without a stockout, rounded up to whole packs.`
  );
}

/** A supplier's heading: its name (or that none was given), how many items and units. */
export function supplierHeading(supplier, items) {
  const units = items.reduce((sum, row) => sum + row.quantity, 0);
  const count = `${formatCount(items.length)} ${items.length === 1 ? 'item' : 'items'}, ${formatCount(units)} units`;
  return h('h3', {}, supplier || NO_SUPPLIER, h('span', { class: 'muted' }, ` · ${count}`));
}

export function mount(root, ctx) {
  let state = initialState();
  let storesShown = null;
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
  storeSelect.addEventListener('change', () => ctx.go('order', { ...state.params, store: storeSelect.value || 'all' }));
  exportButton.addEventListener('click', () => {
    const name = state.store ? `purchase-list-${fileSafe(state.store)}.csv` : 'purchase-list.csv';
    downloadCsv(name, toCsv(CSV_COLUMNS, shownOrders(state)));
    ctx.announce('Exported the purchase list as CSV.');
  });

  function supplierTable(store, supplier, items) {
    const table = dataTable({
      caption: `${store}: order from ${supplier || NO_SUPPLIER}`,
      label: `${store}, ${supplier || NO_SUPPLIER}`,
      columns: COLUMNS,
      onSort: (sort, dir) => ctx.go('order', { ...state.params, sort, dir }, { replace: true }),
    });
    table.setSort(state.params.sort, state.params.dir);
    table.setRows(items, '');
    return h('section', { class: 'order-supplier', 'data-supplier': supplier }, supplierHeading(supplier, items), table.element);
  }

  function render() {
    // The store choices are rebuilt only when the stores change, so a focused select keeps its focus.
    if (state.stores !== storesShown) {
      replace(storeSelect, h('option', { value: 'all' }, 'All my stores'), state.stores.map((s) => h('option', { value: s.store }, s.store)));
    }
    storesShown = state.stores;
    storeSelect.value = state.store || 'all';
    replace(messages, state.error ? messageBox('error', state.error) : state.answer && h('p', { class: 'hint' }, basisText(state.answer)));
    if (!state.answer) return;
    const rows = shownOrders(state);
    summary.textContent = summaryText(rows, state.answer);
    replace(
      groupsEl,
      groupOrders(rows).map((group) =>
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

  // Another store chosen meanwhile aborts this read: only the newest answer is shown.
  const loads = latest();

  async function load() {
    const { store } = state;
    try {
      await loads.run(
        (signal) => Promise.all([ctx.getStores(), ctx.api.reorder(store, { signal })]),
        ([stores, body]) => {
          state = answered(state, { store, stores, body });
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
    title: () => 'Order',
    update(next) {
      const store = chosenStore(next, { admin: ctx.user.admin, lastStore: ctx.lastStore });
      if (store) ctx.rememberStore(store);
      const loaded = state.answer !== null && state.loadedFor === store;
      state = { ...state, params: next, store };
      if (loaded) {
        render();
        return Promise.resolve();
      }
      return load();
    },
    refresh: load,
    destroy: () => loads.cancel(),
  };
}
