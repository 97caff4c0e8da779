// Items: one store's items with search, status filter, sort by any column, paging and CSV export.
// Store, search, status, sort, page size and cursor all live in the URL.
// The view keeps what it shows in one state object; the functions that draw it are pure.
import { downloadCsv, fileSafe, toCsv } from '../csv.js';
import { h, messageBox, replace } from '../dom.js';
import { formatCount, formatTime, isoOrNull } from '../format.js';
import { countColumn, itemColumn, statusColumn, thresholdColumn } from '../columns.js';
import { compareBy, dataTable } from '../table.js';
import { formatDaysLeft } from '../charts.js';
import { latest } from '../latest.js';
import { daysLeft, runsOutSoon } from '../urgency.js';

const PAGE_SIZES = ['25', '50', '100', '200', 'all'];
const DEFAULT_LIMIT = '50';
// "All" loads page after page (the API's largest page) so sorting covers the whole store.
const ALL_PAGE = 500;
const ALL_CAP = 5000;
const SEARCH_DELAY_MS = 400;

// soonDays: days of cover at or under which a forecast is flagged as running out soon.
const columnsFor = (soonDays) => [
  itemColumn,
  countColumn,
  statusColumn,
  thresholdColumn,
  {
    key: 'days_left',
    header: 'Cover',
    numeric: true,
    value: (row) => daysLeft(row),
    render: (row) =>
      daysLeft(row) === null
        ? h('span', { class: 'muted' }, '—')
        : h('span', { class: runsOutSoon(row, { soonDays }) ? 'cover cover-soon' : 'cover' }, formatDaysLeft(row.days_left)),
  },
  {
    key: 'updated_at',
    header: 'Updated',
    value: (row) => row.updated_at,
    render: (row) => h('time', { datetime: isoOrNull(row.updated_at) }, formatTime(row.updated_at)),
  },
  { key: 'source_key', header: 'Source file', value: (row) => row.source_key, render: (row) => h('span', { class: 'filename' }, row.source_key || '') },
];

/** What the view shows before its first answer: no rows. */
export function initialState() {
  return { params: {}, rows: [], nextCursor: null, truncated: false };
}

/** The rows in the chosen column's order (the page's, or the whole store's with "All"). */
export function sortedRows({ params, rows }, columns) {
  const column = columns.find((c) => c.key === params.sort);
  return column ? [...rows].sort(compareBy(column, params.dir)) : rows;
}

/** What an empty table says: nothing matches the filters, or the store is empty. */
export function emptyText({ params }) {
  return params.q || params.status ? 'No items match these filters.' : 'This store has no items yet.';
}

/** Which items are shown ("Items 51–100, more on the next page."), or '' when none. */
export function summaryText({ params, rows, nextCursor, truncated }) {
  if (!rows.length) return '';
  const page = Number(params.page || 1);
  const all = params.limit === 'all';
  const first = all ? 1 : (page - 1) * Number(params.limit || DEFAULT_LIMIT) + 1;
  let text = `Items ${formatCount(first)}–${formatCount(first + rows.length - 1)}`;
  if (all) text = truncated ? `The first ${formatCount(rows.length)} items` : `All ${formatCount(rows.length)} items`;
  else if (nextCursor) text += ', more on the next page';
  if (params.sort && !all && (nextCursor || page > 1)) text += ' · sorted within this page (choose “All” rows to sort the whole store)';
  return `${text}.`;
}

/** The pager: this page's label and whether there is a page before and after it. */
export function pager({ params, nextCursor }) {
  const page = Number(params.page || 1);
  return { label: `Page ${page}`, hasPrevious: page > 1 || Boolean(params.cursor), hasNext: Boolean(nextCursor) };
}

