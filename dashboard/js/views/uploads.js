// Uploads: send a file for a store (or, for head office, a multi-store file), watch it upload,
// see what it will change from ingest's dry run (items changed, newly out of stock, retired) and
// apply or discard it; then its report: rows read, accepted, rejected, and the rejected lines with
// their reasons. Below, recent uploads with who sent them and their status; a held file can be
// applied or discarded there by its uploader or head office, and an applied file undone by its store's
// users or head office (the items it set go back to what they were).
// The list's state is one object, drawn by pure functions; the upload form keeps its own controls.
import { ApiError } from '../api.js';
import { SessionExpiredError } from '../auth.js';
import { h, messageBox, replace } from '../dom.js';
import { formatAgo, formatCount, formatTime, isoOrNull } from '../format.js';
import { latest } from '../latest.js';
import {
  FINAL_STATUSES,
  UPLOAD_EXTENSIONS,
  UploadError,
  checkFile,
  formatBytes,
  newestEntry,
  pollDelayMs,
  postToS3,
} from '../upload.js';

const STATUS_TEXT = {
  ok: 'Loaded',
  partial: 'Partly rejected',
  failed: 'Rejected',
  loading: 'Loading',
  retrying: 'Retrying',
  needs_confirmation: 'Waiting for confirmation',
  discarded: 'Discarded',
  undone: 'Undone',
};
const HELD = 'needs_confirmation';
// A decision is carried out when the report leaves the held state.
const SETTLED = ['ok', 'partial', 'failed', 'discarded'];
// An undo is carried out when the report turns undone (or failed, if ingest gave up on it).
const UNDO_SETTLED = ['undone', 'failed'];
const APPLIED = ['ok', 'partial'];
const HEAD_OFFICE = '\u0000head-office';
const REPORT_TIMEOUT_MS = 5 * 60_000;
const PAGE_SIZE = 20;

function uploadStatus(status) {
  return h('span', { class: `badge badge-upload-${status}` }, STATUS_TEXT[status] || status);
}

/** The file's own name: the last part of its key. */
function fileName(key) {
  const parts = String(key || '').split('/');
  return parts[parts.length - 1] || String(key || '');
}

/** Whether the dialog ticks "This file is the full list" for a store (null: a head-office file): the store
 * asked that each of its files be read as its full list (its summary's full_list). */
export function fullListByDefault(stores, store) {
  return store !== null && Boolean(stores.find((s) => s.store === store)?.full_list);
}

/** Whether this user may apply or discard a held upload: its uploader, or head office. */
export function mayDecide(upload, user) {
  if (!user || upload.status !== HELD) return false;
  return Boolean(user.admin) || (upload.store !== null && upload.uploaded_by === user.username);
}

/** Whether this user may undo an applied upload: head office, or (a store's file) anyone who sees it, as the API
 * lists only the uploads of the user's stores. */
export function mayUndo(upload, user) {
  if (!user || !APPLIED.includes(upload.status)) return false;
  return Boolean(user.admin) || upload.store !== null;
}

/** "It will change 12 items: 3 newly out of stock, 0 retired." (or what it changed). */
export function planText(plan, held) {
  if (!plan) return '';
  const items = `${formatCount(plan.changed)} ${plan.changed === 1 ? 'item' : 'items'}`;
  return `${held ? 'It will change' : 'Its dry run planned'} ${items}: ${formatCount(plan.out_of_stock)} newly out of stock, ${formatCount(plan.retired)} retired.`;
}

/** What the page says of a held file's dry run: the plan, and the rows it would reject, before anyone presses Apply. */
export function dryRunText(name, report) {
  const rejected = report.rows?.rejected ?? 0;
  const rows = rejected ? ` ${formatCount(rejected)} ${rejected === 1 ? 'row is' : 'rows are'} rejected (listed below) and will not load.` : '';
  return `${name}: dry run done, nothing is loaded yet. ${planText(report.plan, true)}${rows} Apply it, or discard it.`;
}

