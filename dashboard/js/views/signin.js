// Sign-in: username + password, then the first-login new-password step when Cognito asks for it.
import { describeAuthError } from '../auth.js';
import { h, messageBox, replace } from '../dom.js';

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

export function showSignIn(root, auth, { message, onSignedIn }) {
  document.title = 'Sign in · Inventory dashboard';
  const messages = h('div', { class: 'messages' });
  if (message) messages.append(messageBox('notice', message));
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

  function showError(error) {
    replace(messages, messageBox('error', typeof error === 'string' ? error : describeAuthError(error)));
  }

  function busy(form, on) {
    for (const control of form.querySelectorAll('input, button')) control.disabled = on;
    form.setAttribute('aria-busy', String(on));
  }

  function passwordForm() {
    const form = h(
      'form',
      { class: 'signin-form', novalidate: true, 'aria-labelledby': 'signin-heading' },
      h('h2', { id: 'signin-heading' }, 'Sign in'),
      field('username', 'Username', { type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' }),
      field('password', 'Password', { type: 'password', autocomplete: 'current-password' }),
      h('button', { type: 'submit', class: 'button button-primary' }, 'Sign in'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const username = form.elements.username.value.trim();
      const password = form.elements.password.value;
      if (!username || !password) {
        showError('Enter your username and password.');
        (username ? form.elements.password : form.elements.username).focus();
        return;
      }
      busy(form, true);
      try {
        const result = await auth.signIn(username, password);
        if (result.challenge) newPasswordForm(result.challenge);
        else onSignedIn();
      } catch (error) {
        busy(form, false);
        form.elements.password.value = '';
        showError(error);
        form.elements.password.focus();
      }
    });
    replace(panel, form);
    form.elements.username.focus();
  }

  function newPasswordForm(challenge) {
    replace(messages, messageBox('notice', 'This is your first sign-in: choose a new password.'));
    const form = h(
      'form',
      { class: 'signin-form', novalidate: true, 'aria-labelledby': 'newpw-heading' },
      h('h2', { id: 'newpw-heading' }, 'Choose a new password'),
      field(
        'new-password',
        'New password',
        { type: 'password', autocomplete: 'new-password' },
        'Use a long password with upper- and lower-case letters, numbers and symbols.',
      ),
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
      busy(form, true);
      try {
        await auth.completeNewPassword(challenge, password);
        onSignedIn();
      } catch (error) {
        busy(form, false);
        if (error.code === 'NotAuthorizedException') {
          // The challenge session lapsed (it lives a few minutes): start over.
          passwordForm();
          showError('The sign-in took too long. Sign in again with your temporary password.');
          return;
        }
        showError(error);
        form.elements['new-password'].focus();
      }
    });
    replace(panel, form);
    form.elements['new-password'].focus();
  }

  passwordForm();
}
