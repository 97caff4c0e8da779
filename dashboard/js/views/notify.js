// Notify me: one's own alert subscriptions (email or text message), for stores one may see and the
// severities the API offers, each with its status as SNS reports it (pending confirmation until the
// link sent to the address is followed). A phone number first gets a code by text: its card asks for
// the code (and can have a new one sent) until it is entered. Head office may list everyone's.
// Removing asks first. The list's state is one object, drawn by pure functions (the cards' controls
// keep their own).
import { ApiError } from '../api.js';
import { confirmButton } from '../confirm.js';
import { h, messageBox, replace, setBusy } from '../dom.js';
import { formatTime, isoOrNull } from '../format.js';
import { latest } from '../latest.js';
import { STATUS_TEXT, checkSubscription, cleanCode, offeredProtocols, severitiesOf, severityWords } from '../subscriptions.js';

const PROTOCOL_TEXT = { email: 'Email', sms: 'Text message (SMS)', https: 'HTTPS', sqs: 'SQS queue', lambda: 'Lambda function' };
const ENDPOINT = {
  email: { label: 'Email address', type: 'email', autocomplete: 'email', inputmode: 'email', hint: 'Alerts go to this address once you follow the confirmation link sent to it.' },
  sms: {
    label: 'Phone number',
    type: 'tel',
    autocomplete: 'tel',
    inputmode: 'tel',
    hint: 'In international form: + then country code and number, e.g. +4915112345678. A code is texted to it first: alerts start once you enter it.',
  },
};
// Seconds before the page offers to text another code (the API allows one a minute).
const RESEND_AFTER = 60;
// More stores than this and the list gets a filter.
const FILTER_FROM = 12;

function statusBadge(status) {
  return h('span', { class: `badge badge-sub-${status}` }, STATUS_TEXT[status] || status);
}

/** A group of checkboxes with a legend; returns {element, checked(), set(values)}. */
function checkboxGroup({ id, legend, choices, hint }) {
  const boxes = choices.map(([value, label], index) => {
    const input = h('input', { type: 'checkbox', id: `${id}-${index}`, name: id, value });
    return { input, row: h('li', {}, input, h('label', { for: `${id}-${index}` }, label)) };
  });
  const list = h('ul', { class: 'choice-list' }, boxes.map((box) => box.row));
  const element = h(
    'fieldset',
    { class: 'choices', id, 'aria-describedby': hint ? `${id}-hint` : null },
    h('legend', {}, legend),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    list,
  );
  return {
    element,
    list,
    boxes,
    checked: () => boxes.filter((box) => box.input.checked).map((box) => box.input.value),
    set: (values) => {
      for (const box of boxes) box.input.checked = values.includes(box.input.value);
    },
  };
}

/** The view before its first answer: no subscriptions yet (null), no stores or severities to offer. */
export function initialState() {
  return { params: {}, all: false, subscriptions: null, stores: null, severities: [] };
}

/** How many subscriptions are listed ('' for none: the list says so itself). */
export function listSummaryText(subscriptions) {
  if (!subscriptions.length) return '';
  return `${subscriptions.length} ${subscriptions.length === 1 ? 'subscription' : 'subscriptions'}.`;
}

/** What an empty list says: nobody has subscribed (everyone's), or you have not (your own). */
export function emptyListText(all) {
  return all ? 'Nobody has subscribed to alerts yet.' : 'You have no alert subscriptions yet. Add one below.';
}

/** A subscription's facts: how, which stores, which alerts, whose (in everyone's list), since when. */
export function subscriptionFacts(subscription, { all }) {
  return h(
    'dl',
    { class: 'subscription-facts' },
    h('div', {}, h('dt', {}, 'By'), h('dd', {}, PROTOCOL_TEXT[subscription.protocol] || subscription.protocol)),
    h('div', {}, h('dt', {}, 'Stores'), h('dd', { class: 'sub-stores' }, subscription.stores.join(', '))),
    h('div', {}, h('dt', {}, 'Alerts about'), h('dd', { class: 'sub-severities' }, severityWords(subscription.severities))),
    all ? h('div', {}, h('dt', {}, 'Owner'), h('dd', { class: 'sub-owner' }, subscription.owner)) : null,
    h('div', {}, h('dt', {}, 'Since'), h('dd', {}, h('time', { datetime: isoOrNull(subscription.created_at) }, formatTime(subscription.created_at)))),
  );
}

/**
 * A subscription's card: address, status, facts, what is left to do. `controls` builds its widgets:
 * `code` (a phone number's code, for its owner only) and `remove` (gone once it is being removed).
 */
