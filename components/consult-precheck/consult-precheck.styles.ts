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
    .base {
      display: flex;
      flex-direction: column;
      gap: var(--_space-m);
      max-inline-size: 40rem;
    }
    .title,
    .step-title {
      margin: 0;
    }
    .step-title {
      font-size: 1.1em;
      outline: none;
    }
    .intro {
      margin: 0;
      color: var(--_muted);
    }
    .body {
      display: flex;
      flex-direction: column;
      gap: var(--_space-m);
    }
    .steps {
      list-style: none;
      margin: 0;
      padding: 0;
      display: flex;
      flex-wrap: wrap;
      gap: var(--_space-s);
      font-size: var(--_font-size-s);
      color: var(--_muted);
    }
    .steps li {
      display: flex;
      align-items: center;
      gap: var(--_space-xs);
      padding: var(--_space-xs) var(--_space-s);
      border-radius: var(--_radius-s);
    }
    .steps li.current {
      color: var(--_text);
      font-weight: 600;
      outline: 2px solid var(--_accent);
    }
    .steps li.done {
      color: var(--_success);
    }
    .preview-off {
      padding: var(--_space-m);
      box-sizing: border-box;
      text-align: center;
      color: var(--_text);
    }
    progress {
      inline-size: 100%;
      block-size: 0.75rem;
    }
    .problem {
      margin: 0;
      padding: var(--_space-m);
      border-inline-start: 4px solid var(--_danger);
      border-radius: var(--_radius-m);
      background: var(--_bg);
    }
    .verdict {
      padding: var(--_space-m);
      border-radius: var(--_radius-m);
      border-inline-start: 6px solid var(--_success);
      background: var(--_bg);
    }
    .verdict.fair {
      border-inline-start-color: var(--_warning);
    }
    .verdict.poor {
      border-inline-start-color: var(--_danger);
    }
    .headline {
      display: flex;
      align-items: center;
      gap: var(--_space-s);
      margin: 0;
      font-weight: 600;
      font-size: 1.1em;
    }
    .advice {
      margin: var(--_space-s) 0 0;
      padding-inline-start: 1.25em;
      display: grid;
      gap: var(--_space-xs);
    }
    .details dl {
      display: grid;
      grid-template-columns: auto 1fr;
      gap: var(--_space-xs) var(--_space-m);
      margin: var(--_space-s) 0 0;
    }
    .details dd {
      margin: 0;
      text-align: start;
    }
    .details {
      margin-block-start: var(--_space-s);
    }
  `,
];
