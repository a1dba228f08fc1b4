import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import { ConsultElement } from '../base/consult-element.js';
import { icons } from '../base/icons.js';
import { SessionController } from '../controllers/session-controller.js';
import { LocalizeController } from '../controllers/localize-controller.js';
import { ConsultErrorEvent } from '../events/consult-error.js';
import { ConsultUnreadChangeEvent } from '../events/consult-unread-change.js';
import type { ConsultStrings } from '../i18n/en.js';
import {
  ConsultError,
  MAX_CHAT_MESSAGE_LENGTH,
  type ChatMessage,
  type ConsultSessionLike,
  type ParticipantRole,
  type SessionState,
} from '../../src/index.js';
import { styles } from './consult-chat.styles.js';

/** Characters left at which the composer starts showing the counter. */
const COUNTER_THRESHOLD = 200;
/** Distance from the bottom (px) that still counts as "reading the newest message". */
const STICK_DISTANCE = 32;
/**
 * Messages per block of the log. Blocks other than the newest have `content-visibility: auto`, so
 * style, layout and paint skip those off screen: an append costs about the same at any history length.
 */
const BLOCK_SIZE = 40;

const timeFormats = new Map<string, Intl.DateTimeFormat>();
function timeFormat(lang: string): Intl.DateTimeFormat {
  let format = timeFormats.get(lang);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' });
    } catch {
      format = new Intl.DateTimeFormat('en', { hour: 'numeric', minute: '2-digit' });
    }
    timeFormats.set(lang, format);
  }
  return format;
}

/**
 * The translated text a message row shows, resolved once per render (a handful of lookups, whatever
 * the history length). The object is kept while every text stays the same, so rows can be skipped
 * by identity: a row re-renders only when its message object or these labels change.
 */
interface RowLabels {
  readonly tag: string;
  readonly you: string;
  readonly sending: string;
  readonly sent: string;
  readonly failed: string;
  readonly retry: string;
  readonly roles: Readonly<Record<ParticipantRole, string>>;
}

const ROLES: readonly ParticipantRole[] = ['provider', 'patient', 'guest'];

function sameLabels(a: RowLabels, b: RowLabels): boolean {
  return (
    a.tag === b.tag &&
    a.you === b.you &&
    a.sending === b.sending &&
    a.sent === b.sent &&
    a.failed === b.failed &&
    a.retry === b.retry &&
    ROLES.every((role) => a.roles[role] === b.roles[role])
  );
}

interface FormattedTime {
  readonly tag: string;
  readonly iso: string;
  readonly text: string;
}

/**
 * Formatted send times, per message object. Snapshots keep the objects of unchanged messages, so a
 * message's time is formatted once per language, not on every render.
 */
const formattedTimes = new WeakMap<ChatMessage, FormattedTime>();
function formatTime(message: ChatMessage, tag: string): FormattedTime {
  const cached = formattedTimes.get(message);
  if (cached?.tag === tag) return cached;
  const time = new Date(message.timestamp);
  const formatted = { tag, iso: time.toISOString(), text: timeFormat(tag).format(time) };
  formattedTimes.set(message, formatted);
  return formatted;
}

