import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { ConsultElement } from '../base/consult-element.js';
import { LocalizeController } from '../controllers/localize-controller.js';
import { ConsultErrorEvent } from '../events/consult-error.js';
import { ConsultQueueOpenEvent } from '../events/consult-queue-open.js';
import { ConsultQueueWaitingEvent } from '../events/consult-queue-waiting.js';
import type { ConsultStrings } from '../i18n/en.js';
import { format } from '../i18n/index.js';
import {
  ConsultError,
  createQueueClient,
  type AuthProvider,
  type DeviceCheckResult,
  type QueueClientLike,
  type QueueEntry,
  type QueueState,
  type Unsubscribe,
} from '../../src/index.js';
import {
  notificationPermission,
  playChime,
  requestNotifications,
  showNotification,
} from './alerts.js';
import { queueStrings, type QueueStringKey, type QueueStrings } from './strings.js';
import { styles } from './consult-queue.styles.js';

const IDLE: QueueState = { status: 'idle', waiting: [], error: undefined };

const keyOf = (e: { consultId: string; userId: string }): string => `${e.consultId}\n${e.userId}`;

/**
 * The provider's queue across consultations: everyone waiting in the consults the provider may
 * act on, with their device check, admitted or denied in place.
 *
 * @summary A provider's live list of patients and guests waiting, across consultations.
 * @tagname consult-queue
 * @status experimental
 * @since 0.2.0
 *
 * @slot header - Replaces the header (default: the "Waiting room" heading and the count).
 * @slot empty - Shown when nobody is waiting.
 * @slot error - Replaces the error text.
 *
 * @csspart base - The wrapper of everything.
 * @csspart header - The header bar.
 * @csspart title - The default heading.
 * @csspart count - The number of people waiting.
 * @csspart notify-button - Asks for notification permission (with `notify`, until answered).
 * @csspart error - The error box.
 * @csspart list - The list of waiting people.
 * @csspart entry - One waiting person.
 * @csspart name - Their name.
 * @csspart role - Their role, for guests.
 * @csspart consult - The consultation they wait in.
 * @csspart since - When they started waiting.
 * @csspart device-check - Their device-check result.
 * @csspart actions - The buttons of an entry.
 * @csspart admit-button - Admits them.
 * @csspart deny-button - Denies them.
 * @csspart open-button - Opens their consultation (`consult-queue-open`).
 * @csspart empty - The empty-state box.
 *
 * @cssproperty --consult-queue-background - Background of the queue.
 * @cssproperty --consult-queue-radius - Corner radius of the queue.
 * @cssproperty --consult-color-background - Page-level background.
 * @cssproperty --consult-color-surface - Background of entries and buttons.
 * @cssproperty --consult-color-text - Text colour.
 * @cssproperty --consult-color-text-muted - Secondary text colour.
 * @cssproperty --consult-color-accent - Accent (the Admit button, focus).
 * @cssproperty --consult-color-danger - Errors and device problems.
 * @cssproperty --consult-color-success - A passed device check.
 * @cssproperty --consult-space-m - Main spacing.
 * @cssproperty [--consult-color-border=light-dark(#767d88, #8b929d)] - Borders of buttons, inputs and dialogs.
 * @cssproperty [--consult-color-focus=light-dark(#0b57d0, #a8c7fa)] - Focus outline.
 * @cssproperty [--consult-color-on-accent=light-dark(#ffffff, #062e6f)] - Text and icons on the accent colour; keep it in contrast with the accent.
 * @cssproperty [--consult-color-on-danger=light-dark(#ffffff, #601410)] - Text and icons on the danger colour; keep it in contrast with the danger colour.
 * @cssproperty --consult-color-own-message - Background of own messages.
 * @cssproperty [--consult-color-surface-raised=light-dark(#e3e7ed, #2f333b)] - Raised surfaces: hovered buttons, headers, the composer.
 * @cssproperty [--consult-color-warning=light-dark(#7a4d00, #ffcf70)] - Warning banners and marks.
 * @cssproperty --consult-font-family - Font family.
 * @cssproperty [--consult-font-size=1rem] - Base font size.
 * @cssproperty [--consult-font-size-small=0.875rem] - Secondary text (names, times, counters).
 * @cssproperty [--consult-radius-l=16px] - Large radius (tiles, dialogs, panels).
 * @cssproperty --consult-radius-m - Radius of messages and controls.
 * @cssproperty [--consult-radius-s=6px] - Small radius (badges, error messages).
 * @cssproperty [--consult-space-l=20px] - Large spacing (around screens and dialogs).
 * @cssproperty [--consult-space-s=8px] - Small spacing (between related items).
 * @cssproperty [--consult-space-xs=4px] - Smallest spacing (inside controls).
 * @cssproperty [--consult-transition-duration=160ms] - Duration of transitions; 0ms under prefers-reduced-motion.
 *
 * @cssstate loading - The first snapshot has not arrived yet.
 * @cssstate empty - Nobody is waiting.
 * @cssstate waiting - Someone is waiting.
 * @cssstate error - The queue or an action failed; the error part is shown.
 *
 * @event {ConsultQueueWaitingEvent} consult-queue-waiting - Someone started waiting; `detail.entry`.
 * @event {ConsultQueueOpenEvent} consult-queue-open - The provider chose Open; `detail.consultId`, `detail.entry`.
 * @event {ConsultErrorEvent} consult-error - The stream was refused, or admitting/denying failed; `detail.error`.
 */
