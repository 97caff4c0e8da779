// Asking first, in place (dashboard/js/confirm.js), under node.
import './fake_dom.mjs';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { confirmButton } from '../../../../dashboard/js/confirm.js';

const texts = (cell) => cell.children.map((child) => child.textContent);

function asking(action, options = {}) {
  const cell = confirmButton({ ask: 'Delete', question: 'Delete anna for good?', yes: 'Yes, delete', ...options }, action);
  cell.children[0].click();
  return cell;
}

test('the button asks in its place, and Cancel puts it back with the focus on it', () => {
  const cell = asking(() => assert.fail('nothing is done before yes'));
  assert.deepEqual(texts(cell), ['Delete anna for good?', 'Yes, delete', 'Cancel']);
  assert.equal(document.activeElement, cell.children[2], 'the focus is on Cancel, the harmless choice');

  cell.children[2].click();
  assert.deepEqual(texts(cell), ['Delete']);
  assert.equal(document.activeElement, cell.children[0]);
});

test('yes runs the action once; a failure brings the button back, a success leaves the answer', async () => {
  const calls = [];
  const failing = asking(async () => calls.push('failed') && false);
  await failing.children[1].click();
  assert.deepEqual(texts(failing), ['Delete']);

  const done = asking(async () => calls.push('done') > 0);
  const [, yes, no] = done.children;
  await yes.click();
  assert.deepEqual(texts(done), ['Delete anna for good?', 'Yes, delete', 'Cancel']);
  assert.deepEqual([yes.disabled, no.disabled], [true, true], 'not asked twice while it runs');
  assert.deepEqual(calls, ['failed', 'done']);
});

test('the question can be named for screen readers, and the button need not look dangerous', () => {
  const cell = asking(() => true, { label: 'Confirm removal', danger: false });
  assert.equal(cell.children[0].getAttribute('role'), 'group');
  assert.equal(cell.children[0].getAttribute('aria-label'), 'Confirm removal');
  const plain = confirmButton({ ask: 'Remove', question: '?', yes: 'Yes', danger: false }, () => true);
  assert.equal(plain.children[0].getAttribute('class'), 'button');
  assert.equal(asking(() => true).children[0].getAttribute('role'), null);
});
