// Overview: what needs doing next. Head office (and anyone with many stores) gets totals across
// stores and a sortable, filterable table of stores, worst first, with stores that stopped
// uploading flagged as stale; a few stores show as cards. Below, the selected store's items most
// urgent first: bars with low-stock marks on wide screens, a list on phones.
// The view keeps what it shows in one state object; the functions that draw it are pure.
import { formatDaysLeft, stockBarChart } from '../charts.js';
import { h, messageBox, replace, statusBadge } from '../dom.js';
import { buildHash } from '../router.js';
import { formatAgo, formatCount, formatTime, isoOrNull } from '../format.js';
import { latest } from '../latest.js';
import { compareBy, dataTable } from '../table.js';
import { byUrgency, isStale, lastUploadTime, totals, worstFirst } from '../urgency.js';

const CHART_LIMIT = 100;
// Stores shown at first (worst first); "Show more" adds as many again. Fewer on a phone, so the
// selected store's items are not fifty cards away.
const storePage = () => (window.matchMedia('(max-width: 40rem)').matches ? 10 : 50);
// More stores than this (or head office) and the cards give way to a table.
const CARD_LIMIT = 6;
const STALE_CHOICES = [
  ['12', '12 hours'],
  ['24', '1 day'],
  ['48', '2 days'],
  ['72', '3 days'],
  ['168', '1 week'],
];
const daysText = (days) => (Number(days) === 1 ? '1 day' : `${days} days`);
// "Runs out within" choices, in days (the API looks at most 30 days ahead), with the stage's
// soonDays among them: the list opens on it.
const withinChoices = (soonDays) => [...new Set([1, 3, 7, 14, 30, soonDays])].sort((a, b) => a - b).map((days) => [String(days), daysText(days)]);
// Items listed in "Runs out soon across stores" (soonest first); the API's answer says if there are more.
const RUNNING_OUT_LIMIT = 50;
const SHOW_CHOICES = [
  ['', 'All stores'],
  ['out', 'With items out of stock'],
  ['low', 'With low-stock items'],
  ['stale', 'Stale (no recent upload)'],
];
// The URL's parameters that shape the stores table (a store's link keeps them).
const tableParams = ({ q, show, stale, sort, dir }) => ({ q, show, stale, sort, dir });

function staleText(store, now) {
  const time = lastUploadTime(store);
  if (time === null) return 'No upload recorded';
  const days = (now - time) / 86400_000;
  return days >= 1 ? `No upload for ${Math.floor(days)} d` : `No upload for ${Math.floor(days * 24)} h`;
}

function storeStatus(store) {
  if (store.out) return h('span', { class: 'badge badge-out' }, `${formatCount(store.out)} out`);
  if (store.low) return h('span', { class: 'badge badge-low' }, `${formatCount(store.low)} low`);
  return h('span', { class: 'badge badge-ok' }, 'All in stock');
}

const staleBadge = (row) => (row.stale ? h('span', { class: 'badge badge-stale' }, row.stale) : null);

const timeAgo = (time) => h('time', { datetime: isoOrNull(time), title: formatTime(time) }, formatAgo(time));

const uploadTime = (store) => (store.last_upload_at ? timeAgo(store.last_upload_at) : h('span', { class: 'muted' }, 'never'));

// Rows are stores as storeRows() gives them: with their link, whether selected, and how stale.
const COLUMNS = [
  {
    key: 'store',
    header: 'Store',
    value: (row) => row.store,
    render: (row) => h('a', { href: row.href, 'aria-current': row.current ? 'true' : null }, row.store),
  },
  {
    key: 'status',
    header: 'Status',
    value: (row) => (row.out ? 'out' : row.low ? 'low' : 'ok'),
    sortValue: (row) => -((row.out || 0) * 1e6 + (row.low || 0)),
    render: (row) => h('span', { class: 'badges' }, storeStatus(row), staleBadge(row)),
  },
  { key: 'out', header: 'Out', numeric: true, value: (row) => row.out, render: (row) => formatCount(row.out) },
  { key: 'low', header: 'Low', numeric: true, value: (row) => row.low, render: (row) => formatCount(row.low) },
  { key: 'items', header: 'Items', numeric: true, value: (row) => row.items, render: (row) => formatCount(row.items) },
  {
    key: 'last_upload_at',
    header: 'Last upload',
    value: (row) => row.last_upload_at || null,
    sortValue: (row) => lastUploadTime(row) ?? -Infinity,
    render: uploadTime,
  },
  { key: 'updated_at', header: 'Stock changed', value: (row) => row.updated_at, render: (row) => timeAgo(row.updated_at) },
];

