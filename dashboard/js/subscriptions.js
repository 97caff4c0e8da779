// Alert subscriptions without the DOM: which severities and protocols the API offers (read from its
// own OpenAPI document, so a severity the alerts service adds appears without a change here), their
// words, and the checks the page makes before sending. Tested on their own (tests/unit/dashboard_site/js).

/** Words for the severities the page knows; any other is shown by its name. */
export const SEVERITY_TEXT = {
  out: 'Out of stock',
  low: 'Low stock',
  soon: 'Runs out soon (forecast)',
  restocked: 'Restocked',
};

export const STATUS_TEXT = {
  awaiting_code: 'Waiting for the code',
  pending_confirmation: 'Pending confirmation',
  confirmed: 'Confirmed',
  incomplete: 'Incomplete',
  removing: 'Being removed',
  expired: 'Expired',
};

/** Protocols a person subscribes with; the API allows systems (https, sqs, lambda) for admins only. */
export const PERSONAL_PROTOCOLS = ['email', 'sms'];

/** The personal protocols this stage offers: text messages only where config.json says it can send them. */
export function offeredProtocols(config) {
  return PERSONAL_PROTOCOLS.filter((protocol) => protocol !== 'sms' || config.smsEnabled === true);
}

function resolve(document, schema) {
  let current = schema;
  for (let depth = 0; current?.$ref && depth < 10; depth += 1) {
    const path = current.$ref.replace(/^#\//, '').split('/');
    current = path.reduce((node, part) => node?.[part], document);
  }
  return current;
}

/** The enum of one property of a schema in an OpenAPI document (arrays: of their items); [] if none. */
export function propertyEnum(document, schemaName, property) {
  const schema = resolve(document, document?.components?.schemas?.[schemaName]);
  let node = resolve(document, schema?.properties?.[property]);
  if (node?.type === 'array') node = resolve(document, node.items);
  const choices = node?.enum || node?.anyOf?.flatMap((option) => resolve(document, option)?.enum || []) || [];
  return choices.filter((value) => typeof value === 'string');
}

/** The severities a subscription may ask for, as the API's document lists them. */
export function severitiesOf(document) {
  return propertyEnum(document, 'SubscriptionRequest', 'severities');
}

/** The protocols the API takes, in the document's order. */
export function protocolsOf(document) {
  return propertyEnum(document, 'SubscriptionRequest', 'protocol');
}

/**
 * What is wrong with a subscription before it is sent, or null. The API checks again (and its message
 * is shown as it is): this only saves a round trip for what is plainly missing.
 */
export function checkSubscription({ protocol, endpoint, stores, severities }) {
  if (!protocol) return 'Choose email or text message.';
  if (!String(endpoint || '').trim()) return protocol === 'sms' ? 'Enter the phone number to text.' : 'Enter the email address to send alerts to.';
  if (!stores?.length) return 'Choose at least one store.';
  if (!severities?.length) return 'Choose at least one kind of alert.';
  return null;
}

/** The 6 digits of a texted code as typed ("123 456", "123-456"), or null when it is not 6 digits. */
export function cleanCode(text) {
  const digits = String(text || '').replace(/[\s-]/g, '');
  return /^[0-9]{6}$/.test(digits) ? digits : null;
}

/** "Out of stock, Low stock" for a subscription's severities. */
export function severityWords(severities) {
  return (severities || []).map((severity) => SEVERITY_TEXT[severity] || severity).join(', ');
}
