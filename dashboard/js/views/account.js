// Account: who is signed in, which stores they see, and two-step sign-in (TOTP) on or off.
// The view keeps what it shows in one state object; the functions that draw it are pure.
import { SessionExpiredError, describeAuthError } from '../auth.js';
import { h, messageBox, replace } from '../dom.js';
import { latest } from '../latest.js';
import { enrolmentForm } from '../mfa.js';
import { MFA_ON } from './signin.js';

/** The stores a user sees, in words (the token's `stores` claim is a JSON list). */
export function storesOf(user) {
  if (user.admin) return 'Every store (head office)';
  try {
    const stores = JSON.parse(user.stores || '[]');
    return Array.isArray(stores) && stores.length ? stores.join(', ') : 'None yet: ask head office';
  } catch {
    return user.stores || 'None yet: ask head office';
  }
}

/** What the view shows before its first answer: two-step sign-in neither on nor off yet (null). */
export function initialState() {
  return { enabled: null };
}

/** Who is signed in: username, role and stores. */
export function accountFacts(user) {
  return h(
    'dl',
    { class: 'account-facts' },
    h('div', {}, h('dt', {}, 'Username'), h('dd', {}, user.username)),
    h('div', {}, h('dt', {}, 'Role'), h('dd', {}, user.admin ? 'Head office' : 'Store staff')),
    h('div', {}, h('dt', {}, 'Stores'), h('dd', {}, storesOf(user))),
  );
}

function button(text, onClick, kind = '') {
  return h('button', { type: 'button', class: `button ${kind}`, onclick: onClick }, text);
}

/**
 * Two-step sign-in's status and what can be done: set it up when off; when on, set up a new phone
 * or turn it off (head office must keep it on). `enrol` and `turnOff` are the buttons' actions.
 */
export function mfaStatus({ enabled }, user, { enrol, turnOff }) {
  return [
    h('p', { class: 'mfa-status', id: 'mfa-status' }, 'Status: ', h('strong', {}, enabled ? 'On' : 'Off')),
    enabled
      ? h(
          'div',
          { class: 'button-row' },
          button('Set up a new phone', enrol),
          user.admin ? h('p', { class: 'hint' }, 'Head office accounts must keep two-step sign-in on.') : button('Turn off two-step sign-in', turnOff),
        )
      : h('div', { class: 'button-row' }, button('Set up two-step sign-in', enrol, 'button-primary')),
  ];
}

export function mount(root, ctx) {
  const { auth, user } = ctx;
  let state = initialState();
  const messages = h('div', { class: 'messages', 'aria-live': 'polite' });
  const mfaPanel = h('div', { class: 'mfa-panel' });
  replace(
    root,
    h('section', { class: 'panel', 'aria-labelledby': 'account-heading' }, h('h2', { id: 'account-heading' }, 'Your account'), accountFacts(user)),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'mfa-heading' },
      h('h2', { id: 'mfa-heading' }, 'Two-step sign-in'),
      h('p', {}, 'With two-step sign-in, signing in needs your password and a code from an authenticator app on your phone.'),
      messages,
      mfaPanel,
    ),
  );

  const showError = (error) => replace(messages, messageBox('error', typeof error === 'string' ? error : describeAuthError(error)));

  async function enrol() {
    replace(messages);
    let secret;
    try {
      secret = await auth.startMfaEnrolment();
    } catch (error) {
      if (!ctx.handleError(error)) showError(error);
      return;
    }
    const form = enrolmentForm({
      username: user.username,
      secret,
      headingId: 'mfa-enrol-heading',
      heading: 'Set up an authenticator app',
      submitLabel: 'Turn on two-step sign-in',
      showError,
      extra: button('Cancel', () => load()),
      onSubmit: async (code) => {
        await auth.confirmMfaEnrolment(code);
        // Every session begun with the password alone ends, this one too: sign in again with the code.
        await auth.mfaEnrolled();
        ctx.handleError(new SessionExpiredError(MFA_ON));
      },
    });
    replace(mfaPanel, form);
    form.querySelector('#mfa-setup-code').focus();
  }

  async function turnOff() {
    try {
      await auth.turnOffMfa();
      await load();
      replace(messages, messageBox('notice', 'Two-step sign-in is off.'));
      ctx.announce('Two-step sign-in is off.');
    } catch (error) {
      if (!ctx.handleError(error)) showError(error);
    }
  }

  // The newest answer only: a status read before a change just made cannot undo it on the page.
  const loads = latest();

  async function load() {
    try {
      await loads.run(
        () => auth.mfaEnabled(),
        (enabled) => {
          state = { ...state, enabled };
          replace(mfaPanel, mfaStatus(state, user, { enrol, turnOff }));
        },
      );
    } catch (error) {
      if (!ctx.handleError(error)) showError(error);
      throw error;
    }
  }

  return {
    title: () => 'Account',
    update: load,
    refresh: () => Promise.resolve(),
    destroy: () => loads.cancel(),
  };
}
