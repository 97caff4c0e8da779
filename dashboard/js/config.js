// Settings written at deploy time (or by the local stack) next to index.html.

const REQUIRED = ['apiUrl', 'region', 'userPoolId', 'userPoolClientId', 'cognitoEndpoint'];

export async function loadConfig() {
  const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  const config = await response.json();
  const missing = REQUIRED.filter((key) => !config[key]);
  if (missing.length) throw new Error(`config.json lacks ${missing.join(', ')}`);
  return Object.freeze({
    ...config,
    apiUrl: config.apiUrl.replace(/\/+$/, ''),
    cognitoEndpoint: config.cognitoEndpoint.endsWith('/') ? config.cognitoEndpoint : `${config.cognitoEndpoint}/`,
  });
}
