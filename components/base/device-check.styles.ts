import { css } from 'lit';

/**
 * What the device checks of `<consult-prejoin>` and `<consult-precheck>` share: the tile tokens, the
 * mirrored camera preview and its placeholder, the microphone meter and the row of actions. Each
 * element adds its own spacing and colours after these.
 */
export const deviceCheckStyles = css`
  .base {
    --_tile-bg: var(--consult-room-tile-background, light-dark(#d5dbe3, #2a2e35));
    --_tile-radius: var(--consult-room-tile-radius, var(--_radius-l));
    color: var(--_text);
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
  }
  .meter-label {
    display: grid;
    gap: var(--_space-xs);
  }
  meter {
    inline-size: 100%;
    block-size: 0.75rem;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space-s);
  }
`;
