import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { ConsultElement } from '../base/consult-element.js';
import { icons } from '../base/icons.js';
import { LocalizeController } from '../controllers/localize-controller.js';
import { MicLevelController } from '../controllers/mic-level-controller.js';
import { ConsultErrorEvent } from '../events/consult-error.js';
import { ConsultPrecheckResultEvent } from '../events/consult-precheck-result.js';
import type { ConsultStrings } from '../i18n/en.js';
import { renderError } from '../consult-room/views/shared.js';
import {
  ConsultError,
  createConsultClient,
  type Precheck,
  type PrecheckOptions,
  type PrecheckResult,
  type PrecheckSpeakerResult,
  type PrecheckState,
} from '../../src/index.js';
import { styles } from './consult-precheck.styles.js';
import {
  PRECHECK_STEPS,
  STEP_LABEL,
  playTestTone,
  renderVerdict,
  type PrecheckStep,
} from './precheck-views.js';

/** What `<consult-precheck>` needs of a client: `ConsultClient` has it. @public */
export interface ConsultPrecheckClient {
  precheck(options?: PrecheckOptions): Promise<Precheck>;
}

/**
 * A pre-call test a patient can run days before the visit: camera (preview), microphone (level
 * meter), speaker (a test sound the user confirms), and the connection through the real media
 * server; then a verdict (good, fair, poor) with advice in plain words. The SDK's
 * `client.precheck()` does the measuring; the element adds the speaker question and the wording.
 *
 * Give it `token-url` (the token server's API base; the test session needs no consultation and,
 * where the server allows it, no sign-in) or a `.client` (e.g. `createConsultClient({ tokenUrl,
 * auth })`, or a fake in stories).
 *
 * @summary Pre-call test of camera, microphone, speaker and connection.
 * @tagname consult-precheck
 * @status experimental
 * @since 0.3.0
 *
 * @slot error - Replaces the text of an error.
 *
 * @csspart base - The wrapper of everything.
 * @csspart steps - The list of steps.
 * @csspart step - One entry of the list; also `current` or `done`.
 * @csspart start-button - Starts the test.
 * @csspart next-button - Goes to the next step.
 * @csspart preview - The camera preview `<video>`.
 * @csspart preview-off - Placeholder (with the camera advice) when there is no camera picture.
 * @csspart mic-level - The microphone level `<meter>`.
 * @csspart play-button - Plays the test sound.
 * @csspart heard-button - "I heard it".
 * @csspart not-heard-button - "I did not hear it".
 * @csspart progress - The connection test's `<progress>`.
 * @csspart verdict - The verdict; also has the class `good`, `fair` or `poor`.
 * @csspart advice - The list of advice.
 * @csspart details - The measured numbers (`<details>`).
 * @csspart retry-button - Runs the test again.
 * @csspart error - An error message.
 *
 * @cssproperty --consult-room-tile-background - Background of the preview.
 * @cssproperty --consult-room-tile-radius - Corner radius of the preview.
 * @cssproperty --consult-color-surface - Buttons.
 * @cssproperty --consult-color-text - Text colour.
 * @cssproperty --consult-color-text-muted - Secondary text colour.
 * @cssproperty --consult-color-accent - Accent (primary buttons, the current step).
 * @cssproperty --consult-color-success - A good verdict.
 * @cssproperty --consult-color-warning - A fair verdict.
 * @cssproperty --consult-color-danger - A poor verdict and errors.
 * @cssproperty --consult-radius-m - Radius of controls and panels.
 * @cssproperty --consult-space-m - Main spacing.
 * @cssproperty --consult-font-family - Font family.
 * @cssproperty --consult-color-background - Background of the verdict and problem panels.
 * @cssproperty [--consult-color-own-message=light-dark(#d8e5fb, #153a6b)] - Shared token; not used by this element.
 * @cssproperty [--consult-color-surface-raised=light-dark(#e3e7ed, #2f333b)] - Raised surfaces: hovered buttons, headers, the composer.
 * @cssproperty [--consult-color-border=light-dark(#767d88, #8b929d)] - Borders of buttons, inputs and dialogs.
 * @cssproperty [--consult-color-focus=light-dark(#0b57d0, #a8c7fa)] - Focus outline.
 * @cssproperty [--consult-color-on-accent=light-dark(#ffffff, #062e6f)] - Text and icons on the accent colour; keep it in contrast with the accent.
 * @cssproperty [--consult-color-on-danger=light-dark(#ffffff, #601410)] - Text and icons on the danger colour; keep it in contrast with the danger colour.
 * @cssproperty [--consult-radius-s=6px] - Small radius (badges, error messages).
 * @cssproperty [--consult-radius-l=16px] - Large radius (tiles, dialogs, panels).
 * @cssproperty [--consult-space-xs=4px] - Smallest spacing (inside controls).
 * @cssproperty [--consult-space-s=8px] - Small spacing (between related items).
 * @cssproperty [--consult-space-l=20px] - Large spacing (around screens and dialogs).
 * @cssproperty [--consult-font-size=1rem] - Base font size.
 * @cssproperty [--consult-font-size-small=0.875rem] - Secondary text (names, times, counters).
 * @cssproperty [--consult-transition-duration=160ms] - Duration of transitions; 0ms under prefers-reduced-motion.
 *
 * @cssstate running - A test is running.
 * @cssstate done - The verdict is shown.
 * @cssstate good - The verdict is good.
 * @cssstate fair - The verdict is fair.
 * @cssstate poor - The verdict is poor.
 * @cssstate error - The test could not run (see the `error` part).
 *
 * @event {ConsultPrecheckResultEvent} consult-precheck-result - A test finished; `detail.result` is the structured, loggable result.
 * @event {ConsultErrorEvent} consult-error - The test could not run; `detail.error` is a ConsultError.
 */
