// <consult-room> at phone sizes: the viewport of a 390×844 phone held upright and turned sideways
// (844×390), the room filling the width of the page as an embed on a phone would. Touch, rotation
// of a live call and a device without getDisplayMedia run end to end in Chromium's mobile
// emulation (test/e2e/mobile.e2e.test.ts).
import { assert, fixture, html, waitUntil } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import '../consult-room.js';
import type { ConsultRoom } from './consult-room.component.js';
import { FakeSession } from '../../src/testing/index.js';
import type { SessionState } from '../../src/index.js';
import { createStream } from '../test-utils/fake-streams.js';
import { deepQuery, deepQueryAll } from '../test-utils/deep-query.js';

const PHONES = [
  { name: 'portrait', width: 390, height: 844 },
  { name: 'landscape', width: 844, height: 390 },
] as const;

/** The smallest touch target (WCAG 2.5.5, Apple's and Android's guidelines), in CSS px. */
const MIN_TARGET = 44;

/** A provider in a call with a patient: every control of the bar is there (record too). */
function inCall(state: Partial<SessionState> = {}): FakeSession {
  const session = new FakeSession({ role: 'provider', ...state }, { createStream });
  session.simulateConnection('connected');
  session.simulateParticipantJoined({
    id: 'pat',
    userId: 'pat',
    displayName: 'Pat Doe',
    role: 'patient',
    quality: { level: 'good' },
  });
  return session;
}

async function mount(session: FakeSession): Promise<ConsultRoom> {
  // As an embed on a phone: full width, the height of the screen.
  const el = await fixture<ConsultRoom>(
    html`<consult-room
      .session=${session}
      style="display: block; inline-size: 100%; --consult-room-height: 100dvh"
    ></consult-room>`,
  );
  await el.updateComplete;
  return el;
}

const $ = <T extends HTMLElement = HTMLElement>(el: ConsultRoom, selector: string): T | null =>
  deepQuery<T>(el.shadowRoot!, selector);

/** Controls a finger can reach: rendered and not hidden. */
function visibleControls(el: ConsultRoom): HTMLElement[] {
  return deepQueryAll<HTMLElement>(el.shadowRoot!, 'button, select, input, textarea').filter(
    (c) => c.getClientRects().length > 0 && getComputedStyle(c).visibility !== 'hidden',
  );
}

function describeControl(c: HTMLElement): string {
  const r = c.getBoundingClientRect();
  const name = c.getAttribute('part') ?? c.getAttribute('aria-label') ?? c.textContent?.trim();
  return `${c.localName} "${name}" ${r.width.toFixed(1)}×${r.height.toFixed(1)}`;
}

/** Nodes of the room that stick out of the viewport sideways. */
function sticksOut(el: ConsultRoom): string[] {
  const width = document.documentElement.clientWidth;
  return deepQueryAll<HTMLElement>(el.shadowRoot!, '*')
    .filter((n) => n.getClientRects().length > 0)
    .filter((n) => {
      const r = n.getBoundingClientRect();
      return r.right > width + 0.5 || r.left < -0.5;
    })
    .map((n) => `${n.localName}.${n.className} [${n.getAttribute('part') ?? ''}]`);
}

describe('<consult-room> on phones', () => {
  after(async () => {
    await setViewport({ width: 800, height: 600 });
  });

  for (const phone of PHONES) {
    describe(`${phone.name} (${phone.width}×${phone.height})`, () => {
      beforeEach(async () => {
        await setViewport({ width: phone.width, height: phone.height });
        await waitUntil(() => innerWidth === phone.width, 'the viewport is resized');
      });

      it('should not scroll sideways, with the chat closed or open', async () => {
        const el = await mount(inCall());
        assert.deepEqual(sticksOut(el), []);
        assert.isAtMost(document.documentElement.scrollWidth, innerWidth);
        $(el, '[part~="chat-button"]')!.click();
        await el.updateComplete;
        assert.deepEqual(sticksOut(el), []);
        assert.isAtMost(document.documentElement.scrollWidth, innerWidth);
      });

      it('should make every control at least 44×44 CSS px', async () => {
        const el = await mount(inCall());
        const controls = visibleControls(el);
        assert.isAtLeast(controls.length, 6, 'the control bar is there');
        const small = controls.filter((c) => {
          const r = c.getBoundingClientRect();
          return r.width < MIN_TARGET - 0.5 || r.height < MIN_TARGET - 0.5;
        });
        assert.deepEqual(small.map(describeControl), []);
        // The chat's own controls too.
        $(el, '[part~="chat-button"]')!.click();
        await el.updateComplete;
        const chatSmall = visibleControls(el).filter((c) => {
          const r = c.getBoundingClientRect();
          return r.width < MIN_TARGET - 0.5 || r.height < MIN_TARGET - 0.5;
        });
        assert.deepEqual(chatSmall.map(describeControl), []);
      });

      it('should open the chat as a sheet of the room’s full height', async () => {
        const el = await mount(inCall());
        $(el, '[part~="chat-button"]')!.click();
        await el.updateComplete;
        const call = $(el, '[part~="call"]')!.getBoundingClientRect();
        const panel = $(el, '[part~="chat-panel"]')!.getBoundingClientRect();
        assert.closeTo(panel.height, call.height, 1, 'full height');
        assert.closeTo(panel.top, call.top, 1);
        if (phone.name === 'portrait') {
          // Upright, the chat covers the whole call (the controls come back when it closes).
          assert.closeTo(panel.width, call.width, 1, 'full width');
        } else {
          // Sideways, the call stays in view beside it.
          assert.isBelow(panel.width, call.width);
          assert.isTrue(
            $(el, '[part~="stage"]')!.getClientRects().length > 0,
            'the stage stays visible',
          );
        }
        assert.isTrue(
          visibleControls(el).some((c) => c.matches('textarea[part~="input"]')),
          'the message box is in view',
        );
      });

      it('should play every video inline', async () => {
        const el = await mount(inCall());
        const videos = deepQueryAll<HTMLVideoElement>(el.shadowRoot!, 'video');
        assert.isAtLeast(videos.length, 2);
        // The attribute is what iOS Safari reads; Firefox has no `playsInline` property.
        assert.isTrue(
          videos.every(
            (v) => v.hasAttribute('playsinline') && (!('playsInline' in v) || v.playsInline),
          ),
        );
      });
    });
  }

  it('should hide screen share on a device that cannot share a screen', async () => {
    await setViewport({ width: 390, height: 844 });
    const session = inCall();
    session.simulateState({ localMedia: { ...session.state.localMedia, canScreenShare: false } });
    const el = await mount(session);
    assert.isNotNull($(el, '[part~="mic-button"]'));
    assert.isNull($(el, '[part~="screen-button"]'));
  });
});
