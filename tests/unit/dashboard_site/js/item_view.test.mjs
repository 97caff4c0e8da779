// The item view's state and its pure render functions (dashboard/js/views/item.js), under node.
import { element } from './fake_dom.mjs';

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { answered, initialState, navigated, period, renderChanges, renderChart, renderCurrent, renderForecast } from '../../../../dashboard/js/views/item.js';

const DAY = 86400_000;
const NOW = Date.parse('2026-11-22T12:00:00Z');
const points = [
  { time: '2026-11-21T08:00:00Z', count: 12, previous: null },
  { time: '2026-11-21T20:00:00Z', count: 9, previous: 12 },
  { time: '2026-11-22T08:00:00Z', count: 11, previous: 9 },
];
const forecast = { item: 'Echo Dot', count: 11, rate_per_day: 2.5, days_left: 2.2, runs_out_at: '2026-11-24T17:00:00Z' };
const item = { store: 'Berlin', item: 'Echo Dot', count: 11, threshold: 4, status: 'ok', updated_at: '2026-11-22T08:00:00Z', forecast };
const config = { soonDays: 3, lowStockDefault: 5 };

function shown(params, answer) {
  return answered({ ...initialState(), params }, { ...period(params.range, NOW), ...answer });
}

test('a period ends now and spans its range; an unknown range is the last 7 days', () => {
  assert.deepEqual(period('1d', NOW), { from: NOW - DAY, to: NOW });
  assert.deepEqual(period('90d', NOW), { from: NOW - 90 * DAY, to: NOW });
  assert.deepEqual(period('1y', NOW), period('7d', NOW));
  assert.deepEqual(period(undefined, NOW), period('7d', NOW));
});

test('an answer replaces what was shown and clears an earlier error', () => {
  const failed = { ...initialState(), params: { store: 'Berlin', item: 'Echo Dot' }, error: 'The request failed' };
  const state = answered(failed, { item, points, from: 1, to: 2 });

  assert.deepEqual(state, { params: failed.params, item, points, from: 1, to: 2, error: null });
  assert.equal(failed.error, 'The request failed', 'the earlier state is left as it was');
});

test('another item starts from nothing; another period of the same item keeps what is shown until its answer', () => {
  const berlin = shown({ store: 'Berlin', item: 'Echo Dot' }, { item, points });

  assert.deepEqual(navigated(berlin, { store: 'Lisbon', item: 'Echo Dot' }), { ...initialState(), params: { store: 'Lisbon', item: 'Echo Dot' } });
  assert.deepEqual(navigated(berlin, { store: 'Berlin', item: 'Echo Show' }).points, null);
  const longer = navigated({ ...berlin, error: 'The request failed' }, { store: 'Berlin', item: 'Echo Dot', range: '90d' });
  assert.deepEqual(longer, { ...berlin, params: { store: 'Berlin', item: 'Echo Dot', range: '90d' }, error: null });
});

test('the changes are listed newest first, with each change signed and the first count marked new', () => {
  const rows = renderChanges(points);

  assert.deepEqual(
    rows.map((row) => row.findAll('td').map((cell) => cell.textContent)),
    [
      ['9', '11', '+2'],
      ['12', '9', '-3'],
      ['new', '12', ''],
    ],
  );
  assert.equal(rows[0].findAll('time')[0].getAttribute('datetime'), '2026-11-22T08:00:00.000Z');
  assert.equal(renderChanges([]).textContent, 'No changes in this period.');
});

test('the present count says its own low-stock level, or that the default applies', () => {
  assert.match(renderCurrent(item).textContent, /^Now 11 In stock · low at 4 · updated /);
  assert.match(renderCurrent({ ...item, threshold: null }).textContent, / · default low-stock level · /);
  assert.equal(renderCurrent(null), null);
});

test('the forecast is marked soon within the stage’s soon days, and its absence is explained', () => {
  const soon = renderForecast(forecast, config);
  const later = renderForecast({ ...forecast, days_left: 12 }, config);

  assert.match(soon.textContent, /^Forecast: 2\.2 d left of cover, runs out around .* · uses about 2\.5 a day$/);
  assert.equal(soon.findAll('strong')[0].getAttribute('class'), 'cover cover-soon');
  assert.equal(later.findAll('strong')[0].getAttribute('class'), 'cover');
  assert.equal(renderForecast(null, config).textContent, 'No forecast: this item has not been seen being used up.');
  assert.equal(renderForecast(null, config).getAttribute('id'), 'item-forecast');
});

test('the chart names the item and its forecast, and a period without changes says so', () => {
  const params = { store: 'Berlin', item: 'Echo Dot' };
  const chart = renderChart(shown(params, { item, points }), config, 720);
  const bare = renderChart(shown(params, { item: { ...item, forecast: null }, points }), config, 720);
  const empty = renderChart(shown(params, { item, points: [] }), config, 720);

  assert.equal(chart.tagName, 'svg');
  assert.equal(chart.findAll('title')[0].textContent, 'Count of Echo Dot in Berlin over time, with its forecast');
  assert.equal(chart.findAll('g').filter((g) => g.getAttribute('class') === 'forecast').length, 1);
  assert.equal(bare.findAll('title')[0].textContent, 'Count of Echo Dot in Berlin over time');
  assert.equal(empty.textContent, 'No changes were recorded in this period.');
});
