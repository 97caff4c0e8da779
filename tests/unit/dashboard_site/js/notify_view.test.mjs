// The Notify me view's state and its pure render functions (dashboard/js/views/notify.js), under node.
import { element } from './fake_dom.mjs';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { emptyListText, initialState, listSummaryText, subscriptionCard, subscriptionFacts } from '../../../../dashboard/js/views/notify.js';

const subscription = {
  id: 's1',
  owner: 'anna',
  protocol: 'sms',
  endpoint: '+4915112345678',
  stores: ['Berlin', 'Karachi'],
  severities: ['out', 'low'],
  status: 'confirmed',
  created_at: '2026-11-22T10:00:00Z',
};
const facts = (element) => element.children.map((row) => row.children.map((cell) => cell.textContent));

test('the summary counts the subscriptions; an empty list says whose list is empty', () => {
  assert.equal(listSummaryText([subscription]), '1 subscription.');
  assert.equal(listSummaryText([subscription, subscription]), '2 subscriptions.');
  assert.equal(listSummaryText([]), '');
  assert.equal(emptyListText(true), 'Nobody has subscribed to alerts yet.');
  assert.equal(emptyListText(false), 'You have no alert subscriptions yet. Add one below.');
  assert.equal(initialState().subscriptions, null);
  assert.equal(initialState().stores, null, 'no stores known yet, not none');
});

test('a subscription’s facts name how, where and what; the owner only in everyone’s list', () => {
  const own = facts(subscriptionFacts(subscription, { all: false }));
  const everyones = facts(subscriptionFacts(subscription, { all: true }));

  assert.deepEqual(own.slice(0, 3), [
    ['By', 'Text message (SMS)'],
    ['Stores', 'Berlin, Karachi'],
    ['Alerts about', 'Out of stock, Low stock'],
  ]);
  assert.deepEqual(own.map(([label]) => label), ['By', 'Stores', 'Alerts about', 'Since']);
  assert.deepEqual(everyones[3], ['Owner', 'anna']);
});

test('a card says what is left to do: follow the link, enter the code (its owner only), or nothing once removing', () => {
  const controls = { code: () => element('form'), remove: () => element('button') };
  const card = (status, owner = 'anna') => subscriptionCard({ ...subscription, status, owner }, { all: false, username: 'anna' }, controls);
  const widgets = (li) => li.children.slice(2).map((child) => child.tagName);

  assert.equal(card('confirmed').getAttribute('data-id'), 's1');
  assert.equal(card('confirmed').findAll('h3')[0].textContent, '+4915112345678');
  assert.deepEqual(widgets(card('confirmed')), ['button']);
  assert.deepEqual(widgets(card('pending_confirmation')), ['p', 'button']);
  assert.match(card('pending_confirmation').children[2].textContent, /Follow the link/);
  assert.deepEqual(widgets(card('awaiting_code')), ['form', 'button']);
  assert.deepEqual(widgets(card('awaiting_code', 'boss')), ['button'], 'head office cannot enter another person’s code');
  assert.deepEqual(widgets(card('removing')), []);
});