function planList(plan, held) {
  return h(
    'div',
    { class: 'upload-plan' },
    h('h4', {}, held ? 'What it will change' : 'What its dry run planned'),
    h(
      'dl',
      { class: 'upload-rows' },
      h('div', {}, h('dt', {}, 'Items changed'), h('dd', { class: 'num' }, formatCount(plan.changed))),
      h('div', { class: plan.out_of_stock ? 'stat-out' : '' }, h('dt', {}, 'Newly out of stock'), h('dd', { class: 'num' }, formatCount(plan.out_of_stock))),
      h('div', {}, h('dt', {}, 'Retired'), h('dd', { class: 'num' }, formatCount(plan.retired))),
    ),
  );
}

function decisionButtons(upload) {
  const data = { 'data-key': upload.key, 'data-version': upload.version || '' };
  return h(
    'div',
    { class: 'button-row upload-decision' },
    h('button', { type: 'button', class: 'button button-primary', 'data-decision': 'confirm', ...data }, 'Apply'),
    h('button', { type: 'button', class: 'button', 'data-decision': 'discard', ...data }, 'Discard'),
  );
}

function undoButton(upload) {
  return h(
    'div',
    { class: 'button-row upload-decision' },
    h('button', { type: 'button', class: 'button', 'data-decision': 'undo', 'data-key': upload.key, 'data-version': upload.version || '' }, 'Undo'),
  );
}

function whose(upload) {
  if (upload.store === null) return 'Head office';
  return upload.store || null;
}

/** One upload and its report. */
export function uploadCard(upload, { element = 'li', headingLevel = 'h3', user = null } = {}) {
  const rows = upload.rows || {};
  const held = upload.status === HELD;
  const applied = !held && upload.status !== 'discarded';
  const errors = upload.errors || [];
  const unshown = Math.max(0, (rows.rejected || 0) - errors.length);
  const final = FINAL_STATUSES.includes(upload.status);
  const when = upload.received_at || upload.finished_at;
  const store = whose(upload);
  return h(
    element,
    { class: `upload upload-${upload.status}`, 'data-key': upload.key },
    h('div', { class: 'upload-head' }, h(headingLevel, { class: 'filename', title: upload.key }, fileName(upload.key)), uploadStatus(upload.status)),
    h(
      'p',
      { class: 'upload-meta' },
      store ? h('span', { class: 'upload-store' }, store) : null,
      store ? ' · ' : null,
      upload.uploaded_by ? h('span', { class: 'upload-by' }, `by ${upload.uploaded_by}`) : null,
      upload.uploaded_by ? ' · ' : null,
      final ? 'processed ' : 'received ',
      h('time', { datetime: isoOrNull(when), title: formatTime(when) }, formatAgo(when)),
      upload.stores?.length && store === 'Head office' ? ` · stores: ${upload.stores.join(', ')}${upload.stores_truncated ? ', …' : ''}` : '',
    ),
    upload.reason ? h('p', { class: 'upload-reason' }, 'Reason: ', upload.reason) : null,
    final || rows.read
      ? h(
          'dl',
          { class: 'upload-rows' },
          h('div', {}, h('dt', {}, 'Rows read'), h('dd', { class: 'num' }, formatCount(rows.read ?? 0))),
          h('div', {}, h('dt', {}, 'Accepted'), h('dd', { class: 'num' }, formatCount(rows.accepted ?? 0))),
          h('div', { class: rows.rejected ? 'stat-out' : '' }, h('dt', {}, 'Rejected'), h('dd', { class: 'num' }, formatCount(rows.rejected ?? 0))),
          applied ? h('div', {}, h('dt', {}, 'Changed'), h('dd', { class: 'num' }, formatCount(rows.written ?? 0))) : null,
          applied ? h('div', {}, h('dt', {}, 'Unchanged'), h('dd', { class: 'num' }, formatCount(rows.unchanged ?? 0))) : null,
          rows.retired ? h('div', {}, h('dt', {}, 'Retired'), h('dd', { class: 'num' }, formatCount(rows.retired))) : null,
        )
      : h('p', { class: 'hint' }, upload.status === 'retrying' ? 'Ingest hit a problem and is trying again.' : 'Ingest is reading the file…'),
    upload.plan ? planList(upload.plan, held) : null,
    mayDecide(upload, user) ? decisionButtons(upload) : null,
    mayUndo(upload, user) ? undoButton(upload) : null,
    errors.length
      ? h(
          'div',
          { class: 'upload-errors' },
          h('h4', {}, errors.length === 1 ? 'Rejected line' : `First ${errors.length} rejected lines`),
          h(
            'ol',
            { class: 'error-list' },
            errors.map((error) => h('li', {}, h('span', { class: 'line-no' }, `Line ${error.line}`), ': ', error.reason)),
          ),
          unshown ? h('p', { class: 'hint' }, `…and ${formatCount(unshown)} more rejected rows.`) : null,
        )
      : null,
  );
}

