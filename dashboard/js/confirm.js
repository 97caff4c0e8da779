// Asking first, in place: for what cannot be undone (People's disable, delete and reset, Notify me's remove).
import { h, replace } from './dom.js';

/**
 * A button that asks "Are you sure?" in its place: `ask` (its text) opens `question` with `yes` and
 * Cancel; Cancel puts the button back. `yes` runs `action`; the button comes back when `action`
 * resolves false (it failed, and may be tried again). `label` names the question for screen readers.
 */
export function confirmButton({ ask, question, yes, label = null, danger = true }, action) {
  const cell = h('div', { class: 'button-row' });
  const askButton = h('button', { type: 'button', class: danger ? 'button button-danger' : 'button' }, ask);
  const restore = () => {
    replace(cell, askButton);
    askButton.focus();
  };
  askButton.addEventListener('click', () => {
    const yesButton = h('button', { type: 'button', class: 'button button-danger' }, yes);
    const no = h('button', { type: 'button', class: 'button' }, 'Cancel');
    no.addEventListener('click', restore);
    yesButton.addEventListener('click', async () => {
      yesButton.disabled = true;
      no.disabled = true;
      if (!(await action())) restore();
    });
    replace(cell, h('p', { class: 'confirm-text', role: label ? 'group' : null, 'aria-label': label }, question), yesButton, no);
    no.focus();
  });
  cell.append(askButton);
  return cell;
}
