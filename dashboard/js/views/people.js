// People (head office only): everyone who uses the dashboard, with their stores, status and two-step
// sign-in; create an account (its temporary password is shown once), change a person's stores or
// head-office access, disable, enable, reset the password, delete (each asked first where it cannot
// be undone). Every change that narrows access signs the person out everywhere at once (the API does).
// Store staff never see it in their menu; opened by its URL it says it is for head office only.
import { confirmButton } from '../confirm.js';
import { h, messageBox, replace, setBusy } from '../dom.js';
import { formatTime, isoOrNull } from '../format.js';
import { latest } from '../latest.js';
import { compareBy, dataTable } from '../table.js';

const PAGE = 60;
const MAX_PAGES = 50;
const STATUS_TEXT = {
  CONFIRMED: 'Active',
  FORCE_CHANGE_PASSWORD: 'Must choose a password',
  RESET_REQUIRED: 'Password reset',
  UNCONFIRMED: 'Unconfirmed',
};

/** Store names typed one per line (a name may hold a comma), blanks and repeats dropped. */
export function storeLines(text) {
  return [...new Set(String(text || '').split('\n').map((line) => line.trim()).filter(Boolean))];
}

function accessText(user) {
  if (user.admin) return 'Every store (head office)';
  return user.stores.length ? user.stores.join(', ') : 'No stores';
}

function stateBadge(user) {
  if (!user.enabled) return h('span', { class: 'badge badge-out' }, 'Disabled');
  return h('span', { class: user.status === 'CONFIRMED' ? 'badge badge-ok' : 'badge badge-low' }, STATUS_TEXT[user.status] || user.status);
}

function mfaText(user) {
  if (user.mfa_enabled === true) return 'On';
  if (user.mfa_enabled === false) return user.admin ? 'Off: no head-office rights until set up' : 'Off';
  // Looked up for head office only (it decides their rights); unknown for everyone else.
  return h('span', { class: 'muted', title: 'Not looked up for store staff' }, '—');
}

function field(id, label, control, hint) {
  if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);
}

/**
 * The stores and head-office fields of a person. ``knownStores`` (a promise of the store names the
 * API knows) lets the page name, as they are typed, stores no file has named yet: most likely a typo,
 * though access to a store before its first upload is allowed.
 */
function accessFields(prefix, { stores = [], admin = false } = {}, knownStores = Promise.resolve(null)) {
  const storesInput = h('textarea', { id: `${prefix}-stores`, name: 'stores', rows: '3', spellcheck: 'false' });
  storesInput.value = stores.join('\n');
  const adminBox = h('input', { type: 'checkbox', id: `${prefix}-admin`, name: 'admin', checked: admin });
  const unknown = h('p', { class: 'hint hint-warn', id: `${prefix}-stores-unknown`, 'aria-live': 'polite' });
  const check = async () => {
    const known = await knownStores;
    const names = adminBox.checked || !known ? [] : storeLines(storesInput.value).filter((name) => !known.has(name));
    unknown.textContent = names.length
      ? `No file has named ${names.map((name) => `“${name}”`).join(', ')} yet: check the spelling.`
      : '';
  };
  const toggle = () => {
    storesInput.disabled = adminBox.checked;
    check();
  };
  adminBox.addEventListener('change', toggle);
  storesInput.addEventListener('input', check);
  toggle();
  return {
    elements: [
      field(`${prefix}-stores`, 'Stores', storesInput, 'One store per line, exactly as the store’s files name it.'),
      unknown,
      h('p', { class: 'check-row' }, adminBox, h('label', { for: `${prefix}-admin` }, 'Head office (every store; needs two-step sign-in)')),
    ],
    read: () => ({ stores: adminBox.checked ? [] : storeLines(storesInput.value), admin: adminBox.checked }),
    check: toggle,
  };
}