/**
 * The consultation chat: a message log with delivery states and retry, and a composer.
 *
 * @summary Text chat of a consultation; works inside `<consult-room>` or alone with `.session`.
 * @tagname consult-chat
 * @status stable
 * @since 0.1.0
 *
 * @slot header - Replaces the header (default: the "Chat" heading).
 * @slot empty - Shown when there are no messages.
 * @slot error - Replaces the error text when an action failed.
 * @slot footer - Below the composer.
 *
 * @csspart base - The wrapper of everything.
 * @csspart header - The header bar.
 * @csspart title - The default heading.
 * @csspart error - The error box.
 * @csspart log - The scrolling message list (`role="log"`).
 * @csspart empty - The empty-state box.
 * @csspart message - One message; also carries `own` or `other`, and `failed` when not delivered.
 * @csspart meta - The sender, role and time line of a message.
 * @csspart sender - The sender's name.
 * @csspart role - The sender's role.
 * @csspart time - The time a message was sent.
 * @csspart text - The message text.
 * @csspart delivery - The delivery state of an own message.
 * @csspart retry-button - Retries a failed message.
 * @csspart new-messages - The "new messages" button shown when the reader has scrolled up.
 * @csspart composer - The message form.
 * @csspart input - The message text area.
 * @csspart counter - The characters-left counter (near the limit only).
 * @csspart send-button - The send button.
 *
 * @cssproperty --consult-chat-height - Block size of the element (default 100% of its container).
 * @cssproperty --consult-chat-background - Background of the chat.
 * @cssproperty --consult-chat-radius - Corner radius of the chat.
 * @cssproperty --consult-color-own-message - Background of own messages.
 * @cssproperty --consult-color-background - Page-level background.
 * @cssproperty --consult-color-surface - Background of other people's messages and buttons.
 * @cssproperty --consult-color-text - Text colour.
 * @cssproperty --consult-color-text-muted - Secondary text colour.
 * @cssproperty --consult-color-accent - Accent (send button, focus).
 * @cssproperty --consult-color-danger - Errors and failed messages.
 * @cssproperty --consult-radius-m - Radius of messages and controls.
 * @cssproperty --consult-space-m - Main spacing.
 * @cssproperty --consult-font-family - Font family.
 * @cssproperty [--consult-color-surface-raised=light-dark(#e3e7ed, #2f333b)] - Raised surfaces: hovered buttons, headers, the composer.
 * @cssproperty [--consult-color-border=light-dark(#767d88, #8b929d)] - Borders of buttons, inputs and dialogs.
 * @cssproperty [--consult-color-focus=light-dark(#0b57d0, #a8c7fa)] - Focus outline.
 * @cssproperty [--consult-color-on-accent=light-dark(#ffffff, #062e6f)] - Text and icons on the accent colour; keep it in contrast with the accent.
 * @cssproperty [--consult-color-on-danger=light-dark(#ffffff, #601410)] - Text and icons on the danger colour; keep it in contrast with the danger colour.
 * @cssproperty [--consult-color-success=light-dark(#146c2e, #8fd69e)] - Success marks (a passed device check, the speaking outline).
 * @cssproperty [--consult-color-warning=light-dark(#7a4d00, #ffcf70)] - Warning banners and marks.
 * @cssproperty [--consult-radius-s=6px] - Small radius (badges, error messages).
 * @cssproperty [--consult-radius-l=16px] - Large radius (tiles, dialogs, panels).
 * @cssproperty [--consult-space-xs=4px] - Smallest spacing (inside controls).
 * @cssproperty [--consult-space-s=8px] - Small spacing (between related items).
 * @cssproperty [--consult-space-l=20px] - Large spacing (around screens and dialogs).
 * @cssproperty [--consult-font-size=1rem] - Base font size.
 * @cssproperty [--consult-font-size-small=0.875rem] - Secondary text (names, times, counters).
 * @cssproperty [--consult-transition-duration=160ms] - Duration of transitions; 0ms under prefers-reduced-motion.
 *
 * @cssstate error - An action failed; the error part is shown.
 * @cssstate empty - There are no messages.
 * @cssstate unread - There are unread messages.
 *
 * @event {ConsultUnreadChangeEvent} consult-unread-change - The unread count changed; `detail.unread`.
 * @event {ConsultErrorEvent} consult-error - Sending or retrying failed; `detail.error`.
 */
export class ConsultChat extends ConsultElement {
  static override styles = styles;

  /** The session to chat in (a `ConsultSessionLike`, e.g. the SDK's session or `FakeSession`). */
  @property({ attribute: false }) session: ConsultSessionLike | undefined;

