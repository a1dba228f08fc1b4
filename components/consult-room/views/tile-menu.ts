/**
 * The provider's menu on a remote tile of `<consult-room>`: a "More options for <name>" button that
 * opens a small menu with "Remove from consultation" (which asks for confirmation first). Rendered
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
}

export function renderTileMenu(p: Participant, v: TileMenuView): TemplateResult {
  const { t } = v;
  const menuId = `tile-menu-${p.id}`;
  const onKeydown = (e: KeyboardEvent): void => {
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
