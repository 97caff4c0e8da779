// Uploads: recent files with their report: status, rows accepted and rejected, and the
// first errors with line numbers, so a store can see why its file was rejected.
import { h, messageBox, replace } from '../dom.js';
import { formatAgo, formatCount, formatTime, isoOrNull } from '../format.js';

const STATUS_TEXT = { ok: 'Loaded', partial: 'Partly rejected', failed: 'Rejected' };

function uploadStatus(status) {
  return h('span', { class: `badge badge-upload-${status}` }, STATUS_TEXT[status] || status);
}

function fileName(key) {
  return String(key || '').replace(/^uploads\//, '');
}

function uploadCard(upload) {
  const rows = upload.rows || {};
  const errors = upload.errors || [];
  const unshown = Math.max(0, (rows.rejected || 0) - errors.length);
  return h(
    'li',
    { class: `upload upload-${upload.status}` },
    h(
      'div',
      { class: 'upload-head' },
      h('h3', { class: 'filename' }, fileName(upload.key)),
      uploadStatus(upload.status),
    ),
    h(
      'p',
      { class: 'upload-meta' },
      'Processed ',
      h('time', { datetime: isoOrNull(upload.finished_at), title: formatTime(upload.finished_at) }, formatAgo(upload.finished_at)),
      upload.stores?.length ? ` · stores: ${upload.stores.join(', ')}` : '',
    ),
    upload.reason ? h('p', { class: 'upload-reason' }, 'Reason: ', upload.reason) : null,
    h(
      'dl',
      { class: 'upload-rows' },
      h('div', {}, h('dt', {}, 'Rows read'), h('dd', { class: 'num' }, formatCount(rows.read ?? 0))),
      h('div', {}, h('dt', {}, 'Accepted'), h('dd', { class: 'num' }, formatCount(rows.accepted ?? 0))),
      h('div', { class: rows.rejected ? 'stat-out' : '' }, h('dt', {}, 'Rejected'), h('dd', { class: 'num' }, formatCount(rows.rejected ?? 0))),
      h('div', {}, h('dt', {}, 'Changed'), h('dd', { class: 'num' }, formatCount(rows.written ?? 0))),
      h('div', {}, h('dt', {}, 'Unchanged'), h('dd', { class: 'num' }, formatCount(rows.unchanged ?? 0))),
    ),
    errors.length
      ? h(
          'div',
          { class: 'upload-errors' },
          h('h4', {}, errors.length === 1 ? 'Error' : `First ${errors.length} errors`),
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

export function mount(root, ctx) {
  let params = {};
  const storeSelect = h('select', { id: 'uploads-store', name: 'store' });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter uploads' },
    h('div', { class: 'field' }, h('label', { for: 'uploads-store' }, 'Store'), storeSelect),
  );
  const messages = h('div', { class: 'messages' });
  const summary = h('p', { class: 'summary', role: 'status' });
  const list = h('ol', { class: 'uploads', 'aria-label': 'Recent uploads, newest first' });
  replace(root, form, messages, summary, list);
  form.addEventListener('submit', (event) => event.preventDefault());
  storeSelect.addEventListener('change', () => ctx.go('uploads', { store: storeSelect.value }));

  async function load() {
    try {
      const [stores, body] = await Promise.all([ctx.getStores(), ctx.api.uploads({ store: params.store })]);
      replace(storeSelect, h('option', { value: '' }, 'All my stores'), stores.map((s) => h('option', { value: s.store }, s.store)));
      storeSelect.value = params.store || '';
      const uploads = body.uploads || [];
      replace(messages);
      const rejected = uploads.filter((u) => u.status !== 'ok').length;
      summary.textContent = uploads.length
        ? `${formatCount(uploads.length)} recent files; ${formatCount(rejected)} with rejected rows or refused.`
        : '';
      replace(list, uploads.length ? uploads.map(uploadCard) : h('li', { class: 'empty' }, 'No files have been uploaded yet.'));
    } catch (error) {
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      throw error;
    }
  }

  return {
    title: (p) => (p.store ? `Uploads for ${p.store}` : 'Uploads'),
    update(next) {
      params = next;
      if (params.store) ctx.rememberStore(params.store);
      return load();
    },
    refresh: load,
  };
}
