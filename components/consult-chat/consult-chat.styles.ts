import { css } from 'lit';
import { tokens } from '../base/tokens.styles.js';

export const styles = [
  tokens,
  css`
    :host {
      display: block;
      contain: content;
      block-size: var(--consult-chat-height, 100%);
      min-block-size: 16rem;
      max-block-size: 100%;
    }
    .base {
      --_chat-bg: var(--consult-chat-background, var(--_bg));
      display: flex;
      flex-direction: column;
      block-size: 100%;
      background: var(--_chat-bg);
      border-radius: var(--consult-chat-radius, var(--_radius-l));
      overflow: hidden;
      position: relative;
    }
    .header {
      padding: var(--_space-s) var(--_space-m);
      border-block-end: 1px solid var(--_surface-2);
    }
    .title {
      margin: 0;
      font-size: 1.05em;
    }
    .error {
      margin: var(--_space-s) var(--_space-m) 0;
      padding: var(--_space-s);
      border-radius: var(--_radius-s);
      border-inline-start: 4px solid var(--_danger);
      background: var(--_surface);
    }
    .log {
      flex: 1 1 auto;
      min-block-size: 0;
      overflow-y: auto;
      overscroll-behavior: contain;
      padding: var(--_space-m);
      display: flex;
      flex-direction: column;
      gap: var(--_space-s);
    }
    .block {
      flex: none;
      display: flex;
      flex-direction: column;
      gap: var(--_space-s);
      /* Off-screen blocks skip style, layout and paint; the newest block is always rendered, so
         scrolling to the bottom lands on real sizes. The estimate is used until a block has rendered once. */
      content-visibility: auto;
      contain-intrinsic-block-size: auto 160rem;
    }
    .block.latest {
      content-visibility: visible;
    }
    .empty {
      margin: auto;
      color: var(--_muted);
      text-align: center;
    }
    .message {
      max-inline-size: 85%;
      align-self: flex-start;
      padding: var(--_space-s) var(--_space-m);
      border-radius: var(--_radius-m);
      background: var(--_surface);
      border: 1px solid transparent;
    }
    .message.own {
      align-self: flex-end;
      background: var(--_own);
    }
    .message.failed {
      border-color: var(--_danger);
    }
    .meta {
      margin: 0;
      display: flex;
      flex-wrap: wrap;
      gap: 0 var(--_space-s);
      font-size: var(--_font-size-s);
      color: var(--_muted);
    }
    .sender {
      font-weight: 600;
      color: var(--_text);
    }
    .text {
      margin: var(--_space-xs) 0 0;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .delivery {
      margin: var(--_space-xs) 0 0;
      display: flex;
      align-items: center;
      gap: var(--_space-s);
      font-size: var(--_font-size-s);
      color: var(--_muted);
    }
    .delivery.failed {
      color: var(--_danger);
      font-weight: 600;
    }
    .retry {
      min-block-size: 32px;
      padding-inline: var(--_space-s);
    }
    .new-messages {
      position: absolute;
      inset-block-end: calc(var(--_composer-h, 5.5rem) + var(--_space-s));
      inset-inline-start: 50%;
      transform: translateX(-50%);
      border-radius: 999px;
      box-shadow: 0 2px 8px rgb(0 0 0 / 0.25);
      display: inline-flex;
      align-items: center;
      gap: var(--_space-xs);
    }
    :host(:dir(rtl)) .new-messages,
    .base[dir='rtl'] .new-messages {
      transform: translateX(50%);
    }
    .composer {
      display: grid;
      grid-template-columns: 1fr auto;
      grid-template-areas: 'input send' 'counter counter';
      gap: var(--_space-xs) var(--_space-s);
      padding: var(--_space-s) var(--_space-m) var(--_space-m);
      border-block-start: 1px solid var(--_surface-2);
    }
    textarea {
      grid-area: input;
      resize: none;
      min-block-size: 44px;
      max-block-size: 8em;
      field-sizing: content;
      padding: var(--_space-s);
      border: 1px solid var(--_border);
      border-radius: var(--_radius-m);
      background: var(--_bg);
    }
    .send {
      grid-area: send;
      align-self: end;
      display: inline-flex;
      align-items: center;
      gap: var(--_space-xs);
    }
    .counter {
      grid-area: counter;
      font-size: var(--_font-size-s);
      color: var(--_muted);
    }
    .counter.low {
      color: var(--_danger);
      font-weight: 600;
    }
    .offline {
      grid-column: 1 / -1;
      margin: 0;
      font-size: var(--_font-size-s);
      color: var(--_muted);
    }
    @media (forced-colors: active) {
      .message {
        border-color: CanvasText;
      }
    }
  `,
];