  /** Overrides of any text, by key (see `components/i18n/en.ts`). */
  @property({ attribute: false }) strings: Partial<ConsultStrings> | undefined;

  /** Language of the element's text; defaults to the closest `[lang]` ancestor or the document. */
  @property({ reflect: true }) override lang!: string;

  @state() private draft = '';
  @state() private hasNewBelow = false;
  @state() private error: ConsultError | undefined;

  @query('.log') private logEl!: HTMLElement | null;
  @query('textarea') private inputEl!: HTMLTextAreaElement | null;

  private readonly localize = new LocalizeController(this);
  private readonly controller = new SessionController(
    this,
    () => this.session,
    // Only what the element renders: a new `unread` count (markRead, an incoming message counted
    // before it is shown) or a participant update does not re-render the log.
    (s: SessionState) => [s.chat.messages, s.connection] as const,
  );
  private stickToBottom = false;
  private renderedCount = 0;
  private labels: RowLabels | undefined;
  private isVisible = false;
  private observer: IntersectionObserver | undefined;

  constructor() {
    super();
    this.controller.onState((state, previous) => {
      if (state.chat.unread !== previous.chat.unread) {
        // Not part of the render: set here, since an unread change alone does not update the element.
        this.setCustomState('unread', state.chat.unread > 0);
        this.dispatchEvent(new ConsultUnreadChangeEvent({ unread: state.chat.unread }));
      }
    });
  }

  /** Number of unread messages (read-only; the session's count). */
  get unread(): number {
    return this.session?.state.chat.unread ?? 0;
  }

  /** Moves focus to the message field. */
  override focus(options?: FocusOptions): void {
    this.inputEl?.focus(options);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (typeof IntersectionObserver === 'function') {
      this.observer = new IntersectionObserver((entries) => {
        const entry = entries[entries.length - 1];
        this.isVisible = entry?.isIntersecting ?? false;
        this.markReadIfVisible();
      });
      this.observer.observe(this);
    } else {
      this.isVisible = true;
    }
    document.addEventListener('visibilitychange', this.handleVisibilityChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
    this.observer = undefined;
    this.isVisible = false;
    document.removeEventListener('visibilitychange', this.handleVisibilityChange);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('session')) this.renderedCount = 0;
    const messages = this.controller.state?.chat.messages ?? [];
    if (messages.length === this.renderedCount) return;
    // Read the log's scroll box only when the message count changed (not per message).
    const log = this.logEl;
    const wasAtBottom =
      !log || log.scrollHeight - log.scrollTop - log.clientHeight <= STICK_DISTANCE;
    const first = this.renderedCount === 0;
    const grew = messages.length > this.renderedCount;
    this.renderedCount = messages.length;
    // Follow the conversation when the reader is at the newest message (or just sent one);
    // otherwise leave their scroll position alone and offer a button instead.
    if (first || wasAtBottom || messages[messages.length - 1]?.isLocal) {
      this.stickToBottom = true;
      this.hasNewBelow = false;
    } else if (grew) {
      this.hasNewBelow = true;
    }
  }

  protected override updated(): void {
    if (this.stickToBottom) {
      this.stickToBottom = false;
      this.scrollToBottom();
    }
    const messages = this.controller.state?.chat.messages ?? [];
    this.setCustomState('empty', messages.length === 0);
    this.setCustomState('unread', this.unread > 0);
    this.setCustomState('error', this.error !== undefined);
    this.markReadIfVisible();
  }

  private readonly handleVisibilityChange = (): void => this.markReadIfVisible();

  private markReadIfVisible(): void {
    const session = this.session;
    if (!session || !this.isVisible || document.visibilityState === 'hidden') return;
    if (session.state.chat.unread > 0) session.markRead();
  }

  private scrollToBottom(): void {
    const log = this.logEl;
    // Only the log scrolls: never scrollIntoView(), which would scroll the page as well.
    if (log) log.scrollTop = log.scrollHeight;
    this.hasNewBelow = false;
  }

