// Two-step sign-in (TOTP) pieces shared by the sign-in steps and the Account view: the code
// field, and the enrolment form with the QR code, the key as text and the verification code.
import { otpauthUri } from './auth.js';
import { h, setBusy } from './dom.js';
import { qrSvg } from './qr.js';

export const MFA_ISSUER = 'Inventory dashboard';

/** A 6-digit code field, as phones and password managers expect one. */
export function codeField(id, label, hint) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('input', {
      id,
      name: id,
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: '[0-9]{6}',
      maxlength: '6',
      required: true,
      class: 'code-input',
      'aria-describedby': hint ? `${id}-hint` : null,
    }),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
  );
}

/** The code typed, without spaces; null unless it is six digits. */
export function readCode(input) {
  const code = input.value.replace(/\s+/g, '');
  return /^\d{6}$/.test(code) ? code : null;
}

/** The key in groups of four, easier to type into an app by hand. */
export function groupedSecret(secret) {
  return String(secret).replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * The enrolment form: scan or type the key, then enter a code to prove the app works.
 * onSubmit(code) does the verification; it throws to show an error.
 */
export function enrolmentForm({ username, secret, headingId, heading, intro, submitLabel, onSubmit, showError, extra }) {
  const uri = otpauthUri(secret, username, MFA_ISSUER);
  const form = h(
    'form',
    { class: 'signin-form mfa-form', novalidate: true, 'aria-labelledby': headingId },
    h('h2', { id: headingId }, heading),
    intro ? h('p', {}, intro) : null,
    h(
      'ol',
      { class: 'mfa-steps' },
      h(
        'li',
        {},
        'Open an authenticator app on your phone (for example Google Authenticator, Microsoft Authenticator, 1Password or Aegis) and scan this code:',
        h('div', { class: 'qr-frame' }, qrSvg(uri, { label: `QR code to add ${username} to an authenticator app` })),
        h(
          'p',
          { class: 'hint' },
          'Cannot scan? Add an account by hand with this key (time-based, 6 digits):',
        ),
        h('p', {}, h('code', { class: 'mfa-secret', id: 'mfa-secret', 'data-secret': secret }, groupedSecret(secret))),
      ),
      h('li', {}, codeField('mfa-setup-code', 'Then enter the 6-digit code the app shows', 'The code changes every 30 seconds.')),
    ),
    h('button', { type: 'submit', class: 'button button-primary' }, submitLabel),
    extra || null,
  );
  onCodeSubmit(form, form.querySelector('#mfa-setup-code'), showError, onSubmit);
  return form;
}

/**
 * Send the code typed in `input` when `form` is submitted: send(code) does it and throws to show an
 * error (the field is then cleared for the next code). The form is busy meanwhile.
 */
export function onCodeSubmit(form, input, showError, send) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const code = readCode(input);
    if (!code) {
      showError('Enter the 6-digit code from your authenticator app.');
      input.focus();
      return;
    }
    setBusy(form, true);
    try {
      await send(code);
    } catch (error) {
      showError(error);
      input.value = '';
      input.focus();
    } finally {
      setBusy(form, false);
    }
  });
}