export function mount(root, ctx) {
  const COLUMNS = columnsFor(ctx.config.soonDays);
  let state = initialState();
  // Cursors of the pages visited, so "Previous" can go back (the API pages forward only).
  let trail = { key: '', cursors: [] };

  const storeSelect = h('select', { id: 'items-store', name: 'store' });
  const search = h('input', { id: 'items-q', name: 'q', type: 'search', autocomplete: 'off', placeholder: 'Item name contains…' });
  const status = h(
    'select',
    { id: 'items-status', name: 'status' },
    h('option', { value: '' }, 'All statuses'),
    h('option', { value: 'out' }, 'Out of stock'),
    h('option', { value: 'low' }, 'Low stock'),
    h('option', { value: 'ok' }, 'In stock'),
  );
  const limit = h('select', { id: 'items-limit', name: 'limit' }, PAGE_SIZES.map((n) => h('option', { value: n }, n === 'all' ? 'All (up to 5,000)' : n)));
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter items' },
    h('div', { class: 'field' }, h('label', { for: 'items-store' }, 'Store'), storeSelect),
    h('div', { class: 'field field-grow' }, h('label', { for: 'items-q' }, 'Search'), search),
    h('div', { class: 'field' }, h('label', { for: 'items-status' }, 'Status'), status),
    h('div', { class: 'field' }, h('label', { for: 'items-limit' }, 'Rows per page'), limit),
    h('button', { type: 'submit', class: 'button' }, 'Apply'),
  );
  const summary = h('p', { class: 'summary', role: 'status' });
  const messages = h('div', { class: 'messages' });
  const table = dataTable({ caption: 'Items', label: 'Items table', columns: COLUMNS, onSort: sortBy });
  const prev = h('button', { type: 'button', class: 'button' }, '← Previous page');
  const next = h('button', { type: 'button', class: 'button' }, 'Next page →');
  const pageLabel = h('span', { class: 'page-label' });
  const exportButton = h('button', { type: 'button', class: 'button' }, 'Export CSV');
  replace(
    root,
    form,
    messages,
    summary,
    table.element,
    h('div', { class: 'table-footer' }, h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, pageLabel, next), exportButton),
  );

  function filters() {
    const { params } = state;
    return { store: params.store, q: params.q, status: params.status, limit: params.limit, sort: params.sort, dir: params.dir };
  }

  function go(changes, options) {
    ctx.go('items', { ...filters(), ...changes }, options);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go({ store: storeSelect.value, q: search.value.trim(), status: status.value, limit: limit.value, cursor: '', page: '' });
  });
  for (const select of [storeSelect, status, limit]) select.addEventListener('change', () => form.requestSubmit());
  let searchTimer = null;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      if (search.value.trim() !== (state.params.q || '')) go({ q: search.value.trim(), cursor: '', page: '' }, { replace: true });
    }, SEARCH_DELAY_MS);
  });

  function sortBy(sort, dir) {
    go({ sort, dir, cursor: state.params.cursor, page: state.params.page }, { replace: true });
  }

  prev.addEventListener('click', () => {
    const page = Number(state.params.page || 1);
    const cursor = page > 2 ? trail.cursors[page - 2] : '';
    go({ cursor: cursor || '', page: cursor ? page - 1 : '' });
  });
  next.addEventListener('click', () => {
    const { params, nextCursor } = state;
    if (!nextCursor) return;
    const page = Number(params.page || 1) + 1;
    trail.cursors[page - 1] = nextCursor;
    go({ cursor: nextCursor, page });
  });

  exportButton.addEventListener('click', () => {
    const csv = toCsv(
      ['store', 'item', 'count', 'threshold', 'status', 'days_left', 'updated_at', 'source_key'].map((key) => ({ header: key, value: (row) => row[key] })),
      sortedRows(state, COLUMNS),
    );
    const page = Number(state.params.page || 1);
    downloadCsv(`items-${fileSafe(state.params.store || 'store')}${page > 1 ? `-page${page}` : ''}.csv`, csv);
    ctx.announce(`Exported ${state.rows.length} items as CSV.`);
  });

  function render() {
    table.setSort(state.params.sort, state.params.dir);
    table.setRows(sortedRows(state, COLUMNS), emptyText(state));
    summary.textContent = summaryText(state);
    const pages = pager(state);
    pageLabel.textContent = pages.label;
    prev.disabled = !pages.hasPrevious;
    next.disabled = !pages.hasNext;
    exportButton.disabled = !state.rows.length;
  }

  // A newer load (another store, filter or page) aborts this one, so a slow answer for what the
  // user has left can never replace what they moved to.
  const loads = latest();

  function showStores(stores, store) {
    replace(storeSelect, stores.map((s) => h('option', { value: s.store }, s.store)));
    if (!store) return;
    storeSelect.value = store;
    if (!stores.some((s) => s.store === store)) storeSelect.prepend(h('option', { value: store, selected: true }, store));
  }

  async function fetchItems(wanted, signal) {
    const stores = await ctx.getStores();
    if (!signal.aborted) showStores(stores, wanted.store);
    const remembered = stores.some((s) => s.store === ctx.lastStore) ? ctx.lastStore : '';
    const store = wanted.store || remembered || stores[0]?.store;
    if (!store || !wanted.store) return { store };
    const query = { status: wanted.status, q: wanted.q };
    if (wanted.limit !== 'all') {
      const body = await ctx.api.items(store, { ...query, limit: wanted.limit || DEFAULT_LIMIT, cursor: wanted.cursor }, { signal });
      return { store, rows: body.items, truncated: false, nextCursor: body.next_cursor || null };
    }
    const loaded = [];
    let cursor;
    do {
      const body = await ctx.api.items(store, { ...query, limit: ALL_PAGE, cursor }, { signal });
      loaded.push(...body.items);
      cursor = body.next_cursor || null;
    } while (cursor && loaded.length < ALL_CAP);
    return { store, rows: loaded, truncated: Boolean(cursor), nextCursor: null };
  }

  function showItems(answer) {
    if (answer.store && !state.params.store) {
      go({ store: answer.store }, { replace: true }); // its load clears the busy mark
      return;
    }
    table.setBusy(false);
    if (!answer.store) {
      replace(messages, messageBox('notice', 'No stores are assigned to your account yet.'));
      state = { ...state, rows: [], nextCursor: null };
      render();
      return;
    }
    state = { ...state, rows: answer.rows, truncated: answer.truncated, nextCursor: answer.nextCursor };
    ctx.rememberStore(answer.store);
    replace(messages);
    render();
  }

  async function load() {
    const wanted = state.params;
    table.setBusy(true);
    try {
      await loads.run((signal) => fetchItems(wanted, signal), showItems);
    } catch (error) {
      table.setBusy(false);
      state = { ...state, rows: [], nextCursor: null };
      render();
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      throw error;
    }
  }

  return {
    title: (p) => (p.store ? `Items in ${p.store}` : 'Items'),
    update(nextParams) {
      const key = [nextParams.store, nextParams.q, nextParams.status, nextParams.limit].join('\u0000');
      if (key !== trail.key) trail = { key, cursors: [] };
      if (nextParams.cursor && nextParams.page) trail.cursors[Number(nextParams.page) - 1] = nextParams.cursor;
      const sameData = ['store', 'q', 'status', 'limit', 'cursor'].every((name) => (state.params[name] || '') === (nextParams[name] || ''));
      const onlySort = state.rows.length > 0 && sameData;
      state = { ...state, params: nextParams };
      const { params } = state;
      if (document.activeElement !== search) search.value = params.q || '';
      status.value = params.status || '';
      limit.value = PAGE_SIZES.includes(params.limit) ? params.limit : DEFAULT_LIMIT;
      if (onlySort) {
        render();
        return Promise.resolve();
      }
      return load();
    },
    refresh: load,
    destroy() {
      clearTimeout(searchTimer);
      loads.cancel();
    },
  };
}
