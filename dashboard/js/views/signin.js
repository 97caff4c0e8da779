// Sign-in: username + password, then whichever step Cognito asks for: a new password on first
// sign-in, the authenticator code (SOFTWARE_TOKEN_MFA), or setting up the authenticator
// (MFA_SETUP). "Forgot your password?" requests a code and sets a new password.
import { describeAuthError } from '../auth.js';
import { h, messageBox, replace, setBusy } from '../dom.js';
import { codeField, enrolmentForm, onCodeSubmit } from '../mfa.js';

function field(id, label, attrs, hint) {
  const hintId = hint ? `${id}-hint` : null;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, name: id, required: true, 'aria-describedby': hintId, ...attrs }),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
  );
}

const PASSWORD_HINT = 'At least 8 characters with upper- and lower-case letters, a number and a symbol.';

/** True when Cognito is the local emulator (its console shows codes that AWS would email). */
function isLocal(auth) {
  try {
    return ['127.0.0.1', 'localhost'].includes(new URL(auth.config.cognitoEndpoint).hostname);
  } catch {
    return false;
  }
}

/**
 * The page around every step before the dashboard opens (sign-in, its challenges, the MFA that head
 * office must set up): {messages, panel, showError}.
 */
export function signinFrame(root, title) {
  document.title = `${title} · Inventory dashboard`;
  const messages = h('div', { class: 'messages' });
  const panel = h('div', { class: 'signin-panel' });
  replace(
    root,
    h(
      'main',
      { class: 'signin', id: 'main' },
      h('h1', { class: 'signin-title' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '▦'), 'Inventory dashboard'),
      messages,
      panel,
    ),
  );
  const showError = (error) => replace(messages, messageBox('error', typeof error === 'string' ? error : describeAuthError(error)));
  return { messages, panel, showError };
}

/** After TOTP is turned on every earlier session ends: the user signs in again, with the code. */
export const MFA_ON = 'Two-step sign-in is on. Sign in again with your password and the code from your authenticator app.';

