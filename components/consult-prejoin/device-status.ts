/**
 * The device-check result list and the help shown when a device is blocked or missing
 * (templates of `<consult-prejoin>`).
 * @packageDocumentation
 */
import { html, nothing, type TemplateResult } from 'lit';
import { icons } from '../base/icons.js';
import type { ConsultDeviceCheckEventDetail } from '../events/consult-device-check.js';
import { browserFamily } from '../consult-room/device-check.js';
import type { Translate } from '../consult-room/views/shared.js';

/** One stable live region whose content changes, so the result is announced. */
export function renderDeviceCheck(
  check: ConsultDeviceCheckEventDetail | undefined,
  t: Translate,
): TemplateResult {
  const item = (ok: boolean, okText: string, problemText: string): TemplateResult => html`
    <li
      part="device-status ${ok ? 'ok' : 'problem'}"
      class="device-status ${ok ? 'ok' : 'problem'}"
    >
      ${ok ? icons.check : icons.alert}<span>${ok ? okText : problemText}</span>
    </li>
  `;
  if (!check) {
    return html`<div part="device-check" class="device-check" role="status">
      <p>${t('check.checking')}</p>
    </div>`;
  }
  return html`<div part="device-check" class="device-check" role="status">
    <ul class="device-list">
      ${
        check.camera === 'off'
          ? nothing
          : item(check.camera === 'ok', t('check.cameraOk'), t('check.cameraProblem'))
      }
      ${
        check.microphone === 'off'
          ? nothing
          : item(check.microphone === 'ok', t('check.microphoneOk'), t('check.microphoneProblem'))
      }
    </ul>
  </div>`;
}

/** What went wrong, the browser's steps when permission is denied, and a retry button. */
export function renderDeviceHelp(
  check: ConsultDeviceCheckEventDetail | undefined,
  t: Translate,
  onRetry: () => void,
): TemplateResult {
  const statuses = [check?.camera, check?.microphone];
  const kind = statuses.includes('denied')
    ? 'denied'
    : statuses.includes('insecure')
      ? 'insecure'
      : statuses.includes('in-use')
        ? 'inUse'
        : 'missing';
  const steps =
    kind === 'denied' ? t(`help.steps.${browserFamily(navigator.userAgent)}`).split('\n') : [];
  return html`
    <div part="device-help" class="device-help" role="alert" aria-labelledby="help-title">
      <h3 id="help-title" class="help-title">${icons.alert} ${t(`help.${kind}.title`)}</h3>
      <p>${t(`help.${kind}.intro`)}</p>
      ${
        steps.length
          ? html`<ol class="steps">
              ${steps.map((s) => html`<li>${s}</li>`)}
            </ol>`
          : nothing
      }
      <p>${t('help.orJoin')}</p>
      ${
        kind !== 'insecure'
          ? html`<button part="retry-button" type="button" @click=${onRetry}>
              ${icons.retry} ${t('prejoin.retry')}
            </button>`
          : nothing
      }
    </div>
  `;
}
