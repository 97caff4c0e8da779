// Overview: what needs doing next. Head office (and anyone with many stores) gets totals across
// stores and a sortable, filterable table of stores, worst first, with stores that stopped
// uploading flagged as stale; a few stores show as cards. Below, the selected store's items most
// urgent first: bars with low-stock marks on wide screens, a list on phones.
import { formatDaysLeft, stockBarChart } from '../charts.js';
import { h, messageBox, replace, statusBadge } from '../dom.js';
import { buildHash } from '../router.js';
import { formatAgo, formatCount, formatTime, isoOrNull } from '../format.js';
import { compareBy, dataTable } from '../table.js';
import { byUrgency, isStale, lastUploadTime, totals, worstFirst } from '../urgency.js';

const CHART_LIMIT = 100;
// Stores shown at first (worst first); "Show more" adds as many again. Fewer on a phone, so the
// selected store's items are not fifty cards away.
const PHONE = window.matchMedia('(max-width: 40rem)');
const storePage = () => (PHONE.matches ? 10 : 50);
// More stores than this (or head office) and the cards give way to a table.
const CARD_LIMIT = 6;
const STALE_CHOICES = [
  ['12', '12 hours'],
  ['24', '1 day'],
  ['48', '2 days'],
  ['72', '3 days'],
  ['168', '1 week'],
];
// "Runs out within" choices, in days (the API looks at most 30 days ahead), with the stage's
// soonDays among them: the list opens on it.
const withinChoices = (soonDays) => [...new Set([1, 3, 7, 14, 30, soonDays])]
  .sort((a, b) => a - b)
  .map((days) => [String(days), days === 1 ? '1 day' : `${days} days`]);
// Items listed in "Runs out soon across stores" (soonest first); the API's answer says if there are more.
const RUNNING_OUT_LIMIT = 50;
const SHOW_CHOICES = [
  ['', 'All stores'],
  ['out', 'With items out of stock'],
  ['low', 'With low-stock items'],
  ['stale', 'Stale (no recent upload)'],
];

function staleText(store, hours, now) {
  const time = lastUploadTime(store);
  if (time === null) return 'No upload recorded';
  const days = (now - time) / 86400_000;
  return days >= 1 ? `No upload for ${Math.floor(days)} d` : `No upload for ${Math.floor(days * 24)} h`;
}

function staleBadge(store, hours, now) {
  return isStale(store, { hours, now }) ? h('span', { class: 'badge badge-stale' }, staleText(store, hours, now)) : null;
}

function storeStatus(store) {
  if (store.out) return h('span', { class: 'badge badge-out' }, `${formatCount(store.out)} out`);
  if (store.low) return h('span', { class: 'badge badge-low' }, `${formatCount(store.low)} low`);
  return h('span', { class: 'badge badge-ok' }, 'All in stock');
}

function uploadTime(store) {
  return store.last_upload_at
    ? h('time', { datetime: isoOrNull(store.last_upload_at), title: formatTime(store.last_upload_at) }, formatAgo(store.last_upload_at))
    : h('span', { class: 'muted' }, 'never');
}

