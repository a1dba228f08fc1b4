/**
 * Charting mode of `<consult-room>`, the page side: what the page shows in place of the stage while
 * the call is in the charting window (views/charting-window.ts).
 * @packageDocumentation
 */
import { css, html, type TemplateResult } from 'lit';
import { icons } from '../../base/icons.js';
import type { Translate } from './shared.js';

/** What the page shows in place of the stage while the call is in the charting window. */
export function renderChartingPlaceholder(t: Translate, onBack: () => void): TemplateResult {
  return html`<div part="charting-placeholder" class="charting-placeholder" role="status">
    ${icons.popOut}<span>${t('charting.placeholder')}</span>
    <button part="back-to-tab-button" class="primary" type="button" @click=${onBack}>
      ${t('charting.backToTab')}
    </button>
  </div>`;
}

/** The page side: the placeholder. */
export const chartingPageStyles = css`
  .charting-placeholder {
    flex: 1;
    display: flex;
    flex-direction: column;
    align-items: center;
    justify-content: center;
    gap: var(--_space-m);
    text-align: center;
    border-radius: var(--_tile-radius);
    background: var(--_tile-bg);
  }
  .charting-placeholder > svg.icon {
    inline-size: 2.5rem;
    block-size: 2.5rem;
  }
`;