/**
 * What the view shows before its first answer: no stores yet (null). `items`, `runningOut` and
 * `transfers` are parts loaded on their own: null until answered, then {body} or {error}.
 */
export function initialState({ staleAfterHours, soonDays }) {
  const parts = { items: null, runningOut: null, transfers: null, transfersAsked: false };
  return { params: {}, now: Date.now(), staleAfterHours: String(staleAfterHours), stores: null, selected: '', error: null, limit: 0, within: String(soonDays), ...parts };
}

/** A part's answer drawn by `draw`, or its error. */
export function partContent(part, draw) {
  return part.error ? messageBox('error', part.error) : draw(part.body);
}

/** How stale is judged now: after the hours the URL chooses, else the stage's. */
function staleness({ params, staleAfterHours, now }) {
  return { hours: Number(params.stale || staleAfterHours), now };
}

/** The state after the stores' answer: the store the URL names, else the last one looked at, else the worst. */
export function storesAnswered(state, stores, { lastStore, now }) {
  const chosen =
    stores.find((s) => s.store === state.params.store) || stores.find((s) => s.store === lastStore) || worstFirst(stores, staleness({ ...state, now }))[0];
  return { ...state, stores, now, selected: chosen?.store || '', error: null };
}

/** Head office, or more stores than fit as cards: a table. */
export function usesTable({ stores }, admin) {
  return admin || stores.length > CARD_LIMIT;
}

/** The message above everything: a failed read, no stores, or a store named in the URL one may not see. */
export function messageOf({ error, stores, params, selected }) {
  if (error) return messageBox('error', error);
  if (stores && !stores.length) return messageBox('notice', 'No stores are assigned to your account yet. Ask head office to add them.');
  if (stores && params.store && params.store !== selected) {
    return messageBox('error', `You do not have access to the store “${params.store}”, or it has no data.`);
  }
  return null;
}

/** A store as the table and its card show it: with its link, whether selected, and how stale (null: fresh). */
export function storeRow(store, state) {
  const judged = staleness(state);
  return {
    ...store,
    href: buildHash('overview', { ...tableParams(state.params), store: store.store }),
    current: store.store === state.selected,
    stale: isStale(store, judged) ? staleText(store, judged.now) : null,
  };
}

/** The stores matching the table's filters, worst first or in the chosen order. */
export function storeRows(state) {
  const { params, stores } = state;
  const q = (params.q || '').toLocaleLowerCase();
  let rows = worstFirst(stores, staleness(state)).map((store) => storeRow(store, state));
  if (q) rows = rows.filter((store) => store.store.toLocaleLowerCase().includes(q));
  if (params.show === 'out') rows = rows.filter((store) => store.out > 0);
  if (params.show === 'low') rows = rows.filter((store) => store.low > 0);
  if (params.show === 'stale') rows = rows.filter((store) => store.stale);
  const column = COLUMNS.find((c) => c.key === params.sort);
  return column ? [...rows].sort(compareBy(column, params.dir)) : rows;
}

/** The rows the table shows (the first `limit`) and the line that counts them. */
export function storesPage(state) {
  const rows = storeRows(state);
  const page = rows.slice(0, state.limit);
  const order = state.params.sort ? '' : ', worst first';
  const total = state.stores.length;
  const matching = rows.length === total ? `${formatCount(rows.length)} stores${order}` : `${formatCount(rows.length)} of ${formatCount(total)} stores${order}`;
  return { rows: page, more: page.length < rows.length, summary: page.length < rows.length ? `${matching}; showing the first ${formatCount(page.length)}.` : `${matching}.` };
}

