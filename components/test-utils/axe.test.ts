import { assert, fixture, html } from '@open-wc/testing';
import { expectNoAxeViolations } from './axe.js';

describe('expectNoAxeViolations', () => {
  it('should reject when a shadow-root control has no accessible name', async () => {
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    host.attachShadow({ mode: 'open' }).innerHTML = '<button></button>';
    let message = '';
    try {
      await expectNoAxeViolations(host);
    } catch (error) {
      message = (error as Error).message;
    }
    assert.include(message, 'button-name');
  });

  it('should resolve for accessible content', async () => {
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    host.attachShadow({ mode: 'open' }).innerHTML = '<button>OK</button>';
    await expectNoAxeViolations(host);
  });
});