/** The list before its first answer: nothing yet (uploads null). */
export function initialState() {
  return { params: {}, uploads: null, newest: [], nextCursor: null };
}

/** The state after a page of the list: the newest page replaces the list, an older one extends it. */
export function listed(state, body, { append }) {
  const page = body.uploads || [];
  const nextCursor = body.next_cursor || null;
  if (append) return { ...state, uploads: [...(state.uploads || []), ...page], nextCursor };
  return { ...state, uploads: page, newest: page, nextCursor };
}

/** What the newest page holds: how many files, how many rejected rows or were refused, how many still loading. */
export function listSummary(newest) {
  if (!newest.length) return '';
  const open = newest.filter((u) => !FINAL_STATUSES.includes(u.status)).length;
  const held = newest.filter((u) => u.status === HELD).length;
  const rejected = newest.filter((u) => u.status === 'partial' || u.status === 'failed' || (u.rows?.rejected ?? 0) > 0).length;
  return `${formatCount(newest.length)} recent ${newest.length === 1 ? 'file' : 'files'}; ${formatCount(rejected)} with rejected rows or refused${open ? `; ${formatCount(open)} still loading` : ''}${held ? `; ${formatCount(held)} waiting for confirmation` : ''}.`;
}

/** The list's items: a card per upload (with Apply and Discard, or Undo, where ``user`` may), or a line saying there are none
 * (to a store's user, also that head office's own files, which may change their stores too, are listed for head office only). */
export function listItems(uploads, user = null) {
  if (uploads.length) return uploads.map((u) => uploadCard(u, { user }));
  const elsewhere = user && !user.admin ? ' Files head office uploads for several stores are listed for head office only.' : '';
  return h('li', { class: 'empty' }, `No files have been uploaded yet.${elsewhere}`);
}