export class ConsultPrecheck extends ConsultElement {
  static override styles = styles;

  /** The token server's API base (e.g. `/api`); the element builds its own client from it. */
  @property({ attribute: 'token-url' }) tokenUrl = '';

  /** A client to test with instead of `token-url` (authentication, a fake in stories). */
  @property({ attribute: false }) client: ConsultPrecheckClient | undefined;

  /** How long to measure the connection, in ms (2000–30000). */
  @property({ type: Number }) duration = 5000;

  /** Starts the test when connected, without the intro's start button. */
  @property({ type: Boolean }) autostart = false;

  /** Language of the element's text; defaults to the closest `[lang]` ancestor or the document. */
  @property() override lang!: string;

  /** Overrides of any text, by key (see `components/i18n/en.ts`). */
  @property({ attribute: false }) strings: Partial<ConsultStrings> | undefined;

  @state() private step: PrecheckStep = 'intro';
  @state() private snapshot: PrecheckState | undefined;
  @state() private speaker: PrecheckSpeakerResult = 'skipped';
  @state() private playing = false;
  @state() private error: ConsultError | undefined;
  @state() private final: PrecheckResult | undefined;

  @query('meter') private meterEl!: HTMLMeterElement | null;

  private readonly localize = new LocalizeController(this);
  private readonly meter = new MicLevelController(this);
  private run: Precheck | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Bumped by every start and disconnect, so a late `precheck()` answer is dropped. */
  private generation = 0;
  private previews = new WeakMap<MediaStreamTrack, MediaStream>();

  /** The last finished result (with the speaker answer), if any. */
  get result(): PrecheckResult | undefined {
    return this.final;
  }

