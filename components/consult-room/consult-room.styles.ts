import { css } from 'lit';
import { tokens } from '../base/tokens.styles.js';
import { callStyles } from './views/call.js';
import { chartingPageStyles } from './views/charting.js';
import { controlsStyles } from './views/controls.js';
import { dialogsStyles } from './views/dialogs.js';
import { lobbyStyles } from './views/lobby.js';
import { muteRequestStyles } from './views/mute-request.js';
import { sharedStyles } from './views/shared.js';
import { tileMenuStyles } from './views/tile-menu.js';

export const styles = [
  tokens,
  sharedStyles,
  tileMenuStyles,
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
    consult-prejoin {
      flex: 1;
      min-block-size: 0;
      overflow: auto;
    }
  `,
  callStyles,
  lobbyStyles,
  controlsStyles,
  dialogsStyles,
  muteRequestStyles,
  chartingPageStyles,
];
