// API: the dashboard API's own OpenAPI document in Swagger UI, for signed-in users. Swagger UI
// is vendored (dashboard/vendor/swagger-ui) and loaded only when this view opens; every request
// it sends carries the in-memory ID token.
import { h, messageBox, replace } from '../dom.js';

const VENDOR = new URL('../../vendor/swagger-ui/', import.meta.url);
let loading = null;

/** Load Swagger UI's script and stylesheet once (they define window.SwaggerUIBundle). */
function loadSwaggerUi() {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = h('link', { rel: 'stylesheet', href: new URL('swagger-ui.css', VENDOR).href });
      const script = h('script', { src: new URL('swagger-ui-bundle.js', VENDOR).href });
      script.addEventListener('load', () => resolve(window.SwaggerUIBundle));
      script.addEventListener('error', () => {
        loading = null;
        reject(new Error('The API documentation viewer could not be loaded.'));
      });
      document.head.append(css, script);
    });
  }
  return loading;
}

export function mount(root, ctx) {
  const messages = h('div', { class: 'messages' });
  const docs = h('div', { class: 'swagger-frame', id: 'swagger-ui' });
  replace(
    root,
    h(
      'p',
      { class: 'hint' },
      'Every route of the dashboard API, its parameters and responses. “Try it out” sends real requests as you, with your session’s token.',
    ),
    messages,
    docs,
  );
  let shown = false;

  async function load() {
    if (shown) return;
    try {
      const [SwaggerUIBundle, spec] = await Promise.all([loadSwaggerUi(), ctx.api.openapi()]);
      // Requests go to the API this dashboard is configured for (the host its CSP allows),
      // whatever servers the document lists.
      const document = { ...spec, servers: [{ url: ctx.config.apiUrl, description: 'This dashboard’s API' }] };
      replace(docs);
      SwaggerUIBundle({
        spec: document,
        domNode: docs,
        deepLinking: false,
        validatorUrl: null,
        tryItOutEnabled: false,
        persistAuthorization: false,
        requestInterceptor: async (request) => {
          request.headers = { ...(request.headers || {}), Authorization: `Bearer ${await ctx.auth.idToken()}` };
          return request;
        },
      });
      shown = true;
      replace(messages);
    } catch (error) {
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      throw error;
    }
  }

  return {
    title: () => 'API documentation',
    update: load,
    refresh: () => Promise.resolve(),
  };
}
