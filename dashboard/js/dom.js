// DOM helpers. Data is only ever inserted as text nodes or attribute values: nothing here parses HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

function applyAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  return el;
}

/** Create an HTML element: h('a', {href: '#/x'}, 'text', child). */
export function h(tag, attrs, ...children) {
  return append(applyAttrs(document.createElement(tag), attrs), children);
}

/** Create an SVG element. */
export function s(tag, attrs, ...children) {
  return append(applyAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
}

/** Replace all children of an element. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A status shown by colour and by text. */
export function statusBadge(status) {
  const labels = { out: 'Out of stock', low: 'Low stock', ok: 'In stock' };
  return h('span', { class: `badge badge-${status}` }, labels[status] || status);
}

/** A message box; role=alert for errors so screen readers announce them. */
export function messageBox(kind, text) {
  return h('p', { class: `message message-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** Disable a form's controls while it is being sent (aria-busy tells screen readers). */
export function setBusy(form, on) {
  for (const control of form.querySelectorAll('input, button, select, textarea')) control.disabled = on;
  form.setAttribute('aria-busy', String(on));
}
