// Entry point: loads config, shows sign-in or the dashboard shell, routes between views,
// and runs the auto-refresh.
import { Api } from './api.js';
import { Auth, SessionExpiredError } from './auth.js';
import { loadConfig } from './config.js';
import { h, messageBox, replace } from './dom.js';
import { AutoRefresh } from './refresh.js';
import { buildHash, navigate, parseHash } from './router.js';
import * as alertsView from './views/alerts.js';
import * as itemView from './views/item.js';
import * as itemsView from './views/items.js';
import * as overviewView from './views/overview.js';
import { showSignIn } from './views/signin.js';
import * as uploadsView from './views/uploads.js';

const VIEWS = { overview: overviewView, items: itemsView, alerts: alertsView, item: itemView, uploads: uploadsView };
const NAV = [
  ['overview', 'Overview'],
  ['items', 'Items'],
  ['alerts', 'Alerts'],
  ['uploads', 'Uploads'],
];

const root = document.getElementById('app');
let shell = null;

function startShell(config, auth) {
  const api = new Api(config, auth);
  const user = auth.user;
  const state = { stores: null, lastStore: sessionStorage.getItem('inventory.store') || '', current: null };

  const navLinks = NAV.map(([view, label]) => h('a', { href: `#/${view}`, 'data-view': view }, label));
  const updatedEl = h('span', { class: 'updated', id: 'updated-status' });
  const pauseButton = h('button', { type: 'button', class: 'button button-quiet', id: 'pause-refresh' });
  const refreshButton = h('button', { type: 'button', class: 'button button-quiet', id: 'refresh-now' }, 'Refresh now');
  const signOutButton = h('button', { type: 'button', class: 'button button-quiet' }, 'Sign out');
  const title = h('h1', { id: 'view-title', tabindex: '-1' });
  const viewRoot = h('div', { id: 'view' });
  const main = h('main', { id: 'main', tabindex: '-1' }, title, viewRoot);
  const announcer = h('div', { class: 'visually-hidden', 'aria-live': 'polite', id: 'announcer' });
  const skip = h('a', { class: 'skip-link', href: '#main' }, 'Skip to content');
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    title.focus();
  });

  replace(
    root,
    skip,
    h(
      'header',
      { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '▦'), 'Inventory'),
      h('nav', { 'aria-label': 'Main' }, h('ul', {}, navLinks.map((link) => h('li', {}, link)))),
      h(
        'div',
        { class: 'topbar-tools' },
        h('div', { class: 'refresh-tools', role: 'group', 'aria-label': 'Auto-refresh' }, updatedEl, refreshButton, pauseButton),
        h(
          'div',
          { class: 'user-tools' },
          h('span', { class: 'user-name' }, 'Signed in as ', h('strong', {}, user.username), user.admin ? ' (head office)' : ''),
          signOutButton,
        ),
      ),
    ),
    main,
    announcer,
  );

  function announce(text) {
    announcer.textContent = '';
    setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  }

  let ended = false;

  function sessionOver(message) {
    if (ended) return;
    ended = true;
    stop();
    auth.clear();
    showSignIn(root, auth, { message, onSignedIn: () => startShell(config, auth) });
  }

  /** Views call this with any error; true when the app took over (session over). */
  function handleError(error) {
    if (error instanceof SessionExpiredError) {
      sessionOver(error.message);
      return true;
    }
    return false;
  }

  function getStores({ reload = false } = {}) {
    if (!state.stores || reload) {
      const request = api.stores().then((body) => body.stores);
      request.catch(() => {
        if (state.stores === request) state.stores = null;
      });
      state.stores = request;
    }
    return state.stores;
  }

  const ctx = {
    api,
    user,
    getStores,
    handleError,
    announce,
    go: (view, params, options) => navigate(view, params, options),
    get lastStore() {
      return state.lastStore;
    },
    rememberStore(store) {
      if (store) {
        state.lastStore = store;
        sessionStorage.setItem('inventory.store', store);
        updateNav();
      }
    },
  };

  function updateNav() {
    const { view } = parseHash();
    const active = view === 'item' ? 'items' : view;
    for (const link of navLinks) {
      const target = link.dataset.view;
      link.href = buildHash(target, target === 'alerts' ? {} : { store: state.lastStore });
      if (target === active) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  async function run(promise) {
    try {
      await promise;
      refresher.markUpdated(true);
    } catch (error) {
      if (!handleError(error)) refresher.markUpdated(false);
    }
  }

  function route() {
    const { view, params } = parseHash();
    const module = VIEWS[view];
    if (state.current && state.current.name === view) {
      run(state.current.instance.update(params));
    } else {
      state.current?.instance.destroy?.();
      replace(viewRoot);
      const instance = module.mount(viewRoot, ctx);
      state.current = { name: view, instance };
      run(instance.update(params));
      title.focus({ preventScroll: false });
    }
    const heading = state.current.instance.title(params);
    title.textContent = heading;
    document.title = `${heading} · Inventory dashboard`;
    updateNav();
  }

  const refresher = new AutoRefresh({
    statusEl: updatedEl,
    toggleEl: pauseButton,
    onRefresh: async () => {
      try {
        await getStores({ reload: true });
        await state.current?.instance.refresh();
        refresher.markUpdated(true);
      } catch (error) {
        if (!handleError(error)) refresher.markUpdated(false);
      }
    },
  });
  refreshButton.addEventListener('click', () => refresher.refreshNow());
  signOutButton.addEventListener('click', async () => {
    stop();
    await auth.signOut();
    showSignIn(root, auth, { message: 'You have signed out.', onSignedIn: () => startShell(config, auth) });
  });

  function stop() {
    refresher.stop();
    window.removeEventListener('hashchange', route);
    state.current?.instance.destroy?.();
    shell = null;
  }

  window.addEventListener('hashchange', route);
  shell = { stop };
  route();
  return shell;
}

async function boot() {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    replace(root, h('main', { class: 'signin' }, h('h1', {}, 'Inventory dashboard'), messageBox('error', `The dashboard is not configured: ${error.message}`)));
    return;
  }
  const auth = new Auth(config);
  if (auth.signedIn) startShell(config, auth);
  else showSignIn(root, auth, { onSignedIn: () => startShell(config, auth) });
}

boot();
