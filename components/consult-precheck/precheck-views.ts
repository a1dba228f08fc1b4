/**
 * The parts of `<consult-precheck>` that are pure rendering: the verdict with its advice and the
 * measured numbers, and the test tone.
 * @packageDocumentation
 */
import { html, nothing, type TemplateResult } from 'lit';
import { icons } from '../base/icons.js';
import type { ConsultStringKey } from '../i18n/en.js';
import type { PrecheckResult } from '../../src/index.js';

type T = (key: ConsultStringKey, values?: Record<string, string | number>) => string;

/** The steps of the test, in order. */
export const PRECHECK_STEPS = ['camera', 'microphone', 'speaker', 'network', 'verdict'] as const;
/** One step (or `intro` before the test starts). */
export type PrecheckStep = 'intro' | (typeof PRECHECK_STEPS)[number];

export const STEP_LABEL: Record<(typeof PRECHECK_STEPS)[number], ConsultStringKey> = {
  camera: 'precheck.stepCamera',
  microphone: 'precheck.stepMicrophone',
  speaker: 'precheck.stepSpeaker',
  network: 'precheck.stepNetwork',
  verdict: 'precheck.stepVerdict',
};

function detailRows(result: PrecheckResult, t: T): TemplateResult[] {
  const n = result.network;
  const rows: [ConsultStringKey, string | undefined][] = [
    [
      'precheck.detail.roundTrip',
      n.roundTripMs === undefined ? undefined : `${Math.round(n.roundTripMs)} ms`,
    ],
    ['precheck.detail.loss', n.lossPercent === undefined ? undefined : `${n.lossPercent} %`],
    [
      'precheck.detail.jitter',
      n.jitterMs === undefined ? undefined : `${Math.round(n.jitterMs)} ms`,
    ],
    ['precheck.detail.up', n.upKbps === undefined ? undefined : `${Math.round(n.upKbps)} kbit/s`],
    [
      'precheck.detail.down',
      n.downKbps === undefined ? undefined : `${Math.round(n.downKbps)} kbit/s`,
    ],
    ['precheck.detail.path', n.candidateType && t(`precheck.path.${n.candidateType}`)],
  ];
  return rows
    .filter((r): r is [ConsultStringKey, string] => r[1] !== undefined)
    .map(
      ([key, value]) =>
        html`<dt>${t(key)}</dt>
          <dd dir="ltr">${value}</dd>`,
    );
}

/** The verdict: a headline, the advice in plain words, and the numbers behind it. */
export function renderVerdict(result: PrecheckResult, t: T, retry: () => void): TemplateResult {
  const rows = detailRows(result, t);
  return html`<div part="verdict" class="verdict ${result.verdict}" role="status">
      <p class="headline">
        ${result.verdict === 'good' ? icons.check : icons.alert}
        <span>${t(`precheck.verdict.${result.verdict}`)}</span>
      </p>
      ${
        result.advice.length
          ? html`<ul part="advice" class="advice">
              ${result.advice.map((key) => html`<li>${t(`precheck.advice.${key}`)}</li>`)}
            </ul>`
          : nothing
      }
      ${
        rows.length
          ? html`<details part="details" class="details">
              <summary>${t('precheck.details')}</summary>
              <dl>${rows}</dl>
            </details>`
          : nothing
      }
    </div>
    <div class="actions">
      <button part="retry-button" type="button" @click=${retry}>
        ${icons.retry} ${t('precheck.retry')}
      </button>
    </div>`;
}

/**
 * Plays a short two-note chime through the default output (Web Audio), so the user can confirm they
 * hear it. Resolves when it has finished; does nothing where Web Audio is missing.
 */
export async function playTestTone(): Promise<void> {
  const AudioContextCtor = globalThis.AudioContext as typeof AudioContext | undefined;
  if (!AudioContextCtor) return;
  const context = new AudioContextCtor();
  try {
    await context.resume();
    const gain = context.createGain();
    gain.connect(context.destination);
    const start = context.currentTime;
    gain.gain.setValueAtTime(0.0001, start);
    [660, 880].forEach((freq, i) => {
      const osc = context.createOscillator();
      osc.frequency.value = freq;
      osc.connect(gain);
      osc.start(start + i * 0.45);
      osc.stop(start + i * 0.45 + 0.4);
    });
    gain.gain.exponentialRampToValueAtTime(0.3, start + 0.05);
    gain.gain.setValueAtTime(0.3, start + 0.8);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.9);
    await new Promise((resolve) => setTimeout(resolve, 950));
  } finally {
    await context.close().catch(() => undefined);
  }
}