  /** Starts (or restarts) the test; failures are shown and dispatched, never thrown. */
  async start(): Promise<void> {
    const generation = ++this.generation;
    this.stopRun();
    this.final = undefined;
    this.error = undefined;
    this.speaker = 'skipped';
    this.step = 'camera';
    this.setStates();
    try {
      const client =
        this.client ??
        (this.tokenUrl ? createConsultClient({ tokenUrl: this.tokenUrl }) : undefined);
      if (!client)
        throw ConsultError.invalidState('<consult-precheck> needs token-url or .client.');
      const run = await client.precheck({ durationMs: this.duration, keepMedia: true });
      if (generation !== this.generation) {
        run.dispose();
        return;
      }
      this.run = run;
      this.snapshot = run.state;
      this.unsubscribe = run.subscribe((s) => {
        this.snapshot = s;
      });
      run.result.then(
        () => this.maybeFinish(),
        (error: unknown) => this.fail(error),
      );
    } catch (error) {
      this.fail(error);
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.autostart && this.step === 'intro') void this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.generation++;
    this.stopRun();
    this.step = 'intro';
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    const mic = this.snapshot?.microphoneTrack;
    this.meter.sync(
      this.step === 'microphone' && mic ? this.previewOf(mic) : undefined,
      this.meterEl,
    );
    if (changed.has('step') && this.step !== 'intro') {
      this.renderRoot.querySelector<HTMLElement>('.step-title')?.focus();
    }
  }

  private stopRun(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.run?.dispose();
    this.run = undefined;
    this.snapshot = undefined;
    this.meter.stop();
  }

  private fail(error: unknown): void {
    const e = ConsultError.from(error);
    if (e.code === 'aborted') return;
    this.error = e;
    this.setStates();
    this.dispatchEvent(new ConsultErrorEvent({ error: e }));
  }

  private previewOf(track: MediaStreamTrack): MediaStream {
    let stream = this.previews.get(track);
    if (!stream) {
      stream = new MediaStream([track]);
      this.previews.set(track, stream);
    }
    return stream;
  }

  private go(step: PrecheckStep): void {
    this.step = step;
    this.maybeFinish();
  }

  /** Shows the verdict once the user is past the speaker step and the measurement is in. */
  private maybeFinish(): void {
    const result = this.snapshot?.result && this.run?.withSpeaker(this.speaker);
    if (this.step !== 'network' || !result || this.final) return;
    this.final = result;
    this.step = 'verdict';
    // The preview is no longer shown: release the camera and microphone.
    this.stopRun();
    this.setStates();
    this.dispatchEvent(new ConsultPrecheckResultEvent({ result }));
  }

  private setStates(): void {
    const verdict = this.final?.verdict;
    this.setCustomState('running', this.step !== 'intro' && !this.final && !this.error);
    this.setCustomState('done', !!this.final);
    for (const v of ['good', 'fair', 'poor'] as const) this.setCustomState(v, verdict === v);
    this.setCustomState('error', !!this.error);
  }

  private async handlePlay(): Promise<void> {
    this.playing = true;
    try {
      await playTestTone();
    } finally {
      this.playing = false;
    }
  }

  private answerSpeaker(answer: PrecheckSpeakerResult): void {
    this.speaker = answer;
    this.go('network');
  }

  override render(): TemplateResult {
    const t = this.localize.t.bind(this.localize);
    return html`<section
      part="base"
      class="base"
      aria-labelledby="precheck-title"
      lang=${this.localize.tag}
      dir=${this.localize.dir}
    >
      <h2 id="precheck-title" class="title">${t('precheck.title')}</h2>
      ${this.step === 'intro' ? nothing : this.renderSteps(t)}
      ${renderError(this.error, (key) => this.localize.error(key))}
      <div class="body">
        ${
          this.error
            ? html`<div class="actions">
                <button part="retry-button" type="button" @click=${() => void this.start()}>
                  ${icons.retry} ${t('precheck.retry')}
                </button>
              </div>`
            : this.renderStep(t)
        }
      </div>
    </section>`;
  }

  private renderSteps(t: LocalizeController['t']): TemplateResult {
    const index = PRECHECK_STEPS.indexOf(this.step as (typeof PRECHECK_STEPS)[number]);
    return html`<ol part="steps" class="steps">
      ${PRECHECK_STEPS.map((step, i) => {
        const current = i === index;
        return html`<li
          part="step ${current ? 'current' : i < index ? 'done' : ''}"
          class=${current ? 'current' : i < index ? 'done' : ''}
          aria-current=${current ? 'step' : 'false'}
        >
          ${i < index ? icons.check : nothing}<span>${t(STEP_LABEL[step])}</span>
        </li>`;
      })}
    </ol>`;
  }