/** Head office's totals across stores, as the rows of a description list. */
export function totalsStats(state) {
  const sum = totals(state.stores, staleness(state));
  const stat = (label, value, cls) => h('div', { class: cls || null }, h('dt', {}, label), h('dd', {}, formatCount(value)));
  return [
    stat('Stores', sum.stores),
    stat('Items', sum.items),
    stat('Out of stock', sum.out, sum.out ? 'stat-out' : ''),
    stat('Low stock', sum.low, sum.low ? 'stat-low' : ''),
    stat('Stores with items out', sum.storesOut, sum.storesOut ? 'stat-out' : ''),
    stat('Stale stores', sum.stale, sum.stale ? 'stat-stale' : ''),
  ];
}

/** A store's card (a few stores): its counts, last upload and links. */
export function storeCard(row) {
  return h(
    'li',
    { class: `store-card${row.current ? ' selected' : ''}${row.stale ? ' stale' : ''}` },
    h('h3', {}, h('a', { href: buildHash('overview', { store: row.store }), 'aria-current': row.current ? 'true' : null, class: 'card-link' }, row.store)),
    h(
      'dl',
      { class: 'card-stats' },
      h('div', {}, h('dt', {}, 'Items'), h('dd', { class: 'num' }, formatCount(row.items))),
      h('div', { class: row.out ? 'stat-out' : '' }, h('dt', {}, 'Out of stock'), h('dd', { class: 'num' }, formatCount(row.out))),
      h('div', { class: row.low ? 'stat-low' : '' }, h('dt', {}, 'Low stock'), h('dd', { class: 'num' }, formatCount(row.low))),
    ),
    h('p', { class: 'card-updated' }, 'Last upload ', uploadTime(row), ' ', staleBadge(row)),
    h(
      'p',
      { class: 'card-links' },
      h('a', { href: buildHash('items', { store: row.store }) }, 'Items', h('span', { class: 'visually-hidden' }, ` of ${row.store}`)),
      h('a', { href: buildHash('uploads', { store: row.store }) }, 'Uploads', h('span', { class: 'visually-hidden' }, ` of ${row.store}`)),
    ),
  );
}

/** The note under the chart's heading; it says when the chart shows only the first page of items. */
export function chartNoteText(body) {
  const more = body.next_cursor ? ` Showing the first ${body.items.length} items; the Items view lists them all.` : '';
  return (
    'Most urgent first: out of stock, then running out soonest, then low. Out-of-stock items are red, low-stock items amber; ' +
    `the thin dark mark on a bar is the item’s low-stock level.${more}`
  );
}

/** The selected store's items (already most urgent first) as a list: count, status, level and cover. */
export function urgencyList(items, store, lowStockDefault) {
  return h(
    'ol',
    { class: 'urgency-list', 'aria-label': `Items in ${store}, most urgent first` },
    items.map((item) => {
      const level = item.threshold ?? lowStockDefault;
      return h(
        'li',
        { class: `urgency-item urgency-${item.status}` },
        h('a', { href: buildHash('item', { store: item.store, item: item.item }), class: 'urgency-name' }, item.item),
        h('span', { class: 'urgency-count' }, formatCount(item.count)),
        statusBadge(item.status),
        h(
          'span',
          { class: 'urgency-detail' },
          [typeof level === 'number' ? `low at ${formatCount(level)}` : '', formatDaysLeft(item.days_left)].filter(Boolean).join(' · '),
        ),
      );
    }),
  );
}

