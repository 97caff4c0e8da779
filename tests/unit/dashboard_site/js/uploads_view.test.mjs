// The uploads list's state and its pure render functions (dashboard/js/views/uploads.js), under node.
import './fake_dom.mjs';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dryRunText, fullListByDefault, initialState, listItems, listSummary, listed, mayDecide, mayUndo, planText, uploadCard } from '../../../../dashboard/js/views/uploads.js';

const ROWS = { read: 3, accepted: 3, rejected: 0, written: 2, unchanged: 1 };
const upload = (key, status, extra = {}) => ({
  key,
  status,
  store: 'Berlin',
  uploaded_by: 'anna',
  rows: ROWS,
  errors: [],
  received_at: '2026-11-22T10:00:00Z',
  ...extra,
});

test('the newest page replaces the list; an older page extends it and keeps the summary of the newest', () => {
  const first = listed(initialState(), { uploads: [upload('b.csv', 'ok'), upload('a.csv', 'loading')], next_cursor: 'c2' }, { append: false });
  const more = listed(first, { uploads: [upload('old.csv', 'failed')], next_cursor: null }, { append: true });
  const again = listed(more, { uploads: [upload('new.csv', 'ok')], next_cursor: null }, { append: false });

  assert.deepEqual(first.uploads.map((u) => u.key), ['b.csv', 'a.csv']);
  assert.equal(first.nextCursor, 'c2');
  assert.deepEqual(more.uploads.map((u) => u.key), ['b.csv', 'a.csv', 'old.csv']);
  assert.equal(more.nextCursor, null);
  assert.equal(listSummary(more.newest), '2 recent files; 0 with rejected rows or refused; 1 still loading.');
  assert.deepEqual(again.uploads.map((u) => u.key), ['new.csv']);
});

test('the summary counts rejected and refused files, and says nothing of an empty list', () => {
  assert.equal(listSummary([upload('a.csv', 'partial'), upload('b.csv', 'failed'), upload('c.csv', 'ok')]), '3 recent files; 2 with rejected rows or refused.');
  assert.equal(listSummary([upload('a.csv', 'ok')]), '1 recent file; 0 with rejected rows or refused.');
  assert.equal(listSummary([]), '');
});

test('an empty list says so; otherwise a card per upload with its file name, store and rows', () => {
  const [card] = listItems([upload('uploads/Berlin/counts.csv', 'partial', { errors: [{ line: 3, reason: 'count is not a number' }] })]);

  assert.equal(listItems([]).textContent, 'No files have been uploaded yet.');
  assert.equal(listItems([], { username: 'admin', admin: true }).textContent, 'No files have been uploaded yet.');
  assert.equal(
    listItems([], { username: 'anna', admin: false }).textContent,
    'No files have been uploaded yet. Files head office uploads for several stores are listed for head office only.',
  );
  assert.equal(card.getAttribute('data-key'), 'uploads/Berlin/counts.csv');
  assert.equal(card.findAll('h3')[0].textContent, 'counts.csv');
  assert.match(card.textContent, /Berlin · by anna · processed /);
  assert.match(card.findAll('ol')[0].textContent, /^Line 3: count is not a number$/);
});

test('a head-office file names its stores, and a file still loading says ingest is reading it', () => {
  const headOffice = uploadCard(upload('all.csv', 'ok', { store: null, stores: ['Berlin', 'Karachi'], stores_truncated: true }));
  const loading = uploadCard(upload('big.csv', 'loading', { rows: {} }));

  assert.match(headOffice.textContent, /^all\.csvLoadedHead office · by anna · processed .* · stores: Berlin, Karachi, …/);
  assert.match(loading.textContent, /received .*Ingest is reading the file…$/);
});