  private renderStep(t: LocalizeController['t']): TemplateResult {
    const s = this.snapshot;
    const next = (step: PrecheckStep, disabled = false) =>
      html`<button
        part="next-button"
        class="primary"
        type="button"
        ?disabled=${disabled}
        @click=${() => this.go(step)}
      >
        ${t('precheck.next')}
      </button>`;
    const heading = (text: string) => html`<h3 class="step-title" tabindex="-1">${text}</h3>`;
    switch (this.step) {
      case 'intro':
        return html`<p class="intro">${t('precheck.intro')}</p>
          <div class="actions">
            <button
              part="start-button"
              class="primary"
              type="button"
              @click=${() => void this.start()}
            >
              ${t('precheck.start')}
            </button>
          </div>`;
      case 'camera': {
        const cam = s?.cameraTrack;
        const problem = s?.camera && s.camera.status !== 'ok';
        return html`${heading(t('precheck.cameraQuestion'))}
          ${
            cam
              ? html`<video
                  part="preview"
                  class="preview"
                  aria-label=${t('prejoin.preview')}
                  .srcObject=${this.previewOf(cam)}
                  .muted=${true}
                  playsinline
                  autoplay
                ></video>`
              : html`<div part="preview-off" class="preview preview-off">
                  ${icons.cameraOff}
                  <span
                    >${problem ? t(`precheck.advice.camera-${adviceOf(s.camera?.status)}`) : t('prejoin.cameraOff')}</span
                  >
                </div>`
          }
          <div class="actions">${next('microphone', !s?.camera)}</div>`;
      }
      case 'microphone': {
        const status = s?.microphone?.status;
        return html`${heading(t('precheck.micQuestion'))}
          ${
            status && status !== 'ok'
              ? html`<p class="problem">${t(`precheck.advice.microphone-${adviceOf(status)}`)}</p>`
              : html`<label class="meter-label">
                  <span>${icons.mic} ${t('prejoin.micLevel')}</span>
                  <meter
                    part="mic-level"
                    min="0"
                    max="1"
                    low="0.05"
                    high="0.8"
                    optimum="0.4"
                    value="0"
                  ></meter>
                </label>`
          }
          <div class="actions">${next('speaker')}</div>`;
      }
      case 'speaker':
        return html`${heading(t('precheck.speakerQuestion'))}
          <div class="actions">
            <button
              part="play-button"
              type="button"
              ?disabled=${this.playing}
              @click=${() => void this.handlePlay()}
            >
              ${icons.sound} ${t('precheck.playSound')}
            </button>
            <button
              part="heard-button"
              class="primary"
              type="button"
              @click=${() => this.answerSpeaker('heard')}
            >
              ${t('precheck.heard')}
            </button>
            <button
              part="not-heard-button"
              type="button"
              @click=${() => this.answerSpeaker('not-heard')}
            >
              ${t('precheck.notHeard')}
            </button>
          </div>`;
      case 'network':
        return html`${heading(t('precheck.networkTesting'))}
          <progress
            part="progress"
            max="1"
            .value=${s?.progress ?? 0}
            aria-label=${t('precheck.stepNetwork')}
          ></progress>`;
      case 'verdict':
        return this.final
          ? html`${heading(t('precheck.stepVerdict'))}${renderVerdict(this.final, t, () => void this.start())}`
          : html``;
    }
  }
}

/** The advice suffix of a device failure (`permission`, `not-found`, `in-use`, `failed`). */
function adviceOf(status: string | undefined): 'permission' | 'not-found' | 'in-use' | 'failed' {
  switch (status) {
    case 'permission-denied':
    case 'insecure-context':
      return 'permission';
    case 'device-not-found':
      return 'not-found';
    case 'device-in-use':
      return 'in-use';
    default:
      return 'failed';
  }
}
