/**
 * Shared design tokens. Every public `--consult-*` property has a fallback, so the elements look right
 * with no global CSS; the private `--_*` values are set on the inner `.base` wrapper, never on `:host`
 * (docs/contributing.md#styling-and-theming), so consumers' `:host`-level overrides always win.
 * @packageDocumentation
 */
import { css } from 'lit';

export const tokens = css`
  :host {
    color-scheme: light dark;
    box-sizing: border-box;
  }
  :host([hidden]) {
    display: none !important;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  .base {
    --_bg: var(--consult-color-background, light-dark(#ffffff, #16181d));
    --_surface: var(--consult-color-surface, light-dark(#f1f3f6, #23262d));
    --_surface-2: var(--consult-color-surface-raised, light-dark(#e3e7ed, #2f333b));
    --_text: var(--consult-color-text, light-dark(#1b1e24, #eef0f3));
    --_muted: var(--consult-color-text-muted, light-dark(#4f5661, #b4bac4));
    --_border: var(--consult-color-border, light-dark(#767d88, #8b929d));
    --_accent: var(--consult-color-accent, light-dark(#0b57d0, #a8c7fa));
    --_on-accent: var(--consult-color-on-accent, light-dark(#ffffff, #062e6f));
    --_danger: var(--consult-color-danger, light-dark(#b3261e, #f2b8b5));
    --_on-danger: var(--consult-color-on-danger, light-dark(#ffffff, #601410));
    --_success: var(--consult-color-success, light-dark(#146c2e, #8fd69e));
    --_warning: var(--consult-color-warning, light-dark(#7a4d00, #ffcf70));
    --_own: var(--consult-color-own-message, light-dark(#d8e5fb, #153a6b));
    --_focus: var(--consult-color-focus, light-dark(#0b57d0, #a8c7fa));
    --_radius-s: var(--consult-radius-s, 6px);
    --_radius-m: var(--consult-radius-m, 10px);
    --_radius-l: var(--consult-radius-l, 16px);
    --_space-xs: var(--consult-space-xs, 4px);
    --_space-s: var(--consult-space-s, 8px);
    --_space-m: var(--consult-space-m, 12px);
    --_space-l: var(--consult-space-l, 20px);
    --_font: var(
      --consult-font-family,
      system-ui,
      -apple-system,
      'Segoe UI',
      Roboto,
      'Noto Sans',
      'Noto Sans Arabic',
      sans-serif
    );
    --_font-size: var(--consult-font-size, 1rem);
    --_font-size-s: var(--consult-font-size-small, 0.875rem);
    --_transition: var(--consult-transition-duration, 160ms);
    font-family: var(--_font);
    font-size: var(--_font-size);
    line-height: 1.45;
    color: var(--_text);
    background: var(--_bg);
  }
  @media (prefers-reduced-motion: reduce) {
    .base {
      --_transition: 0ms;
    }
  }
  button,
  select,
  input,
  textarea {
    font: inherit;
    color: inherit;
  }
  button {
    cursor: pointer;
    min-block-size: 44px;
    min-inline-size: 44px;
    padding-block: var(--_space-xs);
    padding-inline: var(--_space-m);
    border: 1px solid var(--_border);
    border-radius: var(--_radius-m);
    background: var(--_surface);
  }
  button:hover:not(:disabled) {
    background: var(--_surface-2);
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.6;
  }
  .primary {
    background: var(--_accent);
    color: var(--_on-accent);
    border-color: transparent;
    font-weight: 600;
  }
  .primary:hover:not(:disabled) {
    background: var(--_accent);
    filter: brightness(1.1);
  }
  .danger {
    background: var(--_danger);
    color: var(--_on-danger);
    border-color: transparent;
    font-weight: 600;
  }
  .danger:hover:not(:disabled) {
    background: var(--_danger);
    filter: brightness(1.1);
  }
  :focus-visible {
    outline: 3px solid var(--_focus);
    outline-offset: 2px;
  }
  .visually-hidden {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  svg.icon {
    inline-size: 1.25em;
    block-size: 1.25em;
    flex: none;
    fill: none;
    stroke: currentColor;
    stroke-width: 2;
    stroke-linecap: round;
    stroke-linejoin: round;
    vertical-align: middle;
  }
  [hidden] {
    display: none !important;
  }
`;
