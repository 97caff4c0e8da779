// Settings written at deploy time (or by the local stack) next to index.html.

const REQUIRED = ['apiUrl', 'region', 'userPoolId', 'userPoolClientId', 'cognitoEndpoint', 'soonDays'];

export async function loadConfig() {
  const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  const config = await response.json();
  const missing = REQUIRED.filter((key) => !config[key]);
  if (missing.length) throw new Error(`config.json lacks ${missing.join(', ')}`);
  const positive = (value, fallback) => (typeof value === 'number' && value > 0 ? value : fallback);
  return Object.freeze({
    ...config,
    // Head office flags a store as stale after this long without an upload.
    staleAfterHours: positive(config.staleAfterHours, 48),
    // The stage's default low-stock level, for items without their own (null: not marked).
    lowStockDefault: typeof config.lowStockDefault === 'number' ? config.lowStockDefault : null,
    // Whether the stage can send text messages (its smsEnabled parameter): Notify me offers SMS only then.
    smsEnabled: config.smsEnabled === true,
    apiUrl: config.apiUrl.replace(/\/+$/, ''),
    cognitoEndpoint: config.cognitoEndpoint.endsWith('/') ? config.cognitoEndpoint : `${config.cognitoEndpoint}/`,
  });
}
