/**
 * `AnnouncerController`: the polite live region of an element.
 * @packageDocumentation
 */
import {
  html,
  type ReactiveController,
  type ReactiveControllerHost,
  type TemplateResult,
} from 'lit';
import { repeat } from 'lit/directives/repeat.js';

/** How many announcements stay in the region (older ones are dropped). */
const KEEP = 5;

/**
 * Keeps the last few announcements and renders them into a `role="status"` region. Each
 * announcement is a new node, so a screen reader reads it even when the text repeats.
 * @internal
 */
export class AnnouncerController implements ReactiveController {
  private readonly host: ReactiveControllerHost;
  private items: Array<{ id: number; text: string }> = [];
  private seq = 0;

  constructor(host: ReactiveControllerHost) {
    this.host = host;
    host.addController(this);
  }

  /** The texts currently in the region, oldest first. */
  get texts(): string[] {
    return this.items.map((item) => item.text);
  }

  /** Adds an announcement and re-renders the host. */
  announce(text: string): void {
    this.items = [...this.items.slice(-(KEEP - 1)), { id: ++this.seq, text }];
    this.host.requestUpdate();
  }

  hostConnected(): void {}

  /** The visually hidden live region (part `announcer`). */
  render(): TemplateResult {
    return html`<div part="announcer" class="visually-hidden" role="status" aria-live="polite">
      ${repeat(
        this.items,
        (a) => a.id,
        (a) => html`<p>${a.text}</p>`,
      )}
    </div>`;
  }
}