export class ConsultQueue extends ConsultElement {
  static override styles = styles;

  /** The queue to show (the SDK's `createQueueClient`, or `FakeQueue`); the element never closes one it was given. */
  @property({ attribute: false }) queue: QueueClientLike | undefined;

  /** The token server's API base; with it (and no `.queue`) the element builds and owns its queue. */
  @property({ attribute: 'api-url' }) apiUrl = '';

  /** The provider's bearer token, or a function returning it (for the element's own queue). */
  @property({ attribute: false }) auth: AuthProvider | undefined;

  /** Plays a short chime when someone starts waiting (browsers may need a click on the page first). */
  @property({ type: Boolean }) sound = false;

  /**
   * Shows a system notification (with the person's name) when someone starts waiting; the element
   * offers a button to ask for permission until the browser has an answer.
   */
  @property({ type: Boolean }) notify = false;

  /** Overrides of any text, by key (`components/i18n/en.ts` and the queue's `queue.*` keys). */
  @property({ attribute: false }) strings: Partial<ConsultStrings & QueueStrings> | undefined;

  /** Language of the element's text; defaults to the closest `[lang]` ancestor or the document. */
  @property({ reflect: true }) override lang!: string;

  @state() private snapshot: QueueState = IDLE;
  @state() private error: ConsultError | undefined;
  @state() private announcement = '';
  @state() private permission = notificationPermission();
  /** People whose admit/deny is on its way (their buttons are disabled). */
  @state() private busy: ReadonlySet<string> = new Set();

