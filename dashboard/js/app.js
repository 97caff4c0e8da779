// Entry point: loads config, shows sign-in or the dashboard shell, routes between views,
// and runs the auto-refresh.
import { Api, ApiError } from './api.js';
import { Auth, SessionExpiredError } from './auth.js';
import { loadConfig } from './config.js';
import { h, messageBox, replace } from './dom.js';
import { enrolmentForm } from './mfa.js';
import { AutoRefresh } from './refresh.js';
import { buildHash, navigate, parseHash } from './router.js';
import * as accountView from './views/account.js';
import * as alertsView from './views/alerts.js';
import * as apiView from './views/apidocs.js';
import * as itemView from './views/item.js';
import * as itemsView from './views/items.js';
import * as notifyView from './views/notify.js';
import * as orderView from './views/order.js';
import * as overviewView from './views/overview.js';
import * as peopleView from './views/people.js';
import { MFA_ON, showSignIn, signinFrame } from './views/signin.js';
import * as uploadsView from './views/uploads.js';

// Every view, in menu order: its name in the URL, its module, its menu label (none: reached by
// links only), whether only head office sees it in the menu, and whether its link keeps the store
// the user last looked at.
const VIEWS = [
  { name: 'overview', module: overviewView, label: 'Overview', keepsStore: true },
  { name: 'items', module: itemsView, label: 'Items', keepsStore: true },
  { name: 'alerts', module: alertsView, label: 'Alerts' },
  { name: 'order', module: orderView, label: 'Order', keepsStore: true },
  { name: 'item', module: itemView },
  { name: 'uploads', module: uploadsView, label: 'Uploads', keepsStore: true },
  { name: 'notify', module: notifyView, label: 'Notify me' },
  { name: 'people', module: peopleView, label: 'People', adminOnly: true },
  { name: 'api', module: apiView, label: 'API' },
  { name: 'account', module: accountView },
];
const VIEW_NAMES = VIEWS.map((view) => view.name);
const STORE_VIEWS = new Set(VIEWS.filter((view) => view.keepsStore).map((view) => view.name));

const root = document.getElementById('app');
const PHONE = window.matchMedia('(max-width: 40rem)');

