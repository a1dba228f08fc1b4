/**
 * The Storybook themes: the defaults (light), a forced dark scheme and a brand. The elements follow
 * the user's colour scheme by default (`color-scheme: light dark` with `light-dark()` tokens);
 * forcing dark needs `color-scheme: dark` on the elements themselves, which page CSS can set.
 * @packageDocumentation
 */
import { css } from 'lit';

/** The theme toolbar's values. */
export const THEMES = ['light', 'dark', 'brand'] as const;

/** One theme. */
export type Theme = (typeof THEMES)[number];

/** Brand tokens: any portal can set these on the elements or an ancestor. */
export const brandTokens = css`
  --consult-color-background: #fffdf8;
  --consult-color-surface: #f3eee4;
  --consult-color-surface-raised: #e8e0d0;
  --consult-color-text: #231a10;
  --consult-color-text-muted: #5a4a36;
  --consult-color-border: #7c6a52;
  --consult-color-accent: #6b2a8f;
  --consult-color-on-accent: #ffffff;
  --consult-color-focus: #6b2a8f;
  --consult-color-own-message: #efe3f7;
  --consult-radius-s: 2px;
  --consult-radius-m: 4px;
  --consult-radius-l: 8px;
  --consult-font-family: Georgia, 'Times New Roman', serif;
  --consult-room-background: #efe6f5;
  --consult-room-tile-background: #dccbe8;
`;

/** Page CSS for the theme wrapper of every story. */
export const themeStyles = css`
  .consult-story {
    box-sizing: border-box;
    min-block-size: 100vh;
    padding: 16px;
    background: var(--consult-color-background);
    color: var(--consult-color-text);
  }
  .consult-story[data-theme='light'],
  .consult-story[data-theme='light'] consult-room,
  .consult-story[data-theme='light'] consult-chat {
    color-scheme: light;
  }
  .consult-story[data-theme='dark'],
  .consult-story[data-theme='dark'] consult-room,
  .consult-story[data-theme='dark'] consult-chat {
    color-scheme: dark;
  }
  .consult-story[data-theme='brand'] {
    color-scheme: light;
    ${brandTokens}
  }
  .consult-story[data-theme='brand'] consult-room,
  .consult-story[data-theme='brand'] consult-chat {
    color-scheme: light;
  }
`;