export function showSignIn(root, auth, { message, username = '', onSignedIn }) {
  const { messages, panel, showError } = signinFrame(root, 'Sign in');
  if (message) messages.append(messageBox('notice', message));

  function notice(text) {
    replace(messages, messageBox('notice', text));
  }


  /** Show the form for the next step, or finish. */
  function next(result) {
    if (!result.challenge) {
      onSignedIn();
      return;
    }
    const { challenge } = result;
    if (challenge.name === 'NEW_PASSWORD_REQUIRED') newPasswordForm(challenge);
    else if (challenge.name === 'SOFTWARE_TOKEN_MFA') mfaCodeForm(challenge);
    else if (challenge.name === 'MFA_SETUP') mfaSetupForm(challenge);
  }

  /** A challenge session lives a few minutes: when it lapses, start over with a clear message. */
  function lapsed(error) {
    if (error?.code !== 'NotAuthorizedException') return false;
    passwordForm();
    showError('The sign-in took too long. Please sign in again.');
    return true;
  }

  function linkButton(text, onClick) {
    const button = h('button', { type: 'button', class: 'link-button' }, text);
    button.addEventListener('click', onClick);
    return button;
  }

  function passwordForm(username = '') {
    const form = h(
      'form',
      { class: 'signin-form', novalidate: true, 'aria-labelledby': 'signin-heading' },
      h('h2', { id: 'signin-heading' }, 'Sign in'),
      field('username', 'Username', { type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', value: username }),
      field('password', 'Password', { type: 'password', autocomplete: 'current-password' }),
      h('button', { type: 'submit', class: 'button button-primary' }, 'Sign in'),
      h('p', { class: 'form-links' }, linkButton('Forgot your password?', () => forgotForm(form.elements.username.value.trim()))),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = form.elements.username.value.trim();
      const password = form.elements.password.value;
      if (!name || !password) {
        showError('Enter your username and password.');
        (name ? form.elements.password : form.elements.username).focus();
        return;
      }
      setBusy(form, true);
      try {
        next(await auth.signIn(name, password));
      } catch (error) {
        setBusy(form, false);
        if (error?.code === 'PasswordResetRequiredException') {
          // Head office reset the password: Cognito has sent a code for the new one.
          resetForm(name, null);
          notice('Your password was reset by head office. Enter the code you were sent and choose a new password.');
          return;
        }
        form.elements.password.value = '';
        showError(error);
        form.elements.password.focus();
      }
    });
    replace(panel, form);
    (username ? form.elements.password : form.elements.username).focus();
  }

  function newPasswordForm(challenge) {
    notice('This is your first sign-in: choose a new password.');
    const form = h(
      'form',
      { class: 'signin-form', novalidate: true, 'aria-labelledby': 'newpw-heading' },
      h('h2', { id: 'newpw-heading' }, 'Choose a new password'),
      field('new-password', 'New password', { type: 'password', autocomplete: 'new-password' }, PASSWORD_HINT),
      field('confirm-password', 'Repeat the new password', { type: 'password', autocomplete: 'new-password' }),
      h('button', { type: 'submit', class: 'button button-primary' }, 'Set password and sign in'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const password = form.elements['new-password'].value;
      if (!password || password !== form.elements['confirm-password'].value) {
        showError('The two passwords do not match.');
        form.elements['confirm-password'].focus();
        return;
      }
      setBusy(form, true);
      try {
        next(await auth.completeNewPassword(challenge, password));
      } catch (error) {
        setBusy(form, false);
        if (lapsed(error)) return;
        showError(error);
        form.elements['new-password'].focus();
      }
    });
    replace(panel, form);
    form.elements['new-password'].focus();
  }

  function mfaCodeForm(challenge) {
    replace(messages);
    const form = h(
      'form',
      { class: 'signin-form', novalidate: true, 'aria-labelledby': 'mfa-heading' },
      h('h2', { id: 'mfa-heading' }, 'Enter your authenticator code'),
      h('p', {}, 'Open your authenticator app and enter the 6-digit code for the Inventory dashboard.'),
      codeField('mfa-code', 'Authenticator code', 'The code changes every 30 seconds.'),
      h('button', { type: 'submit', class: 'button button-primary' }, 'Verify and sign in'),
      h('p', { class: 'form-links' }, linkButton('Back to sign-in', () => passwordForm(challenge.username))),
    );
    const input = form.elements['mfa-code'];
    onCodeSubmit(form, input, showError, async (code) => {
      try {
        next(await auth.answerMfa(challenge, code));
      } catch (error) {
        // A wrong code ends Cognito's session for this sign-in: the user starts again.
        if (error?.code === 'NotAuthorizedException' || error?.code === 'CodeMismatchException') {
          passwordForm(challenge.username);
          showError(
            error.code === 'CodeMismatchException'
              ? 'That code is not right. Sign in again and enter the code your app shows now.'
              : 'The sign-in took too long. Please sign in again.',
          );
          return;
        }
        throw error;
      }
    });
    replace(panel, form);
    input.focus();
  }

  async function mfaSetupForm(challenge) {
    notice('Your account must use two-step sign-in. Set up an authenticator app to continue.');
    let setup;
    try {
      setup = await auth.beginMfaSetup(challenge);
    } catch (error) {
      if (!lapsed(error)) {
        passwordForm(challenge.username);
        showError(error);
      }
      return;
    }
    const current = setup.challenge;
    const form = enrolmentForm({
      username: challenge.username,
      secret: setup.secret,
      headingId: 'mfa-setup-heading',
      heading: 'Set up two-step sign-in',
      submitLabel: 'Verify and sign in',
      showError,
      onSubmit: async (code) => {
        let result;
        try {
          result = await auth.finishMfaSetup(current, code);
        } catch (error) {
          if (lapsed(error)) return;
          throw error;
        }
        if (result.challenge) {
          next(result);
          return;
        }
        // TOTP is on: sessions begun with the password alone end, and this one with them.
        await auth.mfaEnrolled();
        passwordForm(challenge.username);
        notice(MFA_ON);
      },
    });
    replace(panel, form);
    form.querySelector('#mfa-setup-code').focus();
  }

  function forgotForm(username = '') {
    const local = isLocal(auth);
    notice(
      local
        ? 'Enter your username: a reset code will be sent to you. (Local stack: the code is printed on the `make dev` console.)'
        : 'Enter your username: a reset code will be sent to the email address or phone of your account.',
    );
    const form = h(
      'form',
      { class: 'signin-form', novalidate: true, 'aria-labelledby': 'forgot-heading' },
      h('h2', { id: 'forgot-heading' }, 'Reset your password'),
      field('forgot-username', 'Username', { type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', value: username }),
      h('button', { type: 'submit', class: 'button button-primary' }, 'Send me a code'),
      h(
        'p',
        { class: 'form-links' },
        linkButton('I already have a code', () => resetForm(form.elements['forgot-username'].value.trim(), null)),
        linkButton('Back to sign-in', () => passwordForm(form.elements['forgot-username'].value.trim())),
      ),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = form.elements['forgot-username'].value.trim();
      if (!name) {
        showError('Enter your username.');
        form.elements['forgot-username'].focus();
        return;
      }
      setBusy(form, true);
      try {
        resetForm(name, await auth.forgotPassword(name));
      } catch (error) {
        setBusy(form, false);
        // Cognito refuses when the account has no verified email to send a code to.
        showError(
          error?.code === 'NotAuthorizedException' || error?.code === 'InvalidParameterException'
            ? 'This account cannot reset its password by itself (no verified email address). Ask head office to reset it.'
            : error,
        );
        form.elements['forgot-username'].focus();
      }
    });
    replace(panel, form);
    form.elements['forgot-username'].focus();
  }

  function resetForm(username, delivery) {
    const where = delivery?.Destination ? ` to ${delivery.Destination}` : '';
    const medium = delivery?.DeliveryMedium === 'SMS' ? 'text message' : delivery?.DeliveryMedium === 'EMAIL' ? 'email' : 'message';
    if (delivery) {
      notice(
        `If “${username}” has an account, a reset code is on its way by ${medium}${where}.` +
          (isLocal(auth) ? ' Local stack: the code is printed on the `make dev` console.' : ''),
      );
    } else {
      replace(messages);
    }
    const form = h(
      'form',
      { class: 'signin-form', novalidate: true, 'aria-labelledby': 'reset-heading' },
      h('h2', { id: 'reset-heading' }, 'Choose a new password'),
      field('reset-username', 'Username', { type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', value: username }),
      field('reset-code', 'Reset code', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', spellcheck: 'false' }),
      field('reset-password', 'New password', { type: 'password', autocomplete: 'new-password' }, PASSWORD_HINT),
      field('reset-confirm', 'Repeat the new password', { type: 'password', autocomplete: 'new-password' }),
      h('button', { type: 'submit', class: 'button button-primary' }, 'Set the new password'),
      h(
        'p',
        { class: 'form-links' },
        linkButton('Send a new code', () => forgotForm(form.elements['reset-username'].value.trim())),
        linkButton('Back to sign-in', () => passwordForm(form.elements['reset-username'].value.trim())),
      ),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = form.elements['reset-username'].value.trim();
      const code = form.elements['reset-code'].value.trim();
      const password = form.elements['reset-password'].value;
      if (!name || !code) {
        showError('Enter your username and the code you received.');
        form.elements[name ? 'reset-code' : 'reset-username'].focus();
        return;
      }
      if (!password || password !== form.elements['reset-confirm'].value) {
        showError('The two passwords do not match.');
        form.elements['reset-confirm'].focus();
        return;
      }
      setBusy(form, true);
      try {
        await auth.confirmForgotPassword(name, code, password);
        passwordForm(name);
        notice('Your password has been changed. Sign in with the new password.');
      } catch (error) {
        setBusy(form, false);
        showError(error);
        form.elements[error?.code === 'InvalidPasswordException' ? 'reset-password' : 'reset-code'].focus();
      }
    });
    replace(panel, form);
    form.elements[username ? 'reset-code' : 'reset-username'].focus();
  }

  passwordForm(username);
}
