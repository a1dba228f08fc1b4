/**
 * The short screens of `<consult-room>`: connecting, waiting room, admission denied.
 * @packageDocumentation
 */
import { html, nothing, type TemplateResult } from 'lit';
import { icons } from '../../base/icons.js';
import type { SessionState } from '../../../src/index.js';
import type { Translate } from './shared.js';

/** "This consultation is being recorded", while waiting or joining. */
function renderRecordingNotice(state: SessionState | undefined, t: Translate) {
  return state?.recording.status === 'recording'
    ? html`<p part="recording-notice" class="recording-notice" role="status">
        ${t('recording.notice')}
      </p>`
    : nothing;
}

/**
 * Joining. When a recording runs and the user's consent is needed, they are asked here: nothing of
 * theirs is published until they answer (or the recording stops).
 */
export function renderConnecting(
  t: Translate,
  state?: SessionState,
  onConsent?: (granted: boolean) => void,
): TemplateResult {
  const ask = state?.recording.consentPending === true && onConsent !== undefined;
  return html`<section
    part="connecting"
    class="screen centered"
    aria-busy=${ask ? 'false' : 'true'}
    aria-labelledby=${ask ? 'join-consent-title' : nothing}
  >
    ${ask ? nothing : html`<div class="spinner" aria-hidden="true"></div>`}
    ${
      ask
        ? html`<h2 id="join-consent-title" class="title">${t('recording.notice')}</h2>
            <p>${t('consent.title')}</p>
            <div class="dialog-actions">
              <button part="consent-decline-button" type="button" @click=${() => onConsent(false)}>
                ${t('consent.decline')}
              </button>
              <button
                part="consent-accept-button"
                type="button"
                class="primary"
                @click=${() => onConsent(true)}
              >
                ${t('consent.accept')}
              </button>
            </div>`
        : html`<p class="title">${t('state.connecting')}</p>
            ${renderRecordingNotice(state, t)}`
    }
  </section>`;
}

export function renderWaiting(
  state: SessionState,
  t: Translate,
  onLeave: () => void,
): TemplateResult {
  return html`<section part="waiting" class="screen centered" aria-labelledby="waiting-title">
    <div class="spinner" aria-hidden="true"></div>
    <h2 id="waiting-title" class="title">${t('waiting.title')}</h2>
    ${
      state.waitingPosition !== undefined
        ? html`<p>${t('waiting.position', { position: state.waitingPosition })}</p>`
        : nothing
    }
    ${renderRecordingNotice(state, t)}
    <button part="leave-button" class="danger" type="button" @click=${onLeave}>
      ${icons.leave} ${t('controls.leave')}
    </button>
  </section>`;
}

export function renderDenied(state: SessionState, t: Translate): TemplateResult {
  const reason = state.error?.details?.['reason'];
  return html`<section part="denied" class="screen centered" aria-labelledby="denied-title">
    <h2 id="denied-title" class="title">${t('waiting.denied')}</h2>
    ${
      typeof reason === 'string' && reason
        ? html`<p class="reason">${t('waiting.reason', { reason })}</p>`
        : nothing
    }
  </section>`;
}
