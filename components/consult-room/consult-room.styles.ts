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
      --_room-bg: var(--consult-room-background, light-dark(#eef1f5, #0f1114));
      --_tile-bg: var(--consult-room-tile-background, light-dark(#d5dbe3, #2a2e35));
      --_tile-radius: var(--consult-room-tile-radius, var(--_radius-l));
      --_speaking: var(--consult-room-speaking-color, var(--_success));
      --_pip: var(--consult-room-pip-size, clamp(7rem, 24%, 14rem));
      --_chat-w: var(--consult-room-chat-width, 22rem);
      display: flex;
      flex-direction: column;
      block-size: var(--consult-room-height, 36rem);
      background: var(--_room-bg);
      border-radius: var(--_radius-l);
      overflow: hidden;
      position: relative;
    }
    .screen {
      flex: 1;
      overflow: auto;
      padding: var(--_space-l);
    }
    .centered {
      display: flex;
      flex-direction: column;
      align-items: center;
      justify-content: center;
      gap: var(--_space-m);
      text-align: center;
    }
    .title {
      margin: 0;
      font-size: 1.35em;
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
    .preview {
      inline-size: 100%;
      aspect-ratio: 16 / 9;
      border-radius: var(--_tile-radius);
      background: var(--_tile-bg);
      object-fit: cover;
      transform: scaleX(-1);
    }
    .preview-off {
      transform: none;
      display: flex;
      flex-direction: column;
      align-items: center;
      justify-content: center;
      gap: var(--_space-s);
      color: var(--_muted);
    }
    .meter-label {
      display: grid;
      gap: var(--_space-xs);
      font-size: var(--_font-size-s);
    }
    meter {
      inline-size: 100%;
      block-size: 0.75rem;
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
    .pickers {
      display: grid;
      gap: var(--_space-s);
    }
    .field {
      display: grid;
      gap: var(--_space-xs);
      font-weight: 600;
    }
    .field select,
    .field input {
      min-block-size: 44px;
      padding-inline: var(--_space-s);
      border: 1px solid var(--_border);
      border-radius: var(--_radius-m);
      background: var(--_bg);
      font-weight: 400;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: var(--_space-s);
    }
    .error {
      display: flex;
      gap: var(--_space-s);
      align-items: flex-start;
      padding: var(--_space-s) var(--_space-m);
      border-radius: var(--_radius-m);
      border-inline-start: 4px solid var(--_danger);
      background: var(--_bg);
      text-align: start;
    }
    .spinner {
      inline-size: 2.5rem;
      block-size: 2.5rem;
      border-radius: 50%;
      border: 4px solid var(--_surface-2);
      border-block-start-color: var(--_accent);
      animation: spin 1s linear infinite;
    }
    .spinner.small {
      inline-size: 1.25rem;
      block-size: 1.25rem;
      border-width: 3px;
    }
    @keyframes spin {
      to {
        transform: rotate(1turn);
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .spinner {
        animation: none;
        border-block-start-color: var(--_surface-2);
        border-inline-start-color: var(--_accent);
      }
    }

    /* In call */
    .call {
      flex: 1;
      min-block-size: 0;
      display: grid;
      grid-template-columns: 1fr;
    }
    .call.with-chat {
      grid-template-columns: 1fr min(var(--_chat-w), 45%);
    }
    .main {
      min-inline-size: 0;
      min-block-size: 0;
      display: flex;
      flex-direction: column;
      gap: var(--_space-s);
      padding: var(--_space-s);
    }
    .topbar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: var(--_space-m);
      min-block-size: 1.75rem;
    }
    .timer {
      display: inline-flex;
      align-items: center;
      gap: var(--_space-xs);
      font-variant-numeric: tabular-nums;
    }
    .recording-indicator {
      display: inline-flex;
      align-items: center;
      gap: var(--_space-xs);
      padding: 2px var(--_space-s);
      border-radius: 999px;
      background: var(--_danger);
      color: var(--_on-danger);
      font-weight: 600;
    }
    .dot {
      inline-size: 0.6rem;
      block-size: 0.6rem;
      border-radius: 50%;
      background: currentColor;
    }
    .awaiting {
      color: var(--_muted);
      font-size: var(--_font-size-s);
    }
    .banner {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: var(--_space-s);
      padding: var(--_space-s) var(--_space-m);
      border-radius: var(--_radius-m);
      background: var(--_bg);
      border-inline-start: 4px solid var(--_accent);
    }
    .banner.warning {
      border-inline-start-color: var(--_warning);
    }
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
    .stage {
      flex: 1;
      min-block-size: 0;
      position: relative;
      display: grid;
      gap: var(--_space-s);
    }
    .stage[data-layout='grid'] {
      grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr));
      grid-auto-rows: minmax(8rem, 1fr);
      overflow: auto;
    }
    .tile {
      position: relative;
      margin: 0;
      min-block-size: 0;
      overflow: hidden;
      border-radius: var(--_tile-radius);
      background: var(--_tile-bg);
      outline: 0 solid transparent;
      transition: outline-width var(--_transition);
    }
    .tile.speaking {
      outline: 4px solid var(--_speaking);
      outline-offset: -4px;
    }
    .stage[data-layout='pip'] .tile.small {
      position: absolute;
      inset-block-end: var(--_space-s);
      inset-inline-end: var(--_space-s);
      inline-size: var(--_pip);
      aspect-ratio: 4 / 3;
      z-index: 1;
      box-shadow: 0 2px 10px rgb(0 0 0 / 0.35);
    }
    .video {
      inline-size: 100%;
      block-size: 100%;
      object-fit: cover;
      display: block;
    }
    [part~='local'] .video {
      transform: scaleX(-1);
    }
    [part~='screen'] .video {
      object-fit: contain;
      transform: none;
    }
    .hidden-video {
      position: absolute;
      opacity: 0;
      pointer-events: none;
    }
    .avatar {
      position: absolute;
      inset: 0;
      margin: auto;
      inline-size: 4.5rem;
      block-size: 4.5rem;
      display: grid;
      place-items: center;
      border-radius: 50%;
      background: var(--_surface-2);
      font-size: 1.5rem;
      font-weight: 700;
    }
    .caption {
      position: absolute;
      inset-inline: var(--_space-xs);
      inset-block-end: var(--_space-xs);
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: var(--_space-xs);
      font-size: var(--_font-size-s);
    }
    .caption > span {
      display: inline-flex;
      align-items: center;
      gap: 2px;
      padding: 1px var(--_space-s);
      border-radius: 999px;
      background: rgb(0 0 0 / 0.72);
      color: #fff;
    }
    .tile.small .quality-text {
      position: absolute;
      inline-size: 1px;
      block-size: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
    }
    .alone {
      position: absolute;
      inset-block-start: var(--_space-m);
      inset-inline: 0;
      margin: auto;
      inline-size: fit-content;
      padding: var(--_space-xs) var(--_space-m);
      border-radius: 999px;
      background: var(--_bg);
    }
    .controls {
      display: flex;
      flex-wrap: wrap;
      justify-content: center;
      gap: var(--_space-s);
    }
    .control {
      position: relative;
      display: inline-flex;
      flex-direction: column;
      align-items: center;
      gap: 2px;
      min-inline-size: 4.5rem;
      font-size: var(--_font-size-s);
    }
    .control[aria-pressed='false'] {
      background: var(--_bg);
      border-style: dashed;
    }
    .control.pressed {
      background: var(--_accent);
      color: var(--_on-accent);
      border-color: transparent;
    }
    [part~='leave-button'] {
      background: var(--_danger);
      color: var(--_on-danger);
      border-color: transparent;
    }
    .badge {
      position: absolute;
      inset-block-start: -6px;
      inset-inline-end: -6px;
      min-inline-size: 1.4rem;
      padding-inline: 4px;
      border-radius: 999px;
      background: var(--_danger);
      color: var(--_on-danger);
      font-weight: 700;
      line-height: 1.4rem;
    }
    .chat-panel {
      min-block-size: 0;
      border-inline-start: 1px solid var(--_surface-2);
    }
    .chat-panel consult-chat {
      block-size: 100%;
      --consult-chat-radius: 0;
    }
    .chat-header {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: var(--_space-s);
    }
    .chat-title {
      margin: 0;
      font-size: 1.05em;
    }
    .icon-button {
      padding: 0;
    }
    .dialog {
      max-inline-size: min(32rem, 92vw);
      padding: var(--_space-l);
      border: 1px solid var(--_border);
      border-radius: var(--_radius-l);
      background: var(--_bg);
      color: var(--_text);
    }
    .dialog::backdrop {
      background: rgb(0 0 0 / 0.5);
    }
    .dialog h2 {
      margin: 0 0 var(--_space-s);
      font-size: 1.2em;
    }
    .dialog-actions {
      display: flex;
      flex-wrap: wrap;
      justify-content: flex-end;
      gap: var(--_space-s);
      margin-block-start: var(--_space-m);
    }
    @media (max-width: 40rem) {
      .call.with-chat {
        grid-template-columns: 1fr;
      }
      .call.with-chat .main {
        display: none;
      }
      .control .label {
        font-size: 0.75rem;
      }
    }
    @media (forced-colors: active) {
      .tile.speaking {
        outline-color: Highlight;
      }
      .control.pressed {
        border: 2px solid ButtonText;
      }
    }
  `,
];