  private handleScroll(): void {
    const log = this.logEl;
    if (!log || !this.hasNewBelow) return;
    if (log.scrollHeight - log.scrollTop - log.clientHeight <= STICK_DISTANCE) {
      this.hasNewBelow = false;
    }
  }

  private handleNewMessagesClick(): void {
    this.scrollToBottom();
    this.logEl?.focus();
  }

  private handleInput(event: Event): void {
    this.draft = (event.target as HTMLTextAreaElement).value;
  }

  private handleKeydown(event: KeyboardEvent): void {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    void this.send();
  }

  private handleSubmit(event: Event): void {
    event.preventDefault();
    void this.send();
  }

  private async send(): Promise<void> {
    const session = this.session;
    const text = this.draft.trim();
    if (!session || text === '' || !this.canSend(session.state)) return;
    this.draft = '';
    this.error = undefined;
    try {
      await session.sendMessage(text);
    } catch (error) {
      const consultError = ConsultError.from(error, 'message-failed');
      // A failed delivery is shown on the message itself (with Retry); anything else here.
      if (consultError.code !== 'message-failed') this.fail(consultError);
      else this.dispatchEvent(new ConsultErrorEvent({ error: consultError }));
    }
  }

  private async retry(message: ChatMessage): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.error = undefined;
    try {
      await session.retryMessage(message.id);
    } catch (error) {
      const consultError = ConsultError.from(error, 'message-failed');
      if (consultError.code !== 'message-failed') this.fail(consultError);
      else this.dispatchEvent(new ConsultErrorEvent({ error: consultError }));
    }
  }

  private fail(error: ConsultError): void {
    this.error = error;
    this.dispatchEvent(new ConsultErrorEvent({ error }));
  }

  private canSend(state: SessionState): boolean {
    return state.connection !== 'disconnected' && state.connection !== 'failed';
  }

  override render(): TemplateResult {
    const t = this.localize.t.bind(this.localize);
    const state = this.controller.state;
    const messages = state?.chat.messages ?? [];
    const labels = this.rowLabels();
    const canSend = state !== undefined && this.canSend(state);
    const remaining = MAX_CHAT_MESSAGE_LENGTH - this.draft.length;
    const showCounter = remaining <= COUNTER_THRESHOLD;
    return html`
      <section
        part="base"
        class="base"
        lang=${this.localize.tag}
        dir=${this.localize.dir}
        aria-labelledby="title"
      >
        <header part="header" class="header">
          <slot name="header"
            ><h2 part="title" class="title" id="title">${t('chat.title')}</h2></slot
          >
        </header>
        ${
          this.error
            ? html`<div part="error" class="error" role="alert">
                <slot name="error">${this.localize.error(this.error.messageKey)}</slot>
              </div>`
            : nothing
        }
        <div
          part="log"
          class="log"
          role="log"
          aria-label=${t('chat.log')}
          tabindex="0"
          @scroll=${this.handleScroll}
        >
          ${
            messages.length === 0
              ? html`<div part="empty" class="empty">
                  <slot name="empty">${t('chat.empty')}</slot>
                </div>`
              : this.renderBlocks(messages, labels)
          }
        </div>
        ${
          this.hasNewBelow
            ? html`<button
                part="new-messages"
                class="new-messages primary"
                type="button"
                @click=${this.handleNewMessagesClick}
              >
                ${icons.down}${t('chat.newMessages')}
              </button>`
            : nothing
        }
        <form part="composer" class="composer" @submit=${this.handleSubmit}>
          <textarea
            part="input"
            rows="1"
            aria-label=${t('chat.input')}
            placeholder=${t('chat.placeholder')}
            maxlength=${MAX_CHAT_MESSAGE_LENGTH}
            aria-describedby=${showCounter ? 'counter' : nothing}
            .value=${this.draft}
            ?disabled=${!canSend}
            @input=${this.handleInput}
            @keydown=${this.handleKeydown}
          ></textarea>
          <button
            part="send-button"
            class="send primary"
            type="submit"
            ?disabled=${!canSend || this.draft.trim() === ''}
          >
            ${icons.send}<span>${t('chat.send')}</span>
          </button>
          ${
            showCounter
              ? html`<span
                  part="counter"
                  id="counter"
                  class="counter ${remaining <= 20 ? 'low' : ''}"
                  aria-live="polite"
                  >${t('chat.remaining', { count: remaining })}</span
                >`
              : nothing
          }
          ${!canSend ? html`<p class="offline">${t('chat.offline')}</p>` : nothing}
        </form>
        <slot name="footer"></slot>
      </section>
    `;
  }

  /**
   * The log's rows in blocks of {@link BLOCK_SIZE}, keyed by position; rows keyed by message id. A
   * block whose messages (by identity) and labels are unchanged is skipped without evaluating it, and
   * so is a row, so an append evaluates one block and one row however long the history is.
   */
  private renderBlocks(messages: readonly ChatMessage[], labels: RowLabels): unknown {
    const starts: number[] = [];
    for (let start = 0; start < messages.length; start += BLOCK_SIZE) starts.push(start);
    return repeat(
      starts,
      (start) => start,
      (start) => {
        const slice = messages.slice(start, start + BLOCK_SIZE);
        const latest = start + BLOCK_SIZE >= messages.length;
        return guard(
          [labels, latest, ...slice],
          () =>
            html`<div class="block ${latest ? 'latest' : ''}">
              ${repeat(
                slice,
                (m) => m.id,
                (m) => guard([m, labels], () => this.renderMessage(m, labels)),
              )}
            </div>`,
        );
      },
    );
  }

  /** The row texts for this render; the previous object while nothing in it changed. */
  private rowLabels(): RowLabels {
    const t = this.localize.t.bind(this.localize);
    const next: RowLabels = {
      tag: this.localize.tag,
      you: t('chat.you'),
      sending: t('chat.sending'),
      sent: t('chat.sent'),
      failed: t('chat.failed'),
      retry: t('chat.retry'),
      roles: {
        provider: t('role.provider'),
        patient: t('role.patient'),
        guest: t('role.guest'),
      },
    };
    if (this.labels && sameLabels(this.labels, next)) return this.labels;
    this.labels = next;
    return next;
  }

  private renderMessage(m: ChatMessage, labels: RowLabels): TemplateResult {
    const time = formatTime(m, labels.tag);
    const failed = m.delivery === 'failed';
    const textId = `text-${m.id}`;
    return html`
      <div
        part="message ${m.isLocal ? 'own' : 'other'}${failed ? ' failed' : ''}"
        class="message ${m.isLocal ? 'own' : 'other'} ${failed ? 'failed' : ''}"
        data-id=${m.id}
      >
        <p part="meta" class="meta">
          <span part="sender" class="sender">${m.isLocal ? labels.you : m.senderName}</span>
          <span part="role" class="role">${labels.roles[m.senderRole] ?? m.senderRole}</span>
          <time part="time" datetime=${time.iso}>${time.text}</time>
        </p>
        <p part="text" class="text" id=${textId}>${m.text}</p>
        ${
          m.isLocal
            ? html`<p part="delivery" class="delivery ${failed ? 'failed' : ''}">
                ${failed ? icons.alert : m.delivery === 'sent' ? icons.check : icons.clock}
                <span
                  >${failed ? labels.failed : m.delivery === 'sent' ? labels.sent : labels.sending}</span
                >
                ${
                  failed
                    ? html`<button
                        part="retry-button"
                        class="retry"
                        type="button"
                        aria-describedby=${textId}
                        @click=${() => void this.retry(m)}
                      >
                        ${icons.retry}${labels.retry}
                      </button>`
                    : nothing
                }
              </p>`
            : nothing
        }
      </div>
    `;
  }
}