test('a held upload shows what it will change, and Apply and Discard only to its uploader or head office', () => {
  const plan = { changed: 12, out_of_stock: 3, retired: 0 };
  const held = upload('uploads/stores/Berlin/g/a.csv', 'needs_confirmation', { version: 'v1', plan });
  const buttons = (user) => uploadCard(held, { user }).findAll('button');

  assert.deepEqual([...buttons({ username: 'anna', admin: false })].map((b) => b.textContent), ['Apply', 'Discard']);
  assert.equal(buttons({ username: 'anna', admin: false })[0].getAttribute('data-version'), 'v1');
  assert.equal(buttons({ username: 'ben', admin: false }).length, 0);
  assert.equal(buttons({ username: 'ho', admin: true }).length, 2);
  assert.equal(buttons(null).length, 0);
  const card = uploadCard(held, { user: { username: 'anna' } });
  assert.match(card.textContent, /What it will change/);
  assert.match(card.textContent, /Newly out of stock:?3/);
  assert.doesNotMatch(card.textContent, /Unchanged/);
  assert.equal(mayDecide(upload('b.csv', 'ok'), { username: 'anna' }), false);
  assert.equal(mayDecide({ ...held, store: null }, { username: 'anna', admin: false }), false);
  assert.equal(planText(plan, true), 'It will change 12 items: 3 newly out of stock, 0 retired.');
  assert.equal(
    dryRunText('counts.csv', { ...held, rows: { ...ROWS, rejected: 2 } }),
    'counts.csv: dry run done, nothing is loaded yet. It will change 12 items: 3 newly out of stock, 0 retired.' +
      ' 2 rows are rejected (listed below) and will not load. Apply it, or discard it.',
  );
  assert.equal(
    dryRunText('counts.csv', { ...held, rows: { ...ROWS, rejected: 0 } }),
    'counts.csv: dry run done, nothing is loaded yet. It will change 12 items: 3 newly out of stock, 0 retired. Apply it, or discard it.',
  );
  assert.equal(listSummary([held, upload('c.csv', 'ok')]), '2 recent files; 0 with rejected rows or refused; 1 waiting for confirmation.');
  // a held file whose dry run rejected rows counts among those with rejected rows
  const heldWithRejects = { ...held, rows: { ...ROWS, rejected: 2 } };
  assert.equal(listSummary([heldWithRejects, upload('c.csv', 'ok')]), '2 recent files; 1 with rejected rows or refused; 1 waiting for confirmation.');
});

test('an applied upload offers Undo to its store\'s users and head office; a head-office file to head office only', () => {
  const undoButtons = (item, user) => [...uploadCard(item, { user }).findAll('button')].filter((b) => b.getAttribute('data-decision') === 'undo');
  const applied = upload('uploads/stores/Berlin/g/a.csv', 'partial', { version: 'v2' });
  const headOffice = upload('uploads/all.csv', 'ok', { store: null, version: 'v3' });

  const [button] = undoButtons(applied, { username: 'ben', admin: false });
  assert.equal(button.textContent, 'Undo');
  assert.equal(button.getAttribute('data-version'), 'v2');
  assert.equal(button.getAttribute('data-key'), 'uploads/stores/Berlin/g/a.csv');
  assert.equal(undoButtons(headOffice, { username: 'ben', admin: false }).length, 0);
  assert.equal(undoButtons(headOffice, { username: 'ho', admin: true }).length, 1);
  assert.equal(undoButtons(applied, null).length, 0);
  for (const status of ['failed', 'loading', 'needs_confirmation', 'discarded', 'undone']) {
    assert.equal(mayUndo(upload('b.csv', status), { username: 'ho', admin: true }), false, status);
  }
  const undone = uploadCard(upload('c.csv', 'undone', { reason: 'Undone by ben: 2 items put back as they were.' }), { user: { admin: true } });
  assert.match(undone.textContent, /^c\.csvUndone/);
  assert.match(undone.textContent, /Changed:?2/);  // the file's own tallies stay
});

test('the full-list box is ticked for a store that asked for it, never for a head-office file', () => {
  const stores = [{ store: 'Berlin', full_list: true }, { store: 'Karachi', full_list: false }, { store: 'Lahore' }];

  assert.equal(fullListByDefault(stores, 'Berlin'), true);
  assert.equal(fullListByDefault(stores, 'Karachi'), false);
  assert.equal(fullListByDefault(stores, 'Lahore'), false);
  assert.equal(fullListByDefault(stores, 'Paris'), false);
  assert.equal(fullListByDefault(stores, null), false);
});