/** What a change swept up with it: signed out, alert subscriptions narrowed or removed ('' for nothing). */
export function cleanupText(result) {
  const subs = result.subscriptions || { narrowed: 0, removed: 0 };
  const parts = [];
  if (result.signed_out) parts.push('signed out everywhere');
  if (subs.narrowed) parts.push(`${subs.narrowed} alert ${subs.narrowed === 1 ? 'subscription' : 'subscriptions'} narrowed`);
  if (subs.removed) parts.push(`${subs.removed} alert ${subs.removed === 1 ? 'subscription' : 'subscriptions'} removed`);
  if (subs.pending) parts.push(`${subs.pending} awaiting confirmation, silenced and removed once SNS allows`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

const COLUMNS = [
  {
    key: 'username',
    header: 'Username',
    value: (row) => row.username,
    render: (row) => h('a', { href: `#/people?user=${encodeURIComponent(row.username)}` }, row.username),
  },
  { key: 'email', header: 'Email', value: (row) => row.email || '' },
  { key: 'access', header: 'Stores', value: accessText },
  { key: 'state', header: 'Status', value: (row) => (row.enabled ? STATUS_TEXT[row.status] || row.status : 'Disabled'), render: stateBadge },
  { key: 'mfa', header: 'Two-step sign-in', value: (row) => (row.mfa_enabled === null ? '' : String(row.mfa_enabled)), render: mfaText },
  {
    key: 'created_at',
    header: 'Created',
    value: (row) => row.created_at,
    render: (row) => h('time', { datetime: isoOrNull(row.created_at) }, formatTime(row.created_at)),
  },
];

/** What the view shows before its first answer: nobody yet. */
export function initialState() {
  return { params: {}, users: [] };
}

/** Everyone, in the chosen column's order (by username otherwise). */
export function sortedUsers({ params, users }) {
  const column = COLUMNS.find((c) => c.key === params.sort);
  return column ? [...users].sort(compareBy(column, params.dir)) : users;
}

/** How many people, and how many of them are disabled. */
export function summaryText(users) {
  const disabled = users.filter((user) => !user.enabled).length;
  return `${users.length} ${users.length === 1 ? 'person' : 'people'}${disabled ? `, ${disabled} disabled` : ''}.`;
}

/** A person's facts: email (and whether it is verified), stores, status and two-step sign-in. */
export function personFacts(user) {
  return h(
    'dl',
    { class: 'account-facts' },
    h('div', {}, h('dt', {}, 'Email'), h('dd', {}, user.email || '—', user.email && !user.email_verified ? ' (not verified)' : '')),
    h('div', {}, h('dt', {}, 'Stores'), h('dd', { id: 'person-access' }, accessText(user))),
    h('div', {}, h('dt', {}, 'Status'), h('dd', { id: 'person-status' }, stateBadge(user))),
    h('div', {}, h('dt', {}, 'Two-step sign-in'), h('dd', {}, mfaText(user))),
  );
}

/** The person the URL names, or null (none named, or no such person). */
export function chosenUser({ params, users }) {
  return params.user ? users.find((user) => user.username === params.user) || null : null;
}

export function mount(root, ctx) {
  let state = initialState();

  if (!ctx.user.admin) {
    replace(
      root,
      messageBox('error', 'People is for head office only. Ask head office to change who may see which stores.'),
    );
    return { title: () => 'People', update: () => Promise.resolve(), refresh: () => Promise.resolve() };
  }

  // Every store head office sees: to point out store names typed that no file has named yet.
  const knownStores = ctx.api
    .stores()
    .then((answer) => new Set(answer.stores.map((row) => row.store)))
    .catch(() => null);
  const messages = h('div', { class: 'messages', 'aria-live': 'polite' });
  const detail = h('section', { class: 'panel person', 'aria-labelledby': 'person-heading', hidden: true });
  const table = dataTable({
    caption: 'People who use the dashboard',
    label: 'People table',
    columns: COLUMNS,
    rowClass: (row) => (row.enabled ? null : 'row-disabled'),
    onSort: (sort, dir) => ctx.go('people', { ...state.params, sort, dir }, { replace: true }),
  });
  const summary = h('p', { class: 'summary', role: 'status' });

  // -- create -------------------------------------------------------------------------------------
  const newName = h('input', { id: 'new-username', name: 'username', required: true, autocapitalize: 'none', spellcheck: 'false', autocomplete: 'off' });
  const newEmail = h('input', { id: 'new-email', name: 'email', type: 'email', required: true, autocomplete: 'off', spellcheck: 'false' });
  const newAccess = accessFields('new', {}, knownStores);
  const createMessages = h('div', { class: 'messages', 'aria-live': 'polite' });
  const createForm = h(
    'form',
    { class: 'person-form', novalidate: true, 'aria-labelledby': 'create-heading' },
    field('new-username', 'Username', newName),
    field('new-email', 'Email address', newEmail, 'Where a forgotten-password code goes: use an address you know is theirs.'),
    newAccess.elements,
    createMessages,
    h('div', { class: 'button-row' }, h('button', { type: 'submit', class: 'button button-primary' }, 'Create user')),
  );

  replace(
    root,
    messages,
    detail,
    h('section', { class: 'panel', 'aria-labelledby': 'people-heading' }, h('h2', { id: 'people-heading' }, 'Everyone'), summary, table.element),
    h('section', { class: 'panel', 'aria-labelledby': 'create-heading' }, h('h2', { id: 'create-heading' }, 'Add a person'), createForm),
  );

  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = newName.value.trim();
    const email = newEmail.value.trim();
    if (!username || !email) {
      replace(createMessages, messageBox('error', 'Enter a username and an email address.'));
      (username ? newEmail : newName).focus();
      return;
    }
    setBusy(createForm, true);
    try {
      const created = await ctx.api.createUser({ username, email, ...newAccess.read() });
      createForm.reset();
      newAccess.check();
      replace(
        createMessages,
        h(
          'div',
          { class: 'message message-notice temporary-password', role: 'status' },
          h('p', {}, `Created ${created.user.username}. Their temporary password (shown only now; they choose their own at first sign-in):`),
          h('p', {}, h('code', { id: 'temporary-password' }, created.temporary_password)),
        ),
      );
      ctx.announce(`Created ${created.user.username}.`);
      await loadUsers();
    } catch (error) {
      if (!ctx.handleError(error)) replace(createMessages, messageBox('error', error.message));
    } finally {
      setBusy(createForm, false);
    }
  });

  // -- one person -------------------------------------------------------------------------------------
  /** Run one change; say what happened; false when it failed (so a confirmation can be asked again). */
  async function act(promise, describe) {
    try {
      const result = await promise;
      replace(messages, messageBox('notice', describe(result)));
      ctx.announce(describe(result));
      await loadUsers();
      return true;
    } catch (error) {
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      return false;
    }
  }

  function showPerson(user) {
    detail.hidden = !user;
    if (!user) {
      replace(detail);
      return;
    }
    const own = user.username === ctx.user.username;
    const access = accessFields('edit', user, knownStores);
    const accessForm = h(
      'form',
      { class: 'person-form', novalidate: true, 'aria-labelledby': 'access-heading' },
      h('h3', { id: 'access-heading' }, 'Access'),
      access.elements,
      h('p', { class: 'hint' }, 'Saving signs them out everywhere; their alert subscriptions keep only the stores they may still see.'),
      h('div', { class: 'button-row' }, h('button', { type: 'submit', class: 'button button-primary', disabled: own }, 'Save access')),
    );
    accessForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      setBusy(accessForm, true);
      await act(ctx.api.setAccess(user.username, access.read()), (r) => `Saved the access of ${r.user.username}${cleanupText(r)}.`);
      setBusy(accessForm, false);
    });
    const enableButton = h('button', { type: 'button', class: 'button' }, 'Enable');
    enableButton.addEventListener('click', () =>
      act(ctx.api.userAction(user.username, 'enable'), (r) => `${r.user.username} may sign in again (their alert subscriptions were not restored).`),
    );
    const actions = own
      ? [h('p', { class: 'hint' }, 'This is your own account: another head-office person changes its access, disables or deletes it.')]
      : [
          user.enabled
            ? confirmButton(
                { ask: 'Disable', question: `Disable ${user.username}? They are signed out at once and their alert subscriptions are removed.`, yes: 'Yes, disable' },
                () => act(ctx.api.userAction(user.username, 'disable'), (r) => `Disabled ${r.user.username}${cleanupText(r)}.`),
              )
            : h('div', { class: 'button-row' }, enableButton),
          confirmButton({ ask: 'Delete', question: `Delete ${user.username} for good? This cannot be undone.`, yes: 'Yes, delete' }, async () => {
            const done = await act(ctx.api.deleteUser(user.username), (r) => `Deleted ${r.username}${cleanupText(r)}.`);
            if (done) ctx.go('people', { ...state.params, user: '' });
            return done;
          }),
        ];
    const resetButton = confirmButton(
      { ask: 'Reset password', question: `Reset the password of ${user.username}? They are signed out and must set a new one.`, yes: 'Yes, reset', danger: false },
      () =>
        act(ctx.api.userAction(user.username, 'reset-password', { temporary_password: false }), (r) =>
          r.delivery === 'email'
            ? `A code to set a new password was emailed to ${user.email || r.username}.`
            : `New temporary password for ${r.username} (shown only now): ${r.temporary_password}`,
        ),
    );
    replace(
      detail,
      h('h2', { id: 'person-heading', tabindex: '-1' }, user.username),
      personFacts(user),
      accessForm,
      h('h3', {}, 'Account'),
      h('div', { class: 'person-actions' }, resetButton, actions),
      h('p', {}, h('a', { href: '#/people' }, 'Close')),
    );
  }

  function render() {
    const { params } = state;
    table.setSort(params.sort, params.dir);
    table.setRows(sortedUsers(state), 'Nobody uses the dashboard yet.');
    summary.textContent = summaryText(state.users);
    const chosen = chosenUser(state);
    const wasHidden = detail.hidden;
    showPerson(chosen);
    if (params.user && !chosen) replace(messages, messageBox('error', `There is no user “${params.user}”.`));
    if (chosen && wasHidden) detail.querySelector('#person-heading').focus();
  }

  // The newest listing only: one that a later one (a refresh, a change just made) overtook is dropped.
  const loads = latest();

  async function fetchUsers(signal) {
    const loaded = [];
    let cursor;
    let pages = 0;
    do {
      const body = await ctx.api.users({ limit: PAGE, cursor }, { signal });
      loaded.push(...body.users);
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor && pages < MAX_PAGES);
    return loaded.sort((a, b) => a.username.localeCompare(b.username));
  }

  function loadUsers() {
    return loads.run(fetchUsers, (users) => {
      state = { ...state, users };
      render();
    });
  }

  function failed(error) {
    if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
    throw error;
  }

  function load() {
    table.setBusy(true);
    return loadUsers()
      .catch(failed)
      .finally(() => table.setBusy(false));
  }

  return {
    title: () => 'People',
    update(next) {
      const sameData = state.users.length > 0;
      const changedUser = (next.user || '') !== (state.params.user || '');
      state = { ...state, params: next };
      if (changedUser && next.user) replace(messages);
      if (sameData) {
        render();
        return Promise.resolve();
      }
      return load();
    },
    // An open form or question is not swept away by the auto-refresh.
    refresh: () => (detail.hidden ? load() : Promise.resolve()),
    destroy: () => loads.cancel(),
  };
}