  private readonly localize = new LocalizeController(this);
  private bound: QueueClientLike | undefined;
  private owned: QueueClientLike | undefined;
  private ownedFor = '';
  private unsubscribe: Unsubscribe[] = [];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unbind();
    this.owned?.close();
    this.owned = undefined;
    this.ownedFor = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Reattached after a move: bind again on the next update.
    if (this.hasUpdated) this.requestUpdate();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.queue && this.apiUrl && this.ownedFor !== this.apiUrl) this.buildOwn();
    const target = this.queue ?? this.owned;
    if (target !== this.bound || (target && this.unsubscribe.length === 0)) this.bind(target);
    if (changed.has('notify')) this.permission = notificationPermission();
  }

  protected override updated(): void {
    const { status, waiting } = this.snapshot;
    this.setCustomState('loading', status === 'idle' || status === 'connecting');
    this.setCustomState('empty', status === 'live' && waiting.length === 0);
    this.setCustomState('waiting', waiting.length > 0);
    this.setCustomState('error', this.error !== undefined);
  }

  private t(key: QueueStringKey, values?: Record<string, string | number>): string {
    const own = this.strings?.[key] ?? queueStrings[this.localize.language][key];
    return format(own ?? queueStrings.en[key], values);
  }

  private buildOwn(): void {
    const apiUrl = this.apiUrl;
    this.owned?.close();
    this.owned = undefined;
    this.ownedFor = apiUrl;
    createQueueClient({
      apiUrl,
      ...(this.auth !== undefined ? { auth: () => this.currentAuth() } : {}),
    }).then(
      (q) => {
        if (this.ownedFor !== apiUrl || !this.isConnected) {
          q.close();
          return;
        }
        this.owned = q;
        this.requestUpdate();
      },
      (e: unknown) => this.fail(ConsultError.from(e)),
    );
  }

  private async currentAuth(): Promise<string | undefined> {
    const auth = this.auth;
    return typeof auth === 'function' ? await auth() : auth;
  }

  private bind(queue: QueueClientLike | undefined): void {
    this.unbind();
    this.bound = queue;
    this.snapshot = queue?.state ?? IDLE;
    if (!queue) return;
    this.unsubscribe = [
      queue.subscribe((s) => {
        this.snapshot = s;
        if (s.error && s.status === 'error') this.error = s.error;
      }),
      queue.on('waiting', (entry) => this.handleWaiting(entry)),
      queue.on('error', (error) => this.fail(error)),
    ];
    queue.start();
    this.snapshot = queue.state;
  }

  private unbind(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.bound = undefined;
  }

  private handleWaiting(entry: QueueEntry): void {
    const text = this.t('queue.startedWaiting', { name: entry.displayName, id: entry.consultId });
    this.announce(text);
    if (this.sound) playChime();
    if (this.notify) showNotification(this.t('queue.notificationTitle'), text, keyOf(entry));
    this.dispatchEvent(new ConsultQueueWaitingEvent({ entry }));
  }

  private announce(text: string): void {
    // A repeated identical text is still announced: clear first, then set on the next frame.
    this.announcement = '';
    void this.updateComplete.then(() => {
      this.announcement = text;
    });
  }

  private fail(error: ConsultError): void {
    this.error = error;
    this.dispatchEvent(new ConsultErrorEvent({ error }));
  }

  private async decide(entry: QueueEntry, action: 'admit' | 'deny'): Promise<void> {
    const queue = this.bound;
    if (!queue) return;
    const key = keyOf(entry);
    this.busy = new Set([...this.busy, key]);
    this.error = undefined;
    try {
      if (action === 'admit') await queue.admit(entry.consultId, entry.userId);
      else await queue.deny(entry.consultId, entry.userId);
      this.announce(
        this.t(action === 'admit' ? 'queue.admitted' : 'queue.denied', {
          name: entry.displayName,
        }),
      );
    } catch (error) {
      // The queue emits `error` too (FakeQueue and the SDK's client both do); show it once.
      if (this.error === undefined) this.fail(ConsultError.from(error));
    } finally {
      const next = new Set(this.busy);
      next.delete(key);
      this.busy = next;
    }
  }

  private handleOpen(entry: QueueEntry): void {
    this.dispatchEvent(new ConsultQueueOpenEvent({ consultId: entry.consultId, entry }));
  }

  private async handleNotifyClick(): Promise<void> {
    this.permission = await requestNotifications();
  }

  private sinceText(since: string): { iso: string; text: string } {
    const d = new Date(since);
    if (Number.isNaN(d.getTime())) return { iso: since, text: since };
    let text: string;
    try {
      text = new Intl.DateTimeFormat(this.localize.tag, {
        hour: 'numeric',
        minute: '2-digit',
      }).format(d);
    } catch {
      text = d.toISOString().slice(11, 16);
    }
    return { iso: d.toISOString(), text };
  }

  private renderCheck(entry: QueueEntry): TemplateResult {
    const check = entry.deviceCheck;
    if (!check)
      return html`<span part="device-check" class="check">${this.t('queue.noCheck')}</span>`;
    const item = (kind: 'camera' | 'microphone', result: DeviceCheckResult) => {
      const ok = result === 'ok';
      const off = result === 'off';
      const camera = kind === 'camera';
      const label = ok
        ? this.localize.t(camera ? 'check.cameraOk' : 'check.microphoneOk')
        : off
          ? this.t(camera ? 'queue.cameraOff' : 'queue.microphoneOff')
          : this.localize.t(camera ? 'check.cameraProblem' : 'check.microphoneProblem');
      const mark = ok ? '✓' : off ? '–' : '!';
      return html`<span class="check-item ${ok ? 'ok' : off ? 'off' : 'problem'}"
        ><span aria-hidden="true">${mark}</span> ${label}</span
      >`;
    };
    return html`<span part="device-check" class="check"
      >${item('camera', check.camera)} ${item('microphone', check.microphone)}</span
    >`;
  }

  private renderEntry(entry: QueueEntry): TemplateResult {
    const since = this.sinceText(entry.since);
    const busy = this.busy.has(keyOf(entry));
    const name = entry.displayName;
    return html`<li part="entry" class="entry">
      <div class="who">
        <span part="name" class="name">${name}</span>
        ${
          entry.role === 'guest'
            ? html`<span part="role" class="role">${this.localize.t('role.guest')}</span>`
            : nothing
        }
      </div>
      <div class="meta">
        <span part="consult" class="consult"
          >${this.t('queue.consult', { id: entry.consultId })}</span
        >
        <time part="since" class="since" datetime=${since.iso}
          >${this.t('queue.since', { time: since.text })}</time
        >
        ${this.renderCheck(entry)}
      </div>
      <div part="actions" class="actions">
        <button
          part="admit-button"
          class="primary"
          type="button"
          aria-label=${this.t('queue.admitLabel', { name })}
          ?disabled=${busy}
          @click=${() => void this.decide(entry, 'admit')}
        >
          ${this.t('queue.admit')}
        </button>
        <button
          part="deny-button"
          type="button"
          aria-label=${this.t('queue.denyLabel', { name })}
          ?disabled=${busy}
          @click=${() => void this.decide(entry, 'deny')}
        >
          ${this.t('queue.deny')}
        </button>
        <button
          part="open-button"
          type="button"
          aria-label=${this.t('queue.openLabel', { id: entry.consultId, name })}
          @click=${() => this.handleOpen(entry)}
        >
          ${this.t('queue.open')}
        </button>
      </div>
    </li>`;
  }

  override render(): TemplateResult {
    const { status, waiting } = this.snapshot;
    const loading = status === 'idle' || status === 'connecting';
    const askPermission = this.notify && this.permission === 'default';
    return html`
      <section
        part="base"
        class="base"
        lang=${this.localize.tag}
        dir=${this.localize.dir}
        aria-labelledby="title"
        aria-busy=${loading ? 'true' : 'false'}
      >
        <header part="header" class="header">
          <slot name="header">
            <h2 part="title" class="title" id="title">${this.t('queue.title')}</h2>
            <span part="count" class="count"
              >${this.t('queue.count', { count: waiting.length })}</span
            >
          </slot>
          ${
            askPermission
              ? html`<button part="notify-button" type="button" @click=${this.handleNotifyClick}>
                  ${this.t('queue.enableNotifications')}
                </button>`
              : nothing
          }
        </header>
        ${
          this.error
            ? html`<div part="error" class="error" role="alert">
                <slot name="error">${this.localize.error(this.error.messageKey)}</slot>
              </div>`
            : nothing
        }
        ${
          waiting.length > 0
            ? html`<ul part="list" class="list" aria-label=${this.t('queue.list')}>
                ${repeat(waiting, keyOf, (e) => this.renderEntry(e))}
              </ul>`
            : html`<div part="empty" class="empty">
                <slot name="empty"
                  >${loading ? this.t('queue.loading') : this.t('queue.empty')}</slot
                >
              </div>`
        }
        <div class="visually-hidden" role="status" aria-live="polite">${this.announcement}</div>
      </section>
    `;
  }
}
