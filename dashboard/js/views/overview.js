// Overview: a card per store the user may see; for the selected store, stock by item as bars.
import { stockBarChart } from '../charts.js';
import { h, messageBox, replace } from '../dom.js';
import { buildHash } from '../router.js';
import { formatAgo, formatCount, formatTime, isoOrNull } from '../format.js';

const CHART_LIMIT = 100;

export function mount(root, ctx) {
  const cardsEl = h('ul', { class: 'store-cards', 'aria-label': 'Stores' });
  const chartHeading = h('h2', { id: 'chart-heading' }, 'Stock by item');
  const chartEl = h('div', { class: 'chart-frame' });
  const chartNote = h('p', { class: 'hint' });
  const messages = h('div', { class: 'messages' });
  replace(
    root,
    messages,
    h('section', { 'aria-labelledby': 'stores-heading' }, h('h2', { id: 'stores-heading', class: 'visually-hidden' }, 'Stores'), cardsEl),
    h('section', { class: 'panel', 'aria-labelledby': 'chart-heading' }, chartHeading, chartNote, chartEl),
  );
  let params = {};

  function card(store, selected) {
    return h(
      'li',
      { class: `store-card${selected ? ' selected' : ''}` },
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
      h(
        'p',
        { class: 'card-updated' },
        'Updated ',
        h('time', { datetime: isoOrNull(store.updated_at), title: formatTime(store.updated_at) }, formatAgo(store.updated_at)),
      ),
      h(
        'p',
        { class: 'card-links' },
        h('a', { href: buildHash('items', { store: store.store }) }, 'Items', h('span', { class: 'visually-hidden' }, ` of ${store.store}`)),
        h('a', { href: buildHash('uploads', { store: store.store }) }, 'Uploads', h('span', { class: 'visually-hidden' }, ` of ${store.store}`)),
      ),
    );
  }

  async function load() {
    let stores;
    try {
      stores = await ctx.getStores();
    } catch (error) {
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      throw error;
    }
    if (!stores.length) {
      replace(messages, messageBox('notice', 'No stores are assigned to your account yet. Ask head office to add them.'));
      replace(cardsEl);
      replace(chartEl);
      return;
    }
    const selected = stores.find((s) => s.store === params.store) || stores.find((s) => s.store === ctx.lastStore) || stores[0];
    if (params.store && params.store !== selected.store) {
      replace(messages, messageBox('error', `You do not have access to the store “${params.store}”, or it has no data.`));
    } else {
      replace(messages);
    }
    ctx.rememberStore(selected.store);
    replace(cardsEl, stores.map((store) => card(store, store === selected)));
    chartHeading.textContent = `Stock by item in ${selected.store}`;
    try {
      const body = await ctx.api.items(selected.store, { limit: CHART_LIMIT });
      const more = body.next_cursor ? ` Showing the first ${body.items.length} items; the Items view lists them all.` : '';
      chartNote.textContent = `Out-of-stock items are red and marked “out”; low-stock items are amber and marked “low”.${more}`;
      replace(
        chartEl,
        body.items.length
          ? stockBarChart(body.items, { title: `Stock by item in ${selected.store}` })
          : messageBox('notice', 'This store has no items yet.'),
      );
    } catch (error) {
      if (!ctx.handleError(error)) replace(chartEl, messageBox('error', error.message));
      throw error;
    }
  }

  return {
    title: () => 'Overview',
    update(next) {
      params = next;
      return load();
    },
    refresh: load,
  };
}