export function subscriptionCard(subscription, { all, username }, controls) {
  const { status } = subscription;
  return h(
    'li',
    { class: `subscription sub-${status}`, 'data-id': subscription.id },
    h('div', { class: 'subscription-head' }, h('h3', { class: 'endpoint' }, subscription.endpoint), statusBadge(status)),
    subscriptionFacts(subscription, { all }),
    status === 'pending_confirmation' ? h('p', { class: 'hint' }, 'Follow the link sent to this address to start receiving alerts (it expires after 3 days).') : null,
    status === 'awaiting_code' && subscription.owner === username ? controls.code(subscription) : null,
    status === 'removing' ? null : controls.remove(subscription),
  );
}

export function mount(root, ctx) {
  const { user, config } = ctx;
  let state = initialState();

  // -- the list ---------------------------------------------------------------------------------
  const messages = h('div', { class: 'messages', 'aria-live': 'polite' });
  const everyone = h('input', { type: 'checkbox', id: 'notify-all' });
  const listSummary = h('p', { class: 'summary', role: 'status' });
  const list = h('ul', { class: 'subscriptions', 'aria-label': 'Subscriptions' });
  const listPanel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'subs-heading' },
    h('h2', { id: 'subs-heading' }, 'Your alert subscriptions'),
    user.admin ? h('p', { class: 'check-row' }, everyone, h('label', { for: 'notify-all' }, 'Show everyone’s subscriptions')) : null,
    messages,
    listSummary,
    list,
  );
  everyone.addEventListener('change', () => ctx.go('notify', { all: everyone.checked ? '1' : '' }));

  // -- the form -----------------------------------------------------------------------------------
  const formMessages = h('div', { class: 'messages', 'aria-live': 'polite' });
  // Text messages only where the stage can send them; elsewhere SNS would take the number and drop every text.
  const protocolRadios = offeredProtocols(config).map((protocol, index) =>
    h('input', { type: 'radio', name: 'notify-protocol', id: `notify-protocol-${protocol}`, value: protocol, checked: index === 0 }),
  );
  const protocolGroup = h(
    'fieldset',
    { class: 'choices choices-inline' },
    h('legend', {}, 'Send alerts by'),
    h(
      'ul',
      { class: 'choice-list' },
      protocolRadios.map((radio) => h('li', {}, radio, h('label', { for: radio.id }, PROTOCOL_TEXT[radio.value]))),
    ),
  );
  const endpointLabel = h('label', { for: 'notify-endpoint' });
  const endpointHint = h('p', { class: 'hint', id: 'notify-endpoint-hint' });
  const endpoint = h('input', { id: 'notify-endpoint', name: 'endpoint', required: true, spellcheck: 'false', autocapitalize: 'none', 'aria-describedby': 'notify-endpoint-hint' });
  const endpointField = h('div', { class: 'field' }, endpointLabel, endpoint, endpointHint);
  const storesSlot = h('div', { class: 'stores-slot' });
  const severitySlot = h('div', { class: 'severity-slot' });
  // Enabled once the stores to choose from are shown (buildStores): a press before would say none is chosen.
  const submit = h('button', { type: 'submit', class: 'button button-primary', disabled: true }, 'Subscribe');
  const form = h(
    'form',
    { class: 'notify-form', novalidate: true, 'aria-labelledby': 'add-heading' },
    protocolGroup,
    endpointField,
    storesSlot,
    severitySlot,
    formMessages,
    h('div', { class: 'button-row' }, submit),
  );
  let storeGroup = null;
  let severityGroup = null;

  replace(
    root,
    listPanel,
    h('section', { class: 'panel', 'aria-labelledby': 'add-heading' }, h('h2', { id: 'add-heading' }, 'Add a subscription'), form),
  );

  function protocol() {
    return protocolRadios.find((radio) => radio.checked)?.value || '';
  }

  function showProtocol() {
    const spec = ENDPOINT[protocol()] || ENDPOINT.email;
    endpointLabel.textContent = spec.label;
    endpointHint.textContent = spec.hint;
    for (const name of ['type', 'autocomplete', 'inputmode']) endpoint.setAttribute(name, spec[name]);
  }
  for (const radio of protocolRadios) radio.addEventListener('change', showProtocol);
  showProtocol();

  function buildStores(names) {
    storeGroup = checkboxGroup({
      id: 'notify-stores',
      legend: 'Stores',
      choices: names.map((name) => [name, name]),
      hint: user.admin ? 'Head office may choose any store.' : null,
    });
    const tools = [];
    if (names.length > FILTER_FROM) {
      const filter = h('input', { type: 'search', id: 'notify-store-filter', autocomplete: 'off', placeholder: 'Store name contains…' });
      filter.addEventListener('input', () => {
        const q = filter.value.trim().toLocaleLowerCase();
        for (const box of storeGroup.boxes) box.row.hidden = Boolean(q) && !box.input.value.toLocaleLowerCase().includes(q);
      });
      tools.push(h('div', { class: 'field' }, h('label', { for: 'notify-store-filter' }, 'Find a store'), filter));
    }
    if (names.length === 1) storeGroup.set(names);
    storeGroup.list.classList.toggle('choice-scroll', names.length > FILTER_FROM);
    storeGroup.element.insertBefore(h('div', { class: 'choice-tools' }, tools), storeGroup.list);
    replace(storesSlot, names.length ? storeGroup.element : messageBox('notice', 'No stores are assigned to your account yet, so there is nothing to subscribe to.'));
    submit.disabled = !names.length;
  }

  function buildSeverities(values) {
    severityGroup = checkboxGroup({
      id: 'notify-severities',
      legend: 'Alerts about',
      choices: values.map((value) => [value, severityWords([value])]),
    });
    severityGroup.set(values.filter((value) => value !== 'restocked'));
    replace(severitySlot, severityGroup.element);
  }

  function showFormError(text) {
    replace(formMessages, messageBox('error', text));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const request = {
      protocol: protocol(),
      endpoint: endpoint.value.trim(),
      stores: storeGroup?.checked() || [],
      severities: severityGroup?.checked() || [],
    };
    const problem = checkSubscription(request);
    if (problem) {
      showFormError(problem);
      (request.endpoint ? form.querySelector('input[type=checkbox]') || endpoint : endpoint).focus();
      return;
    }
    setBusy(form, true);
    try {
      const created = await ctx.api.subscribe(request);
      endpoint.value = '';
      const pending = created.status === 'pending_confirmation';
      const awaiting = created.status === 'awaiting_code';
      replace(
        formMessages,
        messageBox(
          'notice',
          awaiting
            ? `We texted a code to ${created.endpoint}. Enter it in the subscription above: alerts start once you do.`
            : `Subscribed ${created.endpoint} to alerts of ${created.stores.join(', ')}.` +
                (pending ? ' Follow the link sent to it to confirm: alerts start once you do.' : ''),
        ),
      );
      ctx.announce(awaiting ? `Code texted to ${created.endpoint}.` : `Subscribed ${created.endpoint}.`);
      if (awaiting) sentAt.set(created.id, sentAt.get(created.id) || Date.now());
      await loadList();
      if (awaiting) list.querySelector(`[data-id="${CSS.escape(created.id)}"] .code-input`)?.focus();
    } catch (error) {
      if (ctx.handleError(error)) return;
      // The API's own words: which address is wrong and why, a store that is not yours, the cap.
      showFormError(error instanceof ApiError ? error.message : String(error.message || error));
      endpoint.focus();
    } finally {
      setBusy(form, false);
      submit.disabled = !state.stores?.length;
    }
  });

  // -- removing, asked first in place of the button ------------------------------------------------
  function removeControls(subscription) {
    const { endpoint: address } = subscription;
    return confirmButton(
      { ask: ['Remove', h('span', { class: 'visually-hidden' }, ` ${address}`)], question: `Stop alerts to ${address}?`, yes: 'Yes, remove it', label: 'Confirm removal', danger: false },
      async () => {
        try {
          const left = await ctx.api.unsubscribe(subscription.id);
          const text = left
            ? `${address} is still waiting for confirmation, which the alert service cannot cancel: it now gets no alerts and goes within 3 days.`
            : `Removed the subscription of ${address}.`;
          replace(messages, messageBox('notice', text));
          await loadList();
          return true;
        } catch (error) {
          if (ctx.handleError(error)) return true;
          replace(messages, messageBox('error', error.message));
          return false;
        }
      },
    );
  }

  // -- a phone number's code --------------------------------------------------------------------
  const sentAt = new Map(); // subscription id -> when this page last had a code texted for it

  function codeControls(subscription) {
    const id = `code-${subscription.id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    const input = h('input', {
      id,
      name: 'code',
      class: 'code-input',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      maxlength: '7',
      spellcheck: 'false',
      'aria-describedby': `${id}-hint`,
    });
    const note = h('div', { class: 'messages', 'aria-live': 'polite' });
    const confirm = h('button', { type: 'submit', class: 'button button-primary' }, 'Confirm');
    const resend = h('button', { type: 'button', class: 'button resend' }, 'Text me a new code');
    const form = h(
      'form',
      { class: 'code-form', novalidate: true, 'aria-label': `Confirm ${subscription.endpoint}` },
      h(
        'div',
        { class: 'field' },
        h('label', { for: id }, 'Code from the text message'),
        input,
        h('p', { class: 'hint', id: `${id}-hint` }, `6 digits, texted to ${subscription.endpoint}; each code works for 10 minutes. Alerts start once you enter it.`),
      ),
      note,
      h('div', { class: 'button-row' }, confirm, resend),
    );
    let timer = null;
    function holdResend(seconds) {
      clearTimeout(timer);
      resend.disabled = true;
      timer = setTimeout(() => {
        if (form.isConnected && form.getAttribute('aria-busy') !== 'true') resend.disabled = false;
      }, seconds * 1000);
    }
    const since = sentAt.get(subscription.id);
    if (since && Date.now() - since < RESEND_AFTER * 1000) holdResend(RESEND_AFTER - (Date.now() - since) / 1000);

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const code = cleanCode(input.value);
      if (!code) {
        replace(note, messageBox('error', 'Enter the 6 digits of the code from the text message.'));
        input.focus();
        return;
      }
      setBusy(form, true);
      try {
        const done = await ctx.api.verifySubscription(subscription.id, code);
        sentAt.delete(subscription.id);
        replace(messages, messageBox('notice', `Confirmed ${done.endpoint}: alerts of ${done.stores.join(', ')} will be texted to it.`));
        ctx.announce(`Confirmed ${done.endpoint}.`);
        await loadList();
      } catch (error) {
        if (ctx.handleError(error)) return;
        setBusy(form, false);
        replace(note, messageBox('error', error.message));
        input.select();
        input.focus();
      }
    });
    resend.addEventListener('click', async () => {
      setBusy(form, true);
      try {
        await ctx.api.resendCode(subscription.id);
        sentAt.set(subscription.id, Date.now());
        input.value = '';
        setBusy(form, false);
        holdResend(RESEND_AFTER);
        replace(note, messageBox('notice', `A new code is on its way to ${subscription.endpoint}. The previous code no longer works.`));
        input.focus();
      } catch (error) {
        if (ctx.handleError(error)) return;
        setBusy(form, false);
        if (error.retryAfter) holdResend(error.retryAfter);
        replace(note, messageBox('error', error.message));
      }
    });
    return form;
  }

  // The newest listing only: one that a later one (the other list chosen, a change just made) overtook is dropped.
  const lists = latest();

  async function fetchList(all, signal) {
    const loaded = [];
    let cursor;
    do {
      const body = await ctx.api.subscriptions({ all, limit: all ? 100 : undefined, cursor }, { signal });
      loaded.push(...body.subscriptions);
      cursor = all ? body.next_cursor : null;
    } while (cursor);
    return loaded;
  }

  function renderList() {
    const { all, subscriptions } = state;
    listSummary.textContent = listSummaryText(subscriptions);
    const controls = { code: codeControls, remove: removeControls };
    const cards = subscriptions.map((subscription) => subscriptionCard(subscription, { all, username: user.username }, controls));
    replace(list, cards.length ? cards : h('li', { class: 'empty' }, emptyListText(all)));
  }

  function loadList() {
    const all = Boolean(state.params.all) && user.admin;
    return lists.run(
      (signal) => fetchList(all, signal),
      (subscriptions) => {
        state = { ...state, all, subscriptions };
        renderList();
      },
    );
  }

  async function load() {
    // The list needs neither the stores nor the alert types offered: it is asked for at once, beside them.
    const listed = loadList();
    listed.catch(() => {}); // awaited below; a failure beside the others is reported once
    try {
      const [stores, document] = await Promise.all([ctx.getStores(), ctx.api.openapi()]);
      // The choices are rebuilt only when they change, so what is checked (and focused) stays.
      const names = stores.map((store) => store.store);
      if (!state.stores || names.join('\u0000') !== state.stores.join('\u0000')) {
        state = { ...state, stores: names };
        const kept = storeGroup?.checked() || [];
        buildStores(names);
        if (kept.length) storeGroup.set(kept);
      }
      const offered = severitiesOf(document);
      if (offered.join() !== state.severities.join()) {
        state = { ...state, severities: offered };
        buildSeverities(offered);
      }
      await listed;
    } catch (error) {
      if (!ctx.handleError(error)) replace(messages, messageBox('error', error.message));
      throw error;
    }
  }

  return {
    title: () => 'Notify me',
    update(next) {
      state = { ...state, params: next };
      everyone.checked = Boolean(next.all);
      return load();
    },
    // An open "remove?" question, or a code being typed, is not swept away by the auto-refresh.
    refresh: () =>
      list.querySelector('.confirm-text') || [...list.querySelectorAll('.code-input')].some((input) => input.value || input === document.activeElement)
        ? Promise.resolve()
        : load(),
    destroy: () => lists.cancel(),
  };
}
