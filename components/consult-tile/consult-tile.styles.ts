import { css } from 'lit';
import { tokens } from '../base/tokens.styles.js';

export const styles = [
  tokens,
  css`
    :host {
      display: block;
      position: relative;
      overflow: hidden;
      min-block-size: 0;
    }
    .base {
      --_tile-bg: var(--consult-room-tile-background, light-dark(#d5dbe3, #2a2e35));
      position: absolute;
      inset: 0;
    }
    slot[name='actions'] {
      position: absolute;
      inset-block-start: var(--_space-s, 0.5rem);
      inset-inline-end: var(--_space-s, 0.5rem);
    }
    .video {
      inline-size: 100%;
      block-size: 100%;
      object-fit: cover;
      display: block;
    }
    :host([part~='local']) .video {
      transform: scaleX(-1);
    }
    :host([part~='screen']) .video {
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
      color: var(--_text);
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
    :host(.small) .quality-text {
      position: absolute;
      inline-size: 1px;
      block-size: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
    }
  `,
];