/** What runs out within `within` days across stores (GET /forecast), soonest first. */
export function runningOutContent(body, within) {
  const items = body.items || [];
  return [
    items.length
      ? h(
          'ol',
          { class: 'running-out', 'aria-label': 'Items running out soonest first' },
          items.slice(0, RUNNING_OUT_LIMIT).map((item) =>
            h(
              'li',
              { 'data-store': item.store, 'data-item': item.item },
              h('a', { href: buildHash('item', { store: item.store, item: item.item }) }, item.item),
              h('span', { class: 'ro-store' }, item.store),
              h('span', {}, `${formatCount(item.count)} left`),
              h('time', { class: 'ro-when', datetime: isoOrNull(item.runs_out_at), title: formatTime(item.runs_out_at) }, formatDaysLeft(item.days_left)),
            ),
          ),
        )
      : h('p', { class: 'hint' }, `Nothing is forecast to run out within ${daysText(within)}.`),
    body.truncated ? h('p', { class: 'hint' }, `Showing the ${formatCount(items.length)} soonest.`) : null,
  ];
}

/** Stock to move between stores (GET /transfers), most urgent first. */
export function transfersContent(body) {
  return [
    body.items.length
      ? h(
          'ol',
          { class: 'transfers', 'aria-label': 'Transfers, most urgent first' },
          body.items.map((move) =>
            h(
              'li',
              { 'data-item': move.item, 'data-source': move.source, 'data-target': move.target },
              h('span', { class: 'tr-what' }, `Move ${formatCount(move.quantity)} × `, h('a', { href: buildHash('item', { store: move.target, item: move.item }) }, move.item)),
              h('span', { class: 'tr-route' }, `${move.source} → ${move.target}`),
              h('span', { class: 'tr-when' }, `${move.target} runs out in ${formatDaysLeft(move.runs_out_in_days).replace(' left', '')}`),
            ),
          ),
        )
      : h('p', { class: 'hint' }, 'No store needs stock another one can spare.'),
    body.truncated ? h('p', { class: 'hint' }, 'Only the 100 most urgent items were looked at.') : null,
  ];
}

