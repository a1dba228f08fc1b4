/**
 * The provider's menu on a remote tile of `<consult-room>`: a "More options for <name>" button that
 * opens a small menu with "Ask to mute" (a request the participant answers; never a remote mute) and
 * "Remove from consultation" (which asks for confirmation first). Rendered
 * into the tile's `actions` slot.
 * @packageDocumentation
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { icons } from '../../base/icons.js';
import type { Participant } from '../../../src/index.js';
import type { Translate } from './shared.js';

export interface TileMenuView {
  t: Translate;
  /** The participant whose menu is open. */
  open: boolean;
  onToggle: (open: boolean) => void;
  /** "Remove from consultation": `opener` is the menu button (focus returns there). */
  onRemove: (opener: HTMLElement | null) => void;
  /** "Ask to mute" (shown while the participant's microphone is on). */
  onAskMute: () => void;
}

export function renderTileMenu(p: Participant, v: TileMenuView): TemplateResult {
  const { t } = v;
  const menuId = `tile-menu-${p.id}`;
  const onKeydown = (e: KeyboardEvent): void => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      // Arrow keys move between the menu items (wrapping), as in any menu.
      const items = [
        ...(e.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('[role="menuitem"]'),
      ];
      if (items.length === 0) return;
      e.preventDefault();
      const from = items.findIndex((item) => item.matches(':focus'));
      const step = e.key === 'ArrowDown' ? 1 : -1;
      items[(from + step + items.length) % items.length]?.focus();
      return;
    }
    if (e.key !== 'Escape' && e.key !== 'Tab') return;
    if (e.key === 'Escape') e.preventDefault();
    v.onToggle(false);
  };
  return html`<div slot="actions" class="tile-actions" @keydown=${onKeydown}>
    <button
      part="tile-menu-button"
      class="icon-button tile-menu-button"
      type="button"
      aria-haspopup="menu"
      aria-expanded=${v.open ? 'true' : 'false'}
      aria-controls=${v.open ? menuId : nothing}
      aria-label=${t('tile.moreOptions', { name: p.displayName })}
      @click=${() => v.onToggle(!v.open)}
    >
      ${icons.more}
    </button>
    ${
      v.open
        ? html`<div part="tile-menu" class="tile-menu" role="menu" id=${menuId}>
            <button
              part="remove-participant-button"
              class="danger"
              type="button"
              role="menuitem"
              @click=${(e: Event) =>
                v.onRemove(
                  (e.currentTarget as HTMLElement)
                    .closest('.tile-actions')
                    ?.querySelector<HTMLElement>('.tile-menu-button') ?? null,
                )}
            >
              ${t('tile.remove')}
            </button>
            ${
              p.audioEnabled
                ? html`<button
                    part="ask-to-mute-button"
                    type="button"
                    role="menuitem"
                    @click=${v.onAskMute}
                  >
                    ${t('tile.askToMute')}
                  </button>`
                : nothing
            }
          </div>`
        : nothing
    }
  </div>`;
}

export const tileMenuStyles = css`
  .tile-actions {
    position: relative;
    z-index: 2;
  }
  .tile-menu-button {
    background: rgb(0 0 0 / 0.55);
    color: #fff;
    border-radius: 999px;
  }
  .tile-menu {
    position: absolute;
    inset-block-start: calc(100% + 4px);
    inset-inline-end: 0;
    display: flex;
    flex-direction: column;
    min-inline-size: 12rem;
    padding: 4px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius-l);
    background: var(--_bg);
    color: var(--_text);
  }
`;
