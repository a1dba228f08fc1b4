import { css } from 'lit';
import { tokens } from '../base/tokens.styles.js';

export const styles = [
  tokens,
  css`
    :host {
      display: block;
      contain: content;
    }
    .base {
      display: flex;
      flex-direction: column;
      background: var(--consult-queue-background, var(--_bg));
      border-radius: var(--consult-queue-radius, var(--_radius-l));
      overflow: hidden;
    }
    .header {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: var(--_space-s);
      padding: var(--_space-s) var(--_space-m);
      border-block-end: 1px solid var(--_surface-2);
    }
    .header slot {
      display: flex;
      align-items: baseline;
      gap: var(--_space-s);
      flex: 1 1 auto;
    }
    .title {
      margin: 0;
      font-size: 1.05em;
    }
    .count {
      color: var(--_muted);
      font-size: var(--_font-size-s);
    }
    .error {
      margin: var(--_space-s) var(--_space-m) 0;
      padding: var(--_space-s);
      border-radius: var(--_radius-s);
      border-inline-start: 4px solid var(--_danger);
      background: var(--_surface);
    }
    .list {
      list-style: none;
      margin: 0;
      padding: var(--_space-m);
      display: flex;
      flex-direction: column;
      gap: var(--_space-s);
    }
    .entry {
      display: grid;
      grid-template-columns: 1fr auto;
      gap: var(--_space-xs) var(--_space-m);
      padding: var(--_space-s) var(--_space-m);
      border-radius: var(--_radius-m);
      background: var(--_surface);
    }
    .who {
      display: flex;
      align-items: baseline;
      gap: var(--_space-s);
      font-weight: 600;
    }
    .role {
      font-weight: 400;
      font-size: var(--_font-size-s);
      padding-inline: var(--_space-xs);
      border: 1px solid var(--_border);
      border-radius: var(--_radius-s);
    }
    .meta {
      grid-column: 1;
      display: flex;
      flex-wrap: wrap;
      gap: var(--_space-xs) var(--_space-m);
      color: var(--_muted);
      font-size: var(--_font-size-s);
    }
    .check {
      display: inline-flex;
      gap: var(--_space-s);
    }
    .check-item.ok {
      color: var(--_success);
    }
    .check-item.problem {
      color: var(--_danger);
    }
    .actions {
      grid-column: 2;
      grid-row: 1 / span 2;
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: var(--_space-s);
    }
    .empty {
      padding: var(--_space-l) var(--_space-m);
      color: var(--_muted);
      text-align: center;
    }
    @container (max-width: 28rem) {
      .actions {
        grid-column: 1 / -1;
        grid-row: auto;
      }
    }
  `,
];
