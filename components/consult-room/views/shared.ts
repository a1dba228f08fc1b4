/**
 * What every view of `<consult-room>` (and `<consult-prejoin>`) shares: the translate function
 * type, the error message, the device pickers and their styles.
 * @packageDocumentation
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { icons } from '../../base/icons.js';
import type { ConsultStringKey } from '../../i18n/en.js';
import type { ConsultError, DeviceInfo, SessionState } from '../../../src/index.js';

/** Translates a UI string key (the element's `LocalizeController.t`). */
export type Translate = (key: ConsultStringKey, values?: Record<string, string | number>) => string;

/** An error message with the `error` slot (part `error`); nothing without an error. */
export function renderError(
  error: ConsultError | undefined,
  message: (messageKey: string) => string,
): TemplateResult | typeof nothing {
  if (!error) return nothing;
  return html`<div part="error" class="error" role="alert">
    ${icons.alert}<span><slot name="error">${message(error.messageKey)}</slot></span>
  </div>`;
}

/**
 * The unread-chat badge of the chat control: the count for the eye, the sentence for screen
 * readers; nothing when everything is read. The controls bar and the charting window both show it.
 */
export function renderUnreadBadge(unread: number, t: Translate): TemplateResult | typeof nothing {
  if (unread <= 0) return nothing;
  return html`<span part="unread-badge" class="badge" aria-hidden="true">${unread}</span
    ><span class="visually-hidden">${t('controls.unread', { count: unread })}</span>`;
}

/** Called when a picker changes: the device kind and the chosen id. */
export type DeviceChange = (kind: DeviceInfo['kind'], deviceId: string) => void;

/** The camera, microphone and (where supported) speaker pickers. */
export function renderPickers(
  state: SessionState | undefined,
  t: Translate,
  onChange: DeviceChange,
): TemplateResult | typeof nothing {
  if (!state) return nothing;
  const media = state.localMedia;
  const picker = (
    kind: DeviceInfo['kind'],
    part: string,
    label: string,
    selected: string | undefined,
  ): TemplateResult | typeof nothing => {
    const devices = state.devices.filter((d) => d.kind === kind);
    if (devices.length === 0) return nothing;
    return html`<label part="field" class="field">
      <span>${label}</span>
      <select
        part=${part}
        @change=${(e: Event) => onChange(kind, (e.target as HTMLSelectElement).value)}
      >
        ${devices.map(
          (d, i) =>
            html`<option value=${d.deviceId} ?selected=${d.deviceId === selected}>
              ${d.label || t('device.unnamed', { kind: label, index: i + 1 })}
            </option>`,
        )}
      </select>
    </label>`;
  };
  return html`<div class="pickers">
    ${picker('videoinput', 'camera-select', t('device.camera'), media.videoDeviceId)}
    ${picker('audioinput', 'microphone-select', t('device.microphone'), media.audioDeviceId)}
    ${
      media.canSelectAudioOutput
        ? picker('audiooutput', 'speaker-select', t('device.speaker'), media.audioOutputId)
        : nothing
    }
  </div>`;
}

/** Screens, titles, fields, errors and spinners. */
export const sharedStyles = css`
  .screen {
    flex: 1;
    overflow: auto;
    padding: var(--_space-l);
  }
  .centered {
    display: flex;
    flex-direction: column;
    align-items: center;
    justify-content: center;
    gap: var(--_space-m);
    text-align: center;
  }
  .title {
    margin: 0;
    font-size: 1.35em;
  }
  .pickers {
    display: grid;
    gap: var(--_space-s);
  }
  .field {
    display: grid;
    gap: var(--_space-xs);
    font-weight: 600;
  }
  .field select,
  .field input {
    min-block-size: 44px;
    padding-inline: var(--_space-s);
    border: 1px solid var(--_border);
    border-radius: var(--_radius-m);
    background: var(--_bg);
    font-weight: 400;
  }
  .error {
    display: flex;
    gap: var(--_space-s);
    align-items: flex-start;
    padding: var(--_space-s) var(--_space-m);
    border-radius: var(--_radius-m);
    border-inline-start: 4px solid var(--_danger);
    background: var(--_bg);
    text-align: start;
  }
  .spinner {
    inline-size: 2.5rem;
    block-size: 2.5rem;
    border-radius: 50%;
    border: 4px solid var(--_surface-2);
    border-block-start-color: var(--_accent);
    animation: spin 1s linear infinite;
  }
  .spinner.small {
    inline-size: 1.25rem;
    block-size: 1.25rem;
    border-width: 3px;
  }
  @keyframes spin {
    to {
      transform: rotate(1turn);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation: none;
      border-block-start-color: var(--_surface-2);
      border-inline-start-color: var(--_accent);
    }
  }
`;
