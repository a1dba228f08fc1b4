/**
 * The short screens of `<consult-room>`: connecting, waiting room, admission denied.
 * @packageDocumentation
 */
import { html, nothing, type TemplateResult } from 'lit';
import { icons } from '../../base/icons.js';
import type { SessionState } from '../../../src/index.js';
import type { Translate } from './shared.js';

export function renderConnecting(t: Translate): TemplateResult {
  return html`<section part="connecting" class="screen centered" aria-busy="true">
    <div class="spinner" aria-hidden="true"></div>
    <p class="title">${t('state.connecting')}</p>
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
