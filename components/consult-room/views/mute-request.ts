/**
 * "The provider asked you to mute" with a one-tap Mute button, shown in the call (and in the
 * charting window) after a provider's `session.requestMute()`. Nothing is muted until the user taps.
 * @packageDocumentation
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { icons } from '../../base/icons.js';
import type { Translate } from './shared.js';

/** What the mute-request banner shows and does. */
export interface MuteRequestView {
  t: Translate;
  /** A request is pending and the microphone is on. */
  pending: boolean;
  onMute: () => void;
  onDismiss: () => void;
}

export function renderMuteRequest(v: MuteRequestView): TemplateResult | typeof nothing {
  if (!v.pending) return nothing;
  const { t } = v;
  return html`<div part="banner mute-request" class="banner mute-request" role="status">
    ${icons.micOff}<span>${t('muteRequest.text')}</span>
    <button part="mute-request-button" class="primary" type="button" @click=${v.onMute}>
      ${t('muteRequest.mute')}
    </button>
    <button part="mute-request-dismiss-button" type="button" @click=${v.onDismiss}>
      ${t('banner.dismiss')}
    </button>
  </div>`;
}

export const muteRequestStyles = css`
  .banner.mute-request {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_space-s);
    padding: var(--_space-s) var(--_space-m);
    border-radius: var(--_radius-m);
    background: var(--_bg);
    border-inline-start: 4px solid var(--_accent);
  }
`;
