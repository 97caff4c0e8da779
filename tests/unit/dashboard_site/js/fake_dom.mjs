// The little of the DOM that dashboard/js/dom.js builds with, for views' render functions under node.
// Imported before any dashboard module: it sets `document` and `Node` on the global object.

class FakeNode {
  constructor() {
    this.childNodes = [];
    this.parentNode = null;
  }

  get textContent() {
    return this.childNodes.map((child) => child.textContent).join('');
  }

  append(...children) {
    for (const child of children) {
      const node = child instanceof FakeNode ? child : new FakeText(String(child));
      node.parentNode = this;
      this.childNodes.push(node);
    }
  }

  replaceChildren(...children) {
    this.childNodes = [];
    this.append(...children);
  }
}

class FakeText extends FakeNode {
  constructor(text) {
    super();
    this.text = text;
  }

  get textContent() {
    return this.text;
  }
}

class FakeElement extends FakeNode {
  constructor(tagName) {
    super();
    this.tagName = tagName;
    this.attributes = {};
    this.dataset = {};
    this.listeners = {};
  }

  setAttribute(name, value) {
    this.attributes[name] = String(value);
  }

  getAttribute(name) {
    return name in this.attributes ? this.attributes[name] : null;
  }

  addEventListener(type, listener) {
    (this.listeners[type] ||= []).push(listener);
  }

  /** What a user's click runs (its listeners, in order); resolves once async ones have. */
  click() {
    return Promise.all((this.listeners.click || []).map((listener) => listener()));
  }

  focus() {
    globalThis.document.activeElement = this;
  }

  get children() {
    return this.childNodes.filter((child) => child instanceof FakeElement);
  }

  /** Every element below this one with this tag name, in document order. */
  findAll(tagName) {
    return this.children.flatMap((child) => [...(child.tagName === tagName ? [child] : []), ...child.findAll(tagName)]);
  }
}

globalThis.Node = FakeNode;
globalThis.document = {
  createElement: (tag) => new FakeElement(tag),
  createElementNS: (_namespace, tag) => new FakeElement(tag),
  createTextNode: (text) => new FakeText(text),
  activeElement: null,
};

/** A detached element, to render into as a view's part would be. */
export function element(tag = 'div') {
  return new FakeElement(tag);
}
