/**
 * The end screens of `<consult-room>`: the call is over (duration, recording download), or the
 * connection failed before the call (with a retry).
 * @packageDocumentation
 */
import { html, nothing, type TemplateResult } from 'lit';
import { icons } from '../../base/icons.js';
import type { ConsultError, ConsultSessionLike, SessionState } from '../../../src/index.js';
import { formatDuration } from '../device-check.js';
import { renderError, type Translate } from './shared.js';

export interface EndedView {
  t: Translate;
  errorMessage: (messageKey: string) => string;
  /** The room's own error (a failed action), shown under the screen's text. */
  error: ConsultError | undefined;
  /** When the call ended for the user, if the session does not say. */
  endedAt: number;
  onDownload: () => void;
  onRetry: () => void;
}

export function renderEnded(state: SessionState, v: EndedView): TemplateResult {
  const { t } = v;
  const started = state.callStartedAt;
  const ended = state.endedAt ?? v.endedAt;
  const recording = state.recording;
  return html`<section part="ended" class="screen centered" aria-labelledby="ended-title">
    <h2 id="ended-title" class="title">
      ${t(state.connectionReason === 'evicted' ? 'ended.removed' : 'ended.title')}
    </h2>
    ${
      started !== undefined
        ? html`<p part="duration">
            ${t('ended.duration', { duration: formatDuration((ended - started) / 1000) })}
          </p>`
        : nothing
    }
    ${
      recording.status === 'ready' && recording.downloadable
        ? html`<button part="download-button" class="primary" type="button" @click=${v.onDownload}>
            ${icons.download} ${t('ended.download')}
          </button>`
        : nothing
    }
    ${
      recording.status === 'processing' || recording.status === 'stopping'
        ? html`<p role="status">${t('ended.processing')}</p>`
        : nothing
    }
    ${renderError(v.error, v.errorMessage)}
  </section>`;
}

export function renderFailed(state: SessionState | undefined, v: EndedView): TemplateResult {
  const { t } = v;
  const error = v.error ?? state?.error;
  return html`<section part="ended" class="screen centered" aria-labelledby="failed-title">
    <h2 id="failed-title" class="title">${t('ended.failed')}</h2>
    ${renderError(error, v.errorMessage)}
    ${
      error?.recoverable !== false
        ? html`<button part="retry-button" class="primary" type="button" @click=${v.onRetry}>
            ${icons.retry} ${t('prejoin.retry')}
          </button>`
        : nothing
    }
  </section>`;
}

/** Downloads the session's recording through a temporary link. */
export async function downloadRecording(session: ConsultSessionLike): Promise<void> {
  const { url, fileName } = await session.downloadRecording();
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.click();
}
