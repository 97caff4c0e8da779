// The account view's pure render functions (dashboard/js/views/account.js), under node.
import './fake_dom.mjs';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { accountFacts, initialState, mfaStatus, storesOf } from '../../../../dashboard/js/views/account.js';

const staff = { username: 'anna', admin: false, stores: '["Berlin","Karachi"]' };
const boss = { username: 'boss', admin: true, stores: '' };
const actions = { enrol: () => 'enrol', turnOff: () => 'turn off' };
const buttons = (parts) => parts.flatMap((part) => part.findAll('button')).map((button) => button.textContent);

test('the stores are the token’s list in words; head office sees every store; none says whom to ask', () => {
  assert.equal(storesOf(staff), 'Berlin, Karachi');
  assert.equal(storesOf(boss), 'Every store (head office)');
  assert.equal(storesOf({ admin: false, stores: '[]' }), 'None yet: ask head office');
  assert.equal(storesOf({ admin: false, stores: 'Berlin' }), 'Berlin', 'a claim that is not JSON is shown as it is');
  assert.deepEqual(
    accountFacts(staff).children.map((row) => row.textContent),
    ['Usernameanna', 'RoleStore staff', 'StoresBerlin, Karachi'],
  );
});

test('off offers to set it up; on offers a new phone, and turning off to store staff only', () => {
  assert.equal(initialState().enabled, null);
  const off = mfaStatus({ enabled: false }, staff, actions);
  assert.equal(off[0].textContent, 'Status: Off');
  assert.deepEqual(buttons(off), ['Set up two-step sign-in']);
  assert.deepEqual(buttons(mfaStatus({ enabled: true }, staff, actions)), ['Set up a new phone', 'Turn off two-step sign-in']);
  const headOffice = mfaStatus({ enabled: true }, boss, actions);
  assert.deepEqual(buttons(headOffice), ['Set up a new phone']);
  assert.match(headOffice[1].textContent, /must keep two-step sign-in on/);
});

test('each button does what it says', () => {
  const [, row] = mfaStatus({ enabled: true }, staff, actions);
  const [newPhone, turnOff] = row.findAll('button');
  assert.equal(newPhone.listeners.click[0](), 'enrol');
  assert.equal(turnOff.listeners.click[0](), 'turn off');
});