export function mount(root, ctx) {
  const { config } = ctx;
  let state = initialState(config);
  const messages = h('div', { class: 'messages' });

  // Head office: totals, filters, the table of stores.
  const totalsEl = h('dl', { class: 'totals', 'aria-label': 'Totals across stores' });
  const search = h('input', { id: 'stores-q', type: 'search', autocomplete: 'off', placeholder: 'Store name contains…' });
  const show = h('select', { id: 'stores-show' }, SHOW_CHOICES.map(([value, label]) => h('option', { value }, label)));
  const staleSelect = h('select', { id: 'stores-stale' }, STALE_CHOICES.map(([value, label]) => h('option', { value }, label)));
  if (!STALE_CHOICES.some(([value]) => value === state.staleAfterHours)) {
    staleSelect.append(h('option', { value: state.staleAfterHours }, `${state.staleAfterHours} hours`));
  }
  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter stores' },
    h('div', { class: 'field field-grow' }, h('label', { for: 'stores-q' }, 'Find a store'), search),
    h('div', { class: 'field' }, h('label', { for: 'stores-show' }, 'Show'), show),
    h('div', { class: 'field' }, h('label', { for: 'stores-stale' }, 'Stale after no upload for'), staleSelect),
  );
  const tableSummary = h('p', { class: 'summary', role: 'status' });
  const table = dataTable({
    caption: 'Stores, worst first',
    label: 'Stores table',
    columns: COLUMNS,
    rowClass: (row) => [row.out ? 'row-out' : row.low ? 'row-low' : '', row.stale ? 'row-stale' : ''].join(' ').trim() || null,
    onSort: (sort, dir) => go({ sort, dir }),
  });
  const moreButton = h('button', { type: 'button', class: 'button', hidden: true }, 'Show more stores');
  // Head office: what runs out soon across every store (GET /forecast?within_days=N).
  const withinSelect = h('select', { id: 'running-out-within' }, withinChoices(config.soonDays).map(([value, label]) => h('option', { value }, label)));
  const runningOutList = h('div', { class: 'running-out-frame', 'aria-live': 'polite' });
  const runningOut = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'running-out-heading', hidden: true },
    h('h2', { id: 'running-out-heading' }, 'Runs out soon across stores'),
    h('div', { class: 'running-out-tools' }, h('div', { class: 'field' }, h('label', { for: 'running-out-within' }, 'Runs out within'), withinSelect)),
    runningOutList,
  );
  // Head office: stock one store can spare for another that runs out first (GET /transfers).
  const transfersList = h('div', { class: 'transfers-frame', 'aria-live': 'polite' });
  // Read on request: it looks through every store, too much for every refresh.
  const transfersButton = h('button', { type: 'button', class: 'button', id: 'suggest-transfers' }, 'Suggest transfers');
  const transfersPanel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'transfers-heading', hidden: true },
    h('h2', { id: 'transfers-heading' }, 'Transfers between stores'),
    h('p', { class: 'hint' }, 'A store that runs out before an order could arrive, and one that holds more than it needs until its next order arrives.'),
    transfersButton,
    transfersList,
  );
  const headOffice = h(
    'section',
    { class: 'head-office', 'aria-labelledby': 'stores-heading', hidden: true },
    h('h2', { id: 'stores-heading' }, 'Stores'),
    totalsEl,
    filters,
    tableSummary,
    table.element,
    h('div', { class: 'table-footer' }, moreButton),
  );
  // A few stores: one card each.
  const cardsEl = h('ul', { class: 'store-cards', 'aria-label': 'Stores' });
  const cardsSection = h('section', { 'aria-labelledby': 'cards-heading', hidden: true }, h('h2', { id: 'cards-heading', class: 'visually-hidden' }, 'Stores'), cardsEl);
  // The selected store's items, most urgent first.
  const chartHeading = h('h2', { id: 'chart-heading' }, 'What needs attention');
  const chartEl = h('div', { class: 'chart-frame' });
  const listEl = h('div', { class: 'urgency-frame' });
  const chartNote = h('p', { class: 'hint' });
  replace(
    root,
    messages,
    headOffice,
    runningOut,
    transfersPanel,
    cardsSection,
    h('section', { class: 'panel', 'aria-labelledby': 'chart-heading' }, chartHeading, chartNote, chartEl, listEl),
  );

  function go(changes) {
    const { params } = state;
    ctx.go('overview', { ...tableParams(params), store: params.store, ...changes }, { replace: true });
  }

  filters.addEventListener('submit', (event) => event.preventDefault());
  let searchTimer = null;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => go({ q: search.value.trim() }), 250);
  });
  show.addEventListener('change', () => go({ show: show.value }));
  staleSelect.addEventListener('change', () => go({ stale: staleSelect.value === state.staleAfterHours ? '' : staleSelect.value }));
  moreButton.addEventListener('click', () => {
    state = { ...state, limit: state.limit + storePage() };
    renderStores();
    ctx.announce(`Showing ${storesPage(state).rows.length} stores.`);
  });
  withinSelect.value = state.within;
  withinSelect.addEventListener('change', () => {
    state = { ...state, within: withinSelect.value };
    loadRunningOut().catch(() => {});
  });
  transfersButton.addEventListener('click', () => {
    state = { ...state, transfersAsked: true };
    loadTransfers().catch(() => {});
  });

  // -- drawing the state ------------------------------------------------------------------------------
  function renderFilters() {
    const { params } = state;
    if (document.activeElement !== search) search.value = params.q || '';
    show.value = params.show || '';
    staleSelect.value = params.stale || state.staleAfterHours;
  }

  function renderStores() {
    const { params, stores } = state;
    const many = stores.length > 0 && usesTable(state, ctx.user.admin);
    headOffice.hidden = !many;
    cardsSection.hidden = !stores.length || many;
    runningOut.hidden = !many;
    transfersPanel.hidden = !stores.length || !ctx.user.admin;
    if (!stores.length) return;
    if (!many) {
      replace(cardsEl, stores.map((store) => storeCard(storeRow(store, state))));
      return;
    }
    replace(totalsEl, totalsStats(state));
    const page = storesPage(state);
    table.setSort(params.sort || null, params.dir);
    table.setRows(page.rows, 'No store matches these filters.');
    tableSummary.textContent = page.summary;
    moreButton.hidden = !page.more;
  }

  function renderItems() {
    const part = state.items;
    if (part.error) {
      replace(chartEl, messageBox('error', part.error));
      return;
    }
    const { lowStockDefault, soonDays } = config;
    const items = byUrgency(part.body.items, { soonDays, lowStockDefault });
    chartNote.textContent = chartNoteText(part.body);
    replace(
      chartEl,
      items.length
        ? stockBarChart(items, { title: `Stock by item in ${state.selected}, most urgent first`, lowStockDefault })
        : messageBox('notice', 'This store has no items yet.'),
    );
    replace(listEl, items.length ? urgencyList(items, state.selected, lowStockDefault) : null);
  }

  // -- loading --------------------------------------------------------------------------------------
  // Each part shows the answer to its newest request only: a slower, older one (another store
  // chosen meanwhile, another "within") is dropped.
  const loads = latest();
  const runningOutLoads = latest();
  const transfersLoads = latest();

  /** Load one part of the page into state[key] ({body} or {error}) and draw it. */
  async function loadPart(key, loader, request, draw) {
    try {
      await loader.run(request, (body) => {
        state = { ...state, [key]: { body } };
        draw();
      });
    } catch (error) {
      if (!ctx.handleError(error)) {
        state = { ...state, [key]: { error: error.message } };
        draw();
      }
      throw error;
    }
  }

  const loadRunningOut = () =>
    loadPart('runningOut', runningOutLoads, (signal) => ctx.api.forecast({ withinDays: state.within, limit: RUNNING_OUT_LIMIT }, { signal }), () =>
      replace(runningOutList, partContent(state.runningOut, (body) => runningOutContent(body, state.within))),
    );

  const loadTransfers = () =>
    loadPart('transfers', transfersLoads, (signal) => ctx.api.transfers({ signal }), () => replace(transfersList, partContent(state.transfers, transfersContent)));

  function showStores(stores) {
    state = storesAnswered(state, stores, { lastStore: ctx.lastStore, now: Date.now() });
    renderFilters();
    replace(messages, messageOf(state));
    renderStores();
    if (!stores.length) {
      replace(chartEl);
      replace(listEl);
      return;
    }
    ctx.rememberStore(state.selected);
    if (usesTable(state, ctx.user.admin)) loadRunningOut().catch(() => {});
    if (ctx.user.admin && state.transfersAsked) loadTransfers().catch(() => {});
    chartHeading.textContent = `What needs attention in ${state.selected}`;
  }

  async function load() {
    try {
      if (!(await loads.run(() => ctx.getStores(), showStores))) return;
    } catch (error) {
      if (!ctx.handleError(error)) {
        state = { ...state, error: error.message };
        replace(messages, messageOf(state));
      }
      throw error;
    }
    if (!state.selected) return;
    const store = state.selected;
    await loadPart('items', loads, (signal) => ctx.api.items(store, { limit: CHART_LIMIT }, { signal }), renderItems);
  }

  return {
    title: () => 'Overview',
    update(next) {
      // Filters and sorting of the stores table need no new data.
      const sameStore = state.stores?.length > 0 && (next.store || '') === (state.params.store || '');
      const filtersChanged = ['q', 'show', 'stale'].some((name) => (next[name] || '') !== (state.params[name] || ''));
      state = { ...state, params: next, now: Date.now(), limit: filtersChanged || !state.limit ? storePage() : state.limit };
      if (sameStore) {
        renderFilters();
        renderStores();
        return Promise.resolve();
      }
      return load();
    },
    refresh: load,
    destroy() {
      clearTimeout(searchTimer);
      for (const loader of [loads, runningOutLoads, transfersLoads]) loader.cancel();
    },
  };
}