export function mount(root, ctx) {
  const defaultStale = String(ctx.config.staleAfterHours);
  const messages = h('div', { class: 'messages' });

  // Head office: totals, filters, the table of stores.
  const totalsEl = h('dl', { class: 'totals', 'aria-label': 'Totals across stores' });
  const search = h('input', { id: 'stores-q', type: 'search', autocomplete: 'off', placeholder: 'Store name contains…' });
  const show = h('select', { id: 'stores-show' }, SHOW_CHOICES.map(([value, label]) => h('option', { value }, label)));
  const staleSelect = h('select', { id: 'stores-stale' }, STALE_CHOICES.map(([value, label]) => h('option', { value }, label)));
  if (!STALE_CHOICES.some(([value]) => value === defaultStale)) {
    staleSelect.append(h('option', { value: defaultStale }, `${defaultStale} hours`));
  }
  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter stores' },
    h('div', { class: 'field field-grow' }, h('label', { for: 'stores-q' }, 'Find a store'), search),
    h('div', { class: 'field' }, h('label', { for: 'stores-show' }, 'Show'), show),
    h('div', { class: 'field' }, h('label', { for: 'stores-stale' }, 'Stale after no upload for'), staleSelect),
  );
  const tableSummary = h('p', { class: 'summary', role: 'status' });
  let now = Date.now();
  let hours = Number(defaultStale);
  const columns = [
    {
      key: 'store',
      header: 'Store',
      value: (row) => row.store,
      render: (row) =>
        h('a', { href: buildHash('overview', { ...viewParams(), store: row.store }), 'aria-current': row.store === selectedName ? 'true' : null }, row.store),
    },
    {
      key: 'status',
      header: 'Status',
      value: (row) => (row.out ? 'out' : row.low ? 'low' : 'ok'),
      sortValue: (row) => -((row.out || 0) * 1e6 + (row.low || 0)),
      render: (row) => h('span', { class: 'badges' }, storeStatus(row), staleBadge(row, hours, now)),
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
    {
      key: 'updated_at',
      header: 'Stock changed',
      value: (row) => row.updated_at,
      render: (row) => h('time', { datetime: isoOrNull(row.updated_at), title: formatTime(row.updated_at) }, formatAgo(row.updated_at)),
    },
  ];
  const table = dataTable({
    caption: 'Stores, worst first',
    label: 'Stores table',
    columns,
    rowClass: (row) => [row.out ? 'row-out' : row.low ? 'row-low' : '', isStale(row, { hours, now }) ? 'row-stale' : ''].join(' ').trim() || null,
    onSort: (key) => {
      const dir = params.sort === key && params.dir !== 'desc' ? 'desc' : 'asc';
      ctx.go('overview', { ...viewParams(), sort: key, dir, store: params.store }, { replace: true });
    },
  });
  const moreButton = h('button', { type: 'button', class: 'button', hidden: true }, 'Show more stores');
  // Head office: what runs out soon across every store (GET /forecast?within_days=N).
  const withinOptions = withinChoices(ctx.config.soonDays);
  const withinSelect = h(
    'select',
    { id: 'running-out-within' },
    withinOptions.map(([value, label]) => h('option', { value }, label)),
  );
  const runningOutList = h('div', { class: 'running-out-frame', 'aria-live': 'polite' });
  const runningOut = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'running-out-heading', hidden: true },
    h('h2', { id: 'running-out-heading' }, 'Runs out soon across stores'),
    h(
      'div',
      { class: 'running-out-tools' },
      h('div', { class: 'field' }, h('label', { for: 'running-out-within' }, 'Runs out within'), withinSelect),
    ),
    runningOutList,
  );
  // Head office: stock one store can spare for another that runs out first (GET /transfers).
  const transfersList = h('div', { class: 'transfers-frame', 'aria-live': 'polite' });
  // Read on request: it looks through every store, too much for every refresh.
  const transfersButton = h('button', { type: 'button', class: 'button', id: 'suggest-transfers' }, 'Suggest transfers');
  transfersButton.addEventListener('click', () => {
    transfersShown = true;
    loadTransfers().catch(() => {});
  });
  let transfersShown = false;
  const transfersPanel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'transfers-heading', hidden: true },
    h('h2', { id: 'transfers-heading' }, 'Transfers between stores'),
    h('p', { class: 'hint' }, 'A store that runs out before an order could arrive, and one that holds more than it needs until its next order arrives.'),
    transfersButton,
    transfersList,
  );
  withinSelect.value = String(ctx.config.soonDays);
  withinSelect.addEventListener('change', () => loadRunningOut().catch(() => {}));

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
  let shownLimit = storePage();
  moreButton.addEventListener('click', () => {
    shownLimit += storePage();
    renderStores(true);
    ctx.announce(`Showing ${Math.min(shownLimit, shownStores().length)} stores.`);
  });

  // A few stores: one card each.
  const cardsEl = h('ul', { class: 'store-cards', 'aria-label': 'Stores' });
  const cardsSection = h(
    'section',
    { 'aria-labelledby': 'cards-heading', hidden: true },
    h('h2', { id: 'cards-heading', class: 'visually-hidden' }, 'Stores'),
    cardsEl,
  );

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

  let params = {};
  let stores = [];
  let selectedName = '';

  function viewParams() {
    return { q: params.q, show: params.show, stale: params.stale, sort: params.sort, dir: params.dir };
  }

  filters.addEventListener('submit', (event) => event.preventDefault());
  let searchTimer = null;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => ctx.go('overview', { ...viewParams(), q: search.value.trim(), store: params.store }, { replace: true }), 250);
  });
  show.addEventListener('change', () => ctx.go('overview', { ...viewParams(), show: show.value, store: params.store }, { replace: true }));
  staleSelect.addEventListener('change', () =>
    ctx.go('overview', { ...viewParams(), stale: staleSelect.value === defaultStale ? '' : staleSelect.value, store: params.store }, { replace: true }),
  );

  function card(store, selected) {
    return h(
      'li',
      { class: `store-card${selected ? ' selected' : ''}${isStale(store, { hours, now }) ? ' stale' : ''}` },
      h(
        'h3',
        {},
        h('a', { href: buildHash('overview', { store: store.store }), 'aria-current': selected ? 'true' : null, class: 'card-link' }, store.store),
      ),
      h(
        'dl',
        { class: 'card-stats' },
        h('div', {}, h('dt', {}, 'Items'), h('dd', { class: 'num' }, formatCount(store.items))),
        h('div', { class: store.out ? 'stat-out' : '' }, h('dt', {}, 'Out of stock'), h('dd', { class: 'num' }, formatCount(store.out))),
        h('div', { class: store.low ? 'stat-low' : '' }, h('dt', {}, 'Low stock'), h('dd', { class: 'num' }, formatCount(store.low))),
      ),
      h('p', { class: 'card-updated' }, 'Last upload ', uploadTime(store), ' ', staleBadge(store, hours, now)),
      h(
        'p',
        { class: 'card-links' },
        h('a', { href: buildHash('items', { store: store.store }) }, 'Items', h('span', { class: 'visually-hidden' }, ` of ${store.store}`)),
        h('a', { href: buildHash('uploads', { store: store.store }) }, 'Uploads', h('span', { class: 'visually-hidden' }, ` of ${store.store}`)),
      ),
    );
  }

  function renderTotals(sum) {
    const stat = (label, value, cls) => h('div', { class: cls || null }, h('dt', {}, label), h('dd', {}, formatCount(value)));
    replace(
      totalsEl,
      stat('Stores', sum.stores),
      stat('Items', sum.items),
      stat('Out of stock', sum.out, sum.out ? 'stat-out' : ''),
      stat('Low stock', sum.low, sum.low ? 'stat-low' : ''),
      stat('Stores with items out', sum.storesOut, sum.storesOut ? 'stat-out' : ''),
      stat('Stale stores', sum.stale, sum.stale ? 'stat-stale' : ''),
    );
  }

  function shownStores() {
    const q = (params.q || '').toLocaleLowerCase();
    let rows = worstFirst(stores, { hours, now });
    if (q) rows = rows.filter((store) => store.store.toLocaleLowerCase().includes(q));
    if (params.show === 'out') rows = rows.filter((store) => store.out > 0);
    if (params.show === 'low') rows = rows.filter((store) => store.low > 0);
    if (params.show === 'stale') rows = rows.filter((store) => isStale(store, { hours, now }));
    const column = columns.find((c) => c.key === params.sort);
    return column ? [...rows].sort(compareBy(column, params.dir)) : rows;
  }

  function renderStores(useTable) {
    headOffice.hidden = !useTable;
    cardsSection.hidden = useTable;
    if (!useTable) {
      replace(cardsEl, stores.map((store) => card(store, store.store === selectedName)));
      return;
    }
    renderTotals(totals(stores, { hours, now }));
    const rows = shownStores();
    const page = rows.slice(0, shownLimit);
    table.setSort(params.sort || null, params.dir);
    table.setRows(page, 'No store matches these filters.');
    const order = params.sort ? '' : ', worst first';
    const matching = rows.length === stores.length ? `${formatCount(rows.length)} stores${order}` : `${formatCount(rows.length)} of ${formatCount(stores.length)} stores${order}`;
    tableSummary.textContent = page.length < rows.length ? `${matching}; showing the first ${formatCount(page.length)}.` : `${matching}.`;
    moreButton.hidden = page.length >= rows.length;
  }

  function urgencyList(items) {
    return h(
      'ol',
      { class: 'urgency-list', 'aria-label': `Items in ${selectedName}, most urgent first` },
      items.map((item) => {
        const level = item.threshold ?? ctx.config.lowStockDefault;
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

  // The answer of the latest request only (a slower, older one is dropped).
  let runningOutNumber = 0;

  async function loadRunningOut() {
    const number = ++runningOutNumber;
    try {
      const body = await ctx.api.forecast({ withinDays: withinSelect.value, limit: RUNNING_OUT_LIMIT });
      if (number !== runningOutNumber) return;
      const items = body.items || [];
      const within = withinOptions.find(([value]) => value === withinSelect.value)?.[1] || `${withinSelect.value} days`;
      replace(
        runningOutList,
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
          : h('p', { class: 'hint' }, `Nothing is forecast to run out within ${within}.`),
        body.truncated ? h('p', { class: 'hint' }, `Showing the ${formatCount(items.length)} soonest.`) : null,
      );
    } catch (error) {
      if (number !== runningOutNumber) return;
      if (!ctx.handleError(error)) replace(runningOutList, messageBox('error', error.message));
      throw error;
    }
  }

  let transfersNumber = 0;

  async function loadTransfers() {
    const number = ++transfersNumber;
    try {
      const body = await ctx.api.transfers();
      if (number !== transfersNumber) return;
      replace(
        transfersList,
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
      );
    } catch (error) {
      if (number !== transfersNumber) return;
      if (!ctx.handleError(error)) replace(transfersList, messageBox('error', error.message));
      throw error;
    }
  }

  function applyParams() {
    now = Date.now();
    hours = Number(params.stale || defaultStale);
    if (document.activeElement !== search) search.value = params.q || '';
    show.value = params.show || '';
    staleSelect.value = params.stale || defaultStale;
  }

  // Each load is numbered: an answer to an older one (another store chosen meanwhile) is dropped.
  let loadNumber = 0;

  async function load() {
    const number = ++loadNumber;
    const current = () => number === loadNumber;
    try {
      stores = await ctx.getStores();
      if (!current()) return;
    } catch (error) {
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      throw error;
    }
    applyParams();
    if (!stores.length) {
      replace(messages, messageBox('notice', 'No stores are assigned to your account yet. Ask head office to add them.'));
      headOffice.hidden = true;
      cardsSection.hidden = true;
      replace(chartEl);
      replace(listEl);
      return;
    }
    const ordered = worstFirst(stores, { hours, now });
    const selected =
      stores.find((s) => s.store === params.store) || stores.find((s) => s.store === ctx.lastStore) || ordered[0];
    selectedName = selected.store;
    if (params.store && params.store !== selected.store) {
      replace(messages, messageBox('error', `You do not have access to the store “${params.store}”, or it has no data.`));
    } else {
      replace(messages);
    }
    ctx.rememberStore(selected.store);
    const many = ctx.user.admin || stores.length > CARD_LIMIT;
    renderStores(many);
    runningOut.hidden = !many;
    if (many) loadRunningOut().catch(() => {});
    transfersPanel.hidden = !ctx.user.admin;
    if (ctx.user.admin && transfersShown) loadTransfers().catch(() => {});
    chartHeading.textContent = `What needs attention in ${selected.store}`;
    try {
      const body = await ctx.api.items(selected.store, { limit: CHART_LIMIT });
      if (!current()) return;
      const items = byUrgency(body.items, { soonDays: ctx.config.soonDays, lowStockDefault: ctx.config.lowStockDefault });
      const more = body.next_cursor ? ` Showing the first ${body.items.length} items; the Items view lists them all.` : '';
      chartNote.textContent =
        'Most urgent first: out of stock, then running out soonest, then low. Out-of-stock items are red, low-stock items amber; ' +
        `the thin dark mark on a bar is the item’s low-stock level.${more}`;
      if (!items.length) {
        replace(chartEl, messageBox('notice', 'This store has no items yet.'));
        replace(listEl);
        return;
      }
      replace(chartEl, stockBarChart(items, { title: `Stock by item in ${selected.store}, most urgent first`, lowStockDefault: ctx.config.lowStockDefault }));
      replace(listEl, urgencyList(items));
    } catch (error) {
      if (!current()) return;
      if (!ctx.handleError(error)) replace(chartEl, messageBox('error', error.message));
      throw error;
    }
  }

  return {
    title: () => 'Overview',
    update(next) {
      // Filters and sorting of the stores table need no new data.
      const sameStore = stores.length > 0 && (next.store || '') === (params.store || '');
      const filtersChanged = ['q', 'show', 'stale'].some((name) => (next[name] || '') !== (params[name] || ''));
      if (filtersChanged) shownLimit = storePage();
      params = next;
      if (sameStore) {
        applyParams();
        renderStores(ctx.user.admin || stores.length > CARD_LIMIT);
        return Promise.resolve();
      }
      return load();
    },
    refresh: load,
    destroy() {
      clearTimeout(searchTimer);
    },
  };
}
