import { assert, fixture, html } from '@open-wc/testing';
import '../consult-tile.js';
import type { ConsultTile } from './consult-tile.component.js';
import { FakeSession } from '../../src/testing/index.js';
import { createStream } from '../test-utils/fake-streams.js';

/** Counts the tile's renders from now on. */
function countRenders(el: ConsultTile): { count: number } {
  const counter = { count: 0 };
  const render = el.render.bind(el);
  el.render = () => {
    counter.count++;
    return render();
  };
  return counter;
}

async function settle(el: ConsultTile): Promise<void> {
  await el.updateComplete;
  await new Promise((resolve) => requestAnimationFrame(resolve));
}

describe('<consult-tile>', () => {
  it('should show one participant with parts and an accessible name on its host', async () => {
    const session = new FakeSession({}, { createStream });
    session.simulateConnection('connected');
    session.simulateParticipantJoined({ id: 'dr', displayName: 'Dr. Chen', audioEnabled: false });
    const el = await fixture<ConsultTile>(
      html`<consult-tile .session=${session} participant-id="dr"></consult-tile>`,
    );
    assert.includeMembers(el.getAttribute('part')!.split(' '), ['tile', 'muted']);
    assert.strictEqual(el.getAttribute('role'), 'group');
    assert.strictEqual(el.getAttribute('aria-label'), 'Dr. Chen, microphone off');
    assert.strictEqual(el.dataset['id'], 'dr');
    assert.strictEqual(el.shadowRoot!.querySelector('[part="name"]')!.textContent, 'Dr. Chen');
  });

  it('should re-render for its participant only, and not for quality figures or chat', async () => {
    const session = new FakeSession({}, { createStream });
    session.simulateConnection('connected');
    session.simulateParticipantJoined({
      id: 'dr',
      displayName: 'Dr. Chen',
      quality: { level: 'good' },
    });
    session.simulateParticipantJoined({ id: 'p2', displayName: 'Pat' });
    const el = await fixture<ConsultTile>(
      html`<consult-tile .session=${session} participant-id="dr"></consult-tile>`,
    );
    const renders = countRenders(el);
    session.simulateQuality('dr', { level: 'good', roundTripMs: 80, packetLoss: 0.01 });
    session.simulateMessage({ text: 'hello' });
    session.simulateSpeaking('p2', true);
    await settle(el);
    assert.strictEqual(renders.count, 0, 'same level, a message, someone else speaking');
    session.simulateQuality('dr', 'poor');
    await settle(el);
    assert.strictEqual(renders.count, 1);
    assert.include(el.shadowRoot!.querySelector('[part~="quality"]')!.getAttribute('part'), 'poor');
  });
});
