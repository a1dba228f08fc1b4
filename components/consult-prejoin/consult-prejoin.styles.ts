import { css } from 'lit';
import { deviceCheckStyles } from '../base/device-check.styles.js';
import { tokens } from '../base/tokens.styles.js';
import { sharedStyles } from '../consult-room/views/shared.js';

export const styles = [
  tokens,
  sharedStyles,
  deviceCheckStyles,
  css`
    :host {
      display: block;
    }
    .intro {
      margin: var(--_space-xs) 0 var(--_space-m);
      color: var(--_muted);
    }
    .prejoin-grid {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr));
      gap: var(--_space-l);
    }
    .preview-box {
      display: flex;
      flex-direction: column;
      gap: var(--_space-s);
    }
    .preview-off {
      color: var(--_muted);
    }
    .meter-label {
      font-size: var(--_font-size-s);
    }
    .prejoin-side {
      display: flex;
      flex-direction: column;
      gap: var(--_space-m);
    }
    .device-check {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: var(--_space-xs);
    }
    .device-status {
      display: flex;
      align-items: center;
      gap: var(--_space-s);
      font-weight: 600;
    }
    .device-status.ok {
      color: var(--_success);
    }
    .device-status.problem {
      color: var(--_danger);
    }
    .device-help {
      padding: var(--_space-m);
      border-radius: var(--_radius-m);
      border-inline-start: 4px solid var(--_danger);
      background: var(--_bg);
    }
    .help-title {
      margin: 0 0 var(--_space-s);
      font-size: 1.05em;
    }
    .device-help p {
      margin: var(--_space-s) 0;
    }
    .steps {
      margin: var(--_space-s) 0;
      padding-inline-start: 1.5em;
    }
  `,
];
