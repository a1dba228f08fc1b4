/**
 * The waiting-room list a provider sees in the call, with admit and deny buttons.
 * @packageDocumentation
 */
import { css, html, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { LobbyEntry } from '../../../src/index.js';
import type { Translate } from './shared.js';

export function renderLobby(
  lobby: readonly LobbyEntry[],
  t: Translate,
  on: { admit: (userId: string) => void; deny: (userId: string) => void },
): TemplateResult {
  return html`<section part="lobby" class="lobby" aria-labelledby="lobby-title">
    <h2 id="lobby-title" class="lobby-title">${t('lobby.title')}</h2>
    <ul>
      ${repeat(
        lobby,
        (e) => e.userId,
        (e) =>
          html`<li part="lobby-entry" class="lobby-entry">
            <span class="name">${e.displayName}</span>
            <span class="lobby-actions">
              <button
                part="admit-button"
                class="primary"
                type="button"
                aria-label=${t('lobby.admitName', { name: e.displayName })}
                @click=${() => on.admit(e.userId)}
              >
                ${t('lobby.admit')}
              </button>
              <button
                part="deny-button"
                type="button"
                aria-label=${t('lobby.denyName', { name: e.displayName })}
                @click=${() => on.deny(e.userId)}
              >
                ${t('lobby.deny')}
              </button>
            </span>
          </li>`,
      )}
    </ul>
  </section>`;
}

export const lobbyStyles = css`
  .lobby {
    padding: var(--_space-s) var(--_space-m);
    border-radius: var(--_radius-m);
    background: var(--_bg);
  }
  .lobby-title {
    margin: 0 0 var(--_space-xs);
    font-size: 1em;
  }
  .lobby ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: var(--_space-xs);
  }
  .lobby-entry {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: var(--_space-s);
  }
  .lobby-actions {
    display: flex;
    gap: var(--_space-xs);
  }
`;