function startShell(config, auth) {
  const api = new Api(config, auth);
  const user = auth.user;
  const state = { stores: null, lastStore: sessionStorage.getItem('inventory.store') || '', current: null };

  // Head office's pages are left out of everyone else's menu (and say so if opened by their URL).
  const navLinks = VIEWS.filter((view) => view.label && (!view.adminOnly || user.admin)).map(({ name, label }) =>
    h('a', { href: `#/${name}`, 'data-view': name }, label),
  );
  const updatedEl = h('span', { class: 'updated', id: 'updated-status' });
  const pauseButton = h('button', { type: 'button', class: 'button button-quiet', id: 'pause-refresh' });
  const refreshButton = h('button', { type: 'button', class: 'button button-quiet', id: 'refresh-now' }, 'Refresh now');
  const signOutButton = h('button', { type: 'button', class: 'button button-quiet' }, 'Sign out');
  const accountLink = h(
    'a',
    { href: '#/account', class: 'account-link', 'data-view': 'account' },
    h('span', { class: 'visually-hidden' }, 'Account: '),
    user.username,
    user.admin ? h('span', { class: 'role' }, ' (head office)') : null,
  );
  const menuButton = h(
    'button',
    { type: 'button', class: 'button button-quiet menu-toggle', 'aria-expanded': 'false', 'aria-controls': 'topbar-menu' },
    'Menu',
  );
  const menu = h(
    'div',
    { class: 'topbar-menu', id: 'topbar-menu' },
    h('nav', { 'aria-label': 'Main' }, h('ul', {}, navLinks.map((link) => h('li', {}, link)))),
    h(
      'div',
      { class: 'topbar-tools' },
      h('div', { class: 'refresh-tools', role: 'group', 'aria-label': 'Auto-refresh' }, refreshButton, pauseButton),
      h('div', { class: 'user-tools' }, accountLink, signOutButton),
    ),
  );
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
      h(
        'div',
        { class: 'topbar-row' },
        h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '▦'), 'Inventory'),
        updatedEl,
        menuButton,
      ),
      menu,
    ),
    main,
    announcer,
  );

  // Phones: the menu folds away behind one button so the header stays one line high.
  function setMenu(open) {
    menuButton.setAttribute('aria-expanded', String(open));
    menu.classList.toggle('open', open);
  }
  menuButton.addEventListener('click', () => setMenu(menuButton.getAttribute('aria-expanded') !== 'true'));
  menu.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && PHONE.matches && menu.classList.contains('open')) {
      setMenu(false);
      menuButton.focus();
    }
  });

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
    showSignIn(root, auth, { message, onSignedIn: () => afterSignIn(config, auth) });
  }

  /**
   * Views call this with any error; true when the app took over: the session is over (any 401 the
   * API and a refresh cannot mend, `session_revoked` included) or the API wants two-step sign-in
   * first (403 `mfa_required`: an admin whose authenticator was removed).
   */
  function handleError(error) {
    if (error instanceof SessionExpiredError) {
      sessionOver(error.message);
      return true;
    }
    if (error instanceof ApiError && error.code === 'mfa_required') {
      if (!ended) {
        ended = true;
        stop();
        requireMfa(config, auth);
      }
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
    auth,
    config,
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
    const { view } = parseHash(VIEW_NAMES);
    const active = view === 'item' ? 'items' : view;
    for (const link of [...navLinks, accountLink]) {
      const target = link.dataset.view;
      link.href = buildHash(target, STORE_VIEWS.has(target) ? { store: state.lastStore } : {});
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
    const { view, params } = parseHash(VIEW_NAMES);
    const { module } = VIEWS.find((entry) => entry.name === view);
    setMenu(false);
    if (state.current && state.current.name === view) {
      run(state.current.instance.update(params));
    } else {
      state.current?.instance.destroy?.();
      replace(viewRoot);
      main.dataset.view = view;
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
    ended = true;
    stop();
    await auth.signOut();
    showSignIn(root, auth, { message: 'You have signed out.', onSignedIn: () => afterSignIn(config, auth) });
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

let shell = null;

/**
 * Head office must use two-step sign-in: an admin without it sets it up before the dashboard
 * opens (the API will refuse such tokens too once it checks; this is the page's half).
 */
async function afterSignIn(config, auth) {
  if (auth.user.admin) {
    let enabled = true;
    try {
      enabled = await auth.mfaEnabled();
    } catch {
      enabled = true; // unknown: let the API decide rather than lock the user out on a glitch
    }
    if (!enabled) {
      await requireMfa(config, auth);
      return;
    }
  }
  startShell(config, auth);
}

async function requireMfa(config, auth) {
  const { messages, panel, showError } = signinFrame(root, 'Set up two-step sign-in');
  messages.append(messageBox('notice', 'Head office accounts must use two-step sign-in. Set up an authenticator app to continue.'));
  const signOut = h('button', { type: 'button', class: 'link-button' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    await auth.signOut();
    showSignIn(root, auth, { message: 'You have signed out.', onSignedIn: () => afterSignIn(config, auth) });
  });
  let secret;
  try {
    secret = await auth.startMfaEnrolment();
  } catch (error) {
    showError(error);
    replace(panel, h('p', { class: 'form-links' }, signOut));
    return;
  }
  const form = enrolmentForm({
    username: auth.user.username,
    secret,
    headingId: 'mfa-required-heading',
    heading: 'Set up two-step sign-in',
    submitLabel: 'Turn on and continue',
    showError,
    extra: h('p', { class: 'form-links' }, signOut),
    onSubmit: async (code) => {
      const { username } = auth.user;
      await auth.confirmMfaEnrolment(code);
      await auth.mfaEnrolled();
      showSignIn(root, auth, { message: MFA_ON, username, onSignedIn: () => afterSignIn(config, auth) });
    },
  });
  replace(panel, form);
  form.querySelector('#mfa-setup-code').focus();
}

async function boot() {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    replace(root, h('main', { class: 'signin' }, h('h1', {}, 'Inventory dashboard'), messageBox('error', `The dashboard is not configured: ${error.message}`)));
    return;
  }
  // Tokens live in memory only: every page load starts at the sign-in form.
  const auth = new Auth(config);
  showSignIn(root, auth, { onSignedIn: () => afterSignIn(config, auth) });
}

boot();
