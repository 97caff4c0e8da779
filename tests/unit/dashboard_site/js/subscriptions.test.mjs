// Notify me's pure parts (dashboard/js/subscriptions.js) and the forecast line's geometry
// (dashboard/js/charts.js forecastSegment), run by node's test runner.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { forecastSegment } from '../../../../dashboard/js/charts.js';
import {
  checkSubscription,
  cleanCode,
  offeredProtocols,
  propertyEnum,
  protocolsOf,
  severitiesOf,
  severityWords,
} from '../../../../dashboard/js/subscriptions.js';

// The shape Powertools' OpenAPI document gives the request: the severities as an array of a $ref'd enum.
const DOCUMENT = {
  components: {
    schemas: {
      Alert: { type: 'string', enum: ['out', 'low', 'soon', 'restocked'] },
      SubscriptionRequest: {
        type: 'object',
        properties: {
          protocol: { type: 'string', enum: ['email', 'sms', 'https', 'sqs', 'lambda'] },
          severities: { type: 'array', items: { $ref: '#/components/schemas/Alert' } },
          stores: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

test('the severities and protocols come from the API document, in its order', () => {
  assert.deepEqual(severitiesOf(DOCUMENT), ['out', 'low', 'soon', 'restocked']);
  assert.deepEqual(protocolsOf(DOCUMENT), ['email', 'sms', 'https', 'sqs', 'lambda']);
});

test('a severity the alerts service adds appears without a change to the page', () => {
  const grown = structuredClone(DOCUMENT);
  grown.components.schemas.Alert.enum.push('stale');
  assert.deepEqual(severitiesOf(grown), ['out', 'low', 'soon', 'restocked', 'stale']);
  assert.equal(severityWords(['out', 'stale']), 'Out of stock, stale');
});

test('a property without an enum, or a document without the schema, offers nothing', () => {
  assert.deepEqual(propertyEnum(DOCUMENT, 'SubscriptionRequest', 'stores'), []);
  assert.deepEqual(severitiesOf({}), []);
  assert.deepEqual(severitiesOf(null), []);
});

test('plainly missing parts are named before anything is sent', () => {
  const good = { protocol: 'email', endpoint: 'a@example.com', stores: ['Berlin'], severities: ['out'] };
  assert.equal(checkSubscription(good), null);
  assert.equal(checkSubscription({ ...good, endpoint: '  ' }), 'Enter the email address to send alerts to.');
  assert.equal(checkSubscription({ ...good, protocol: 'sms', endpoint: '' }), 'Enter the phone number to text.');
  assert.equal(checkSubscription({ ...good, stores: [] }), 'Choose at least one store.');
  assert.equal(checkSubscription({ ...good, severities: [] }), 'Choose at least one kind of alert.');
});

test('the forecast line starts where the count was last known and ends at 0 when it runs out', () => {
  const segment = forecastSegment({ count: 10, rate_per_day: 5, runs_out_at: '2026-01-03T00:00:00.000Z' });
  assert.equal(segment.end, Date.parse('2026-01-03T00:00:00.000Z'));
  assert.equal(segment.start, Date.parse('2026-01-01T00:00:00.000Z')); // 10 units at 5 a day: 2 days before
  assert.equal(segment.count, 10);
});

test('no line without a rate of use or a time to run out', () => {
  assert.equal(forecastSegment(null), null);
  assert.equal(forecastSegment({ count: 10, rate_per_day: 0, runs_out_at: '2026-01-03T00:00:00Z' }), null);
  assert.equal(forecastSegment({ count: 10, rate_per_day: 5, runs_out_at: 'soon' }), null);
});

test('text messages are offered only where config.json says the stage can send them', () => {
  assert.deepEqual(offeredProtocols({ smsEnabled: true }), ['email', 'sms']);
  assert.deepEqual(offeredProtocols({ smsEnabled: false }), ['email']);
  assert.deepEqual(offeredProtocols({}), ['email']);
});

test('a texted code is taken as typed with spaces or a dash, and nothing but 6 digits passes', () => {
  assert.equal(cleanCode(' 123 456 '), '123456');
  assert.equal(cleanCode('123-456'), '123456');
  assert.equal(cleanCode('12345'), null);
  assert.equal(cleanCode('1234567'), null);
  assert.equal(cleanCode('١٢٣٤٥٦'), null); // other scripts' digits: the API takes 0-9 only
  assert.equal(cleanCode(''), null);
});
