/**
 * The call's modal dialogs: confirm leaving, recording consent, settings (device pickers) and
 * confirm removing a participant (providers). They
 * are always rendered in the call; `ModalDialogController` opens and closes them.
 * @packageDocumentation
 */
import { css, html, type TemplateResult } from 'lit';
import type { SessionState } from '../../../src/index.js';
import { renderPickers, type DeviceChange, type Translate } from './shared.js';

export interface DialogsView {
  t: Translate;
  onLeaveCancel: () => void;
  onLeaveConfirm: () => void;
  onConsent: (consent: boolean) => void;
  /** Escape on the consent dialog: "not now". */
  onConsentCancel: () => void;
  onSettingsClose: () => void;
  onDeviceChange: DeviceChange;
  /** A dialog closed (by any means); `name` is its class. */
  onClosed: (name: 'leave' | 'consent' | 'settings' | 'remove') => void;
  /** The name of the participant a provider is about to remove. */
  removing: string | undefined;
  onRemoveCancel: () => void;
  onRemoveConfirm: () => void;
}

export function renderDialogs(state: SessionState, v: DialogsView): TemplateResult {
  const { t } = v;
  return html`
    <dialog
      part="dialog leave-dialog"
      class="dialog leave"
      aria-labelledby="leave-title"
      aria-describedby="leave-body"
      @close=${() => v.onClosed('leave')}
    >
      <h2 part="dialog-title" id="leave-title">${t('leave.title')}</h2>
      <p id="leave-body">${t('leave.body')}</p>
      <div class="dialog-actions">
        <button part="leave-cancel-button" type="button" autofocus @click=${v.onLeaveCancel}>
          ${t('leave.cancel')}
        </button>
        <button part="leave-confirm-button" type="button" class="danger" @click=${v.onLeaveConfirm}>
          ${t('leave.confirm')}
        </button>
      </div>
    </dialog>
    <dialog
      part="dialog consent-dialog"
      class="dialog consent"
      aria-labelledby="consent-title"
      aria-describedby="consent-body"
      @cancel=${v.onConsentCancel}
      @close=${() => v.onClosed('consent')}
    >
      <h2 part="dialog-title" id="consent-title">${t('consent.title')}</h2>
      <p id="consent-body">${t('consent.body')}</p>
      <div class="dialog-actions">
        <button
          part="consent-decline-button"
          type="button"
          autofocus
          @click=${() => v.onConsent(false)}
        >
          ${t('consent.decline')}
        </button>
        <button
          part="consent-accept-button"
          type="button"
          class="primary"
          @click=${() => v.onConsent(true)}
        >
          ${t('consent.accept')}
        </button>
      </div>
    </dialog>
    <dialog
      part="dialog remove-dialog"
      class="dialog remove"
      aria-labelledby="remove-title"
      aria-describedby="remove-body"
      @close=${() => v.onClosed('remove')}
    >
      <h2 part="dialog-title" id="remove-title">
        ${t('remove.title', { name: v.removing ?? '' })}
      </h2>
      <p id="remove-body">${t('remove.body')}</p>
      <div class="dialog-actions">
        <button part="remove-cancel-button" type="button" autofocus @click=${v.onRemoveCancel}>
          ${t('leave.cancel')}
        </button>
        <button
          part="remove-confirm-button"
          type="button"
          class="danger"
          @click=${v.onRemoveConfirm}
        >
          ${t('remove.confirm')}
        </button>
      </div>
    </dialog>
    <dialog
      part="dialog settings-dialog"
      class="dialog settings"
      aria-labelledby="settings-title"
      @close=${() => v.onClosed('settings')}
    >
      <h2 part="dialog-title" id="settings-title">${t('settings.title')}</h2>
      ${renderPickers(state, t, v.onDeviceChange)}
      <div class="dialog-actions">
        <button part="settings-close-button" type="button" autofocus @click=${v.onSettingsClose}>
          ${t('settings.close')}
        </button>
      </div>
    </dialog>
  `;
}

export const dialogsStyles = css`
  .dialog {
    max-inline-size: min(32rem, 92vw);
    padding: var(--_space-l);
    border: 1px solid var(--_border);
    border-radius: var(--_radius-l);
    background: var(--_bg);
    color: var(--_text);
  }
  .dialog::backdrop {
    background: rgb(0 0 0 / 0.5);
  }
  .dialog h2 {
    margin: 0 0 var(--_space-s);
    font-size: 1.2em;
  }
  .dialog-actions {
    display: flex;
    flex-wrap: wrap;
    justify-content: flex-end;
    gap: var(--_space-s);
    margin-block-start: var(--_space-m);
  }
`;