export function mount(root, ctx) {
  let state = initialState();
  let destroyed = false;
  let controller = null;
  let chosen = null;

  // -- the upload form ------------------------------------------------------------------------------
  const target = h('select', { id: 'upload-target', name: 'target' });
  const targetField = h('div', { class: 'field' }, h('label', { for: 'upload-target' }, 'Upload for'), target);
  const fileInput = h('input', {
    id: 'upload-file',
    name: 'file',
    type: 'file',
    accept: [...UPLOAD_EXTENSIONS, ...UPLOAD_EXTENSIONS.map((e) => e.toUpperCase())].join(','),
    'aria-describedby': 'upload-hint',
  });
  const chosenEl = h('p', { class: 'upload-chosen', id: 'upload-chosen' });
  const dropZone = h(
    'div',
    { class: 'drop-zone' },
    h('label', { for: 'upload-file', class: 'drop-label' }, 'Choose a file', h('span', { class: 'drop-or' }, ' or drop it here')),
    fileInput,
    chosenEl,
  );
  const fullList = h('input', { id: 'upload-full-list', name: 'full_list', type: 'checkbox', 'aria-describedby': 'upload-full-list-hint' });
  const fullListField = h(
    'div',
    { class: 'field field-check' },
    fullList,
    h('label', { for: 'upload-full-list' }, 'This file is the full list'),
    h(
      'p',
      { class: 'hint', id: 'upload-full-list-hint' },
      'Items of the store that the file leaves out are retired: they leave the totals, alerts and forecasts and stay in history, until a file names them again.',
    ),
  );
  const remember = h('input', { id: 'upload-remember', type: 'checkbox', 'aria-describedby': 'upload-remember-hint' });
  const rememberField = h(
    'div',
    { class: 'field field-check', hidden: true },
    remember,
    h('label', { for: 'upload-remember' }, 'Remember for this store'),
    h('p', { class: 'hint', id: 'upload-remember-hint' }, 'Every file of this store is then read as its full list, from here or from a script.'),
  );
  // Enabled once the stores the user may upload to are known.
  const sendButton = h('button', { type: 'submit', class: 'button button-primary', disabled: true }, 'Upload');
  const cancelButton = h('button', { type: 'button', class: 'button', hidden: true }, 'Cancel');
  const progress = h('progress', { id: 'upload-progress', max: '100', value: '0', 'aria-label': 'Upload progress', hidden: true });
  const progressText = h('span', { class: 'progress-text' });
  // Announced to screen readers: each step of the upload and the outcome.
  const statusEl = h('div', { class: 'upload-status', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const resultEl = h('div', { class: 'upload-result' });
  const form = h(
    'form',
    { class: 'upload-form', novalidate: true, 'aria-labelledby': 'upload-heading' },
    targetField,
    dropZone,
    fullListField,
    rememberField,
    h(
      'p',
      { class: 'hint', id: 'upload-hint' },
      `CSV, JSON Lines, JSON or Excel (${UPLOAD_EXTENSIONS.join(', ')}, any case) with the columns store, item, count and optionally threshold. ` +
        'A store’s file may only change that store: rows naming another store are rejected.',
    ),
    h('div', { class: 'button-row' }, sendButton, cancelButton),
    h('div', { class: 'progress-row' }, progress, progressText),
  );
  const uploadPanel = h(
    'section',
    { class: 'panel upload-panel', 'aria-labelledby': 'upload-heading' },
    h('h2', { id: 'upload-heading' }, 'Upload a file'),
    form,
    statusEl,
    resultEl,
  );

  // -- the list ---------------------------------------------------------------------------------------
  const storeSelect = h('select', { id: 'uploads-store', name: 'store' });
  const filterForm = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter uploads' },
    h('div', { class: 'field' }, h('label', { for: 'uploads-store' }, 'Show uploads for'), storeSelect),
  );
  const messages = h('div', { class: 'messages' });
  const summary = h('p', { class: 'summary', role: 'status' });
  const list = h('ol', { class: 'uploads', 'aria-label': 'Recent uploads, newest first' });
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Show older uploads');
  replace(
    root,
    uploadPanel,
    h(
      'section',
      { class: 'uploads-section', 'aria-labelledby': 'recent-heading' },
      h('h2', { id: 'recent-heading' }, 'Recent uploads'),
      filterForm,
      messages,
      summary,
      list,
      h('div', { class: 'table-footer' }, more),
    ),
  );
  filterForm.addEventListener('submit', (event) => event.preventDefault());
  storeSelect.addEventListener('change', () => ctx.go('uploads', { store: storeSelect.value }));

  function say(text) {
    statusEl.textContent = text;
  }

  function choose(file) {
    chosen = file || null;
    replace(resultEl);
    if (!chosen) {
      chosenEl.textContent = '';
      return;
    }
    chosenEl.textContent = `${chosen.name} (${formatBytes(chosen.size)})`;
    const problem = checkFile(chosen);
    if (problem) replace(resultEl, messageBox('error', problem));
  }

  fileInput.addEventListener('change', () => choose(fileInput.files[0]));
  for (const name of ['dragenter', 'dragover']) {
    dropZone.addEventListener(name, (event) => {
      event.preventDefault();
      dropZone.classList.add('dragging');
    });
  }
  for (const name of ['dragleave', 'drop']) dropZone.addEventListener(name, () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    const files = event.dataTransfer?.files;
    if (!files?.length) return;
    if (files.length > 1) {
      replace(resultEl, messageBox('error', 'Drop one file at a time.'));
      return;
    }
    // Keep the input in step, so the keyboard path and the drop path send the same thing.
    try {
      fileInput.files = files;
    } catch {
      // older browsers cannot set files: the chosen file is kept below
    }
    choose(files[0]);
  });

  function setBusy(busy) {
    for (const control of [target, fileInput, fullList, remember, sendButton]) control.disabled = busy;
    // A store that asked has every file read as its full list: the box cannot say otherwise.
    if (!busy && remember.checked) fullList.disabled = true;
    cancelButton.hidden = !busy;
    form.setAttribute('aria-busy', String(busy));
  }

  function showProgress(sent, total) {
    const percent = total ? Math.min(100, Math.round((sent / total) * 100)) : 0;
    progress.hidden = false;
    progress.value = percent;
    progressText.textContent = `${percent} % · ${formatBytes(sent)} of ${formatBytes(total)}`;
  }

  cancelButton.addEventListener('click', () => controller?.abort());

  function wait(ms, signal) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(new UploadError('Stopped waiting for the report. It will appear in the list below.'));
        },
        { once: true },
      );
    });
  }

  /** Poll GET /uploads?key= until ingest's report is final (or ``done`` says so); show each state on the way. */
  async function awaitReport(key, signal, done = (entry) => FINAL_STATUSES.includes(entry.status)) {
    const started = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      await wait(pollDelayMs(attempt), signal);
      let entry = null;
      try {
        entry = newestEntry(await ctx.api.uploads({ key }));
      } catch (error) {
        // Not indexed yet: ingest has not picked the file up. Anything else is a real error.
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
      if (entry) {
        replace(resultEl, uploadCard(entry, { element: 'article', headingLevel: 'h3', user: ctx.user }));
        if (done(entry)) return entry;
        say(entry.status === 'retrying' ? 'Ingest hit a problem and is trying again…' : 'Ingest is loading the file…');
      }
      if (Date.now() - started > REPORT_TIMEOUT_MS) {
        throw new UploadError('The report is taking longer than usual. The file is safely stored; its report will appear in the list below.');
      }
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = chosen || fileInput.files[0];
    const problem = checkFile(file);
    if (problem) {
      replace(resultEl, messageBox('error', problem));
      say(problem);
      fileInput.focus();
      return;
    }
    if (!target.value) {
      say('Choose the store this file is for.');
      target.focus();
      return;
    }
    const store = target.value === HEAD_OFFICE ? null : target.value;
    controller = new AbortController();
    const { signal } = controller;
    setBusy(true);
    replace(resultEl);
    progress.hidden = true;
    progressText.textContent = '';
    try {
      say(`Asking for permission to upload ${file.name}…`);
      // A dry run first: the file is held until the user has seen what it will change and applies it.
      const grant = await ctx.api.uploadGrant(store, { filename: file.name, size: file.size, fullList: fullList.checked, preview: true });
      const tooBig = checkFile(file, grant.max_bytes);
      if (tooBig) throw new UploadError(tooBig);
      say(`Uploading ${file.name}…`);
      showProgress(0, file.size);
      await postToS3(grant, file, { onProgress: showProgress, signal });
      showProgress(file.size, file.size);
      say(`${file.name} is uploaded. Waiting for the report…`);
      loadList().catch(() => {});
      const report = await awaitReport(grant.key, signal);
      fileInput.value = '';
      showFullList();
      choose(null);
      showOutcome(file.name, report);
      loadList().catch(() => {});
    } catch (error) {
      reportFailure(error);
    } finally {
      controller = null;
      if (!destroyed) setBusy(false);
    }
  });

  function showOutcome(name, report) {
    const rows = report.rows || {};
    if (report.status === HELD) {
      say(dryRunText(name, report));
    } else {
      say(
        `${name}: ${STATUS_TEXT[report.status] || report.status}. ${formatCount(rows.read ?? 0)} rows read, ` +
          `${formatCount(rows.accepted ?? 0)} accepted, ${formatCount(rows.rejected ?? 0)} rejected.`,
      );
    }
    replace(resultEl, uploadCard(report, { element: 'article', headingLevel: 'h3', user: ctx.user }));
  }

  /** A failed upload, decision or setting, said above the result (an expired session signs out instead). */
  function reportFailure(error) {
    if (error instanceof SessionExpiredError && ctx.handleError(error)) return;
    if (destroyed) return;
    const message = error.message || String(error);
    resultEl.prepend(messageBox('error', message));
    say(message);
  }

  /** Apply (confirm) or discard a held upload, or undo an applied one, then follow its report until that is carried out. */
  async function decide(button) {
    const { decision, key, version } = button.dataset;
    const name = fileName(key);
    for (const other of button.parentElement.querySelectorAll('button')) other.disabled = true;
    controller = new AbortController();
    const { signal } = controller;
    setBusy(true);
    try {
      say({ confirm: `Applying ${name}…`, discard: `Discarding ${name}…`, undo: `Undoing ${name}…` }[decision]);
      await ctx.api.decideUpload(decision, { key, version });
      const settled = decision === 'undo' ? UNDO_SETTLED : SETTLED;
      showOutcome(name, await awaitReport(key, signal, (entry) => settled.includes(entry.status)));
    } catch (error) {
      reportFailure(error);
    } finally {
      controller = null;
      if (!destroyed) setBusy(false);
      loadList().catch(() => {});
    }
  }

  for (const area of [resultEl, list]) {
    area.addEventListener('click', (event) => {
      const button = event.target.closest?.('button[data-decision]');
      if (button && !controller) decide(button);
    });
  }

  // The store's own choice ticks the full-list box; "Remember for this store" changes that choice.
  let knownStores = [];

  function targetStore() {
    return target.value && target.value !== HEAD_OFFICE ? target.value : null;
  }

  function showFullList() {
    const store = targetStore();
    remember.checked = fullListByDefault(knownStores, store);
    fullList.checked = remember.checked;
    fullList.disabled = remember.checked;
    rememberField.hidden = store === null;
  }

  target.addEventListener('change', showFullList);
  remember.addEventListener('change', async () => {
    const store = targetStore();
    const wanted = remember.checked;
    if (store === null) return;
    remember.disabled = true;
    try {
      const summary = await ctx.api.storeSettings(store, { fullList: wanted });
      const known = knownStores.find((s) => s.store === store);
      if (known) known.full_list = summary.full_list;
      say(summary.full_list ? `Every file of ${store} is now read as its full list.` : `Files of ${store} are full lists only when you say so.`);
    } catch (error) {
      reportFailure(error);
    } finally {
      if (!destroyed) {
        remember.disabled = false;
        showFullList();
      }
    }
  });

  // -- loading ----------------------------------------------------------------------------------------
  function fillTargets(stores) {
    knownStores = stores;
    const current = target.value || state.params.store || ctx.lastStore;
    const options = stores.map((s) => h('option', { value: s.store }, s.store));
    if (ctx.user.admin) options.push(h('option', { value: HEAD_OFFICE }, 'Head office: a file for several stores'));
    replace(target, options);
    if ([...target.options].some((o) => o.value === current)) target.value = current;
    // One store: no choice to make, but the label still says whose file it is.
    targetField.classList.toggle('single-target', options.length === 1);
    uploadPanel.hidden = options.length === 0;
    sendButton.disabled = options.length === 0;
    showFullList();
  }

  // The listing: a newer one (another store chosen, a refresh, "Show older") aborts the one before,
  // so a slow answer for the store the user has left never replaces the list they moved to.
  const lists = latest();

  function renderList() {
    more.hidden = !state.nextCursor;
    summary.textContent = listSummary(state.newest);
    replace(list, listItems(state.uploads, ctx.user));
  }

  function showList(body, { append }) {
    state = listed(state, body, { append });
    renderList();
  }

  function showStores(stores) {
    replace(storeSelect, h('option', { value: '' }, 'All my stores'), stores.map((s) => h('option', { value: s.store }, s.store)));
    storeSelect.value = state.params.store || '';
    if (!controller) fillTargets(stores);
  }

  function fetchList(signal, { append = false } = {}) {
    return ctx.api.uploads({ store: state.params.store, limit: PAGE_SIZE, cursor: append ? state.nextCursor : undefined }, { signal });
  }

  function loadList({ append = false } = {}) {
    return lists.run(
      (signal) => fetchList(signal, { append }),
      (body) => showList(body, { append }),
    );
  }

  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await loadList({ append: true });
    } catch (error) {
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
    } finally {
      more.disabled = false;
    }
  });

  async function load() {
    try {
      await lists.run(
        (signal) => {
          // The choice of store is offered as soon as the stores are known, even while the list loads.
          const stores = ctx.getStores().then((found) => signal.aborted || showStores(found));
          return Promise.all([fetchList(signal), stores]).then(([body]) => body);
        },
        (body) => {
          showList(body, { append: false });
          replace(messages);
        },
      );
    } catch (error) {
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      throw error;
    }
  }

  return {
    title: (p) => (p.store ? `Uploads for ${p.store}` : 'Uploads'),
    update(next) {
      state = { ...state, params: next };
      if (next.store) {
        ctx.rememberStore(next.store);
        if (!controller && [...target.options].some((o) => o.value === next.store)) target.value = next.store;
      }
      return load();
    },
    refresh: load,
    destroy() {
      destroyed = true;
      controller?.abort();
      lists.cancel();
    },
  };
}
