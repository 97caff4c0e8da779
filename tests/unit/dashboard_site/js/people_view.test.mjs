// The people view's state and its pure render functions (dashboard/js/views/people.js), under node.
import './fake_dom.mjs';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { chosenUser, cleanupText, initialState, personFacts, sortedUsers, summaryText } from '../../../../dashboard/js/views/people.js';

const person = (username, extra = {}) => ({
  username,
  email: `${username}@example.com`,
  stores: ['Berlin'],
  admin: false,
  enabled: true,
  status: 'CONFIRMED',
  mfa_enabled: null,
  created_at: '2026-11-20T10:00:00Z',
  ...extra,
});
const USERS = [
  person('anna', { created_at: '2026-11-21T10:00:00Z' }),
  person('boss', { admin: true, stores: [], mfa_enabled: true }),
  person('carl', { enabled: false, stores: ['Karachi'] }),
];
const names = (users) => users.map((user) => user.username);

function shown(params) {
  return { ...initialState(), params, users: USERS };
}

test('the summary counts everyone and says how many are disabled', () => {
  assert.equal(summaryText(USERS), '3 people, 1 disabled.');
  assert.equal(summaryText(USERS.slice(0, 1)), '1 person.');
  assert.equal(summaryText([]), '0 people.');
});

test('people follow the chosen column and direction: stores by their words, status by its text', () => {
  assert.deepEqual(names(sortedUsers(shown({ sort: 'created_at', dir: 'desc' }))), ['anna', 'boss', 'carl']);
  assert.deepEqual(names(sortedUsers(shown({ sort: 'created_at' }))), ['boss', 'carl', 'anna']);
  assert.deepEqual(names(sortedUsers(shown({ sort: 'access', dir: 'desc' }))), ['carl', 'boss', 'anna'], 'Karachi, Every store…, Berlin');
  assert.deepEqual(names(sortedUsers(shown({ sort: 'state', dir: 'desc' }))), ['carl', 'anna', 'boss'], 'Disabled, then Active');
  assert.deepEqual(names(sortedUsers(shown({}))), ['anna', 'boss', 'carl']);
});

test('the person the URL names is chosen; an unknown or absent one is null', () => {
  assert.equal(chosenUser(shown({ user: 'carl' })).username, 'carl');
  assert.equal(chosenUser(shown({ user: 'nobody' })), null);
  assert.equal(chosenUser(shown({})), null);
});

test('a person’s facts: email and whether it is verified, stores, status, two-step sign-in', () => {
  const facts = (user) => personFacts(user).children.map((row) => row.children.map((cell) => cell.textContent));

  assert.deepEqual(facts({ ...USERS[0], email_verified: false }), [
    ['Email', 'anna@example.com (not verified)'],
    ['Stores', 'Berlin'],
    ['Status', 'Active'],
    ['Two-step sign-in', '—'],
  ]);
  assert.deepEqual(facts({ ...USERS[1], email_verified: true }).map(([, value]) => value), ['boss@example.com', 'Every store (head office)', 'Active', 'On']);
  assert.equal(facts({ ...USERS[2], email: '' })[2][1], 'Disabled');
});

test('what a change swept up is named; nothing swept up adds nothing', () => {
  assert.equal(cleanupText({ signed_out: true, subscriptions: { narrowed: 1, removed: 2, pending: 1 } }), ' (signed out everywhere; 1 alert subscription narrowed; 2 alert subscriptions removed; 1 awaiting confirmation, silenced and removed once SNS allows)');
  assert.equal(cleanupText({ signed_out: false }), '');
});
