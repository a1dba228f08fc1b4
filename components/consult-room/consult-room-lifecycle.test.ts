import { assert, fixture, html, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../consult-room.js';
import type { ConsultRoom } from './consult-room.component.js';
import { FakeSession } from '../../src/testing/index.js';
import { ConsultError, type SessionState } from '../../src/index.js';
import { expectNoAxeViolations } from '../test-utils/axe.js';
import { createStream } from '../test-utils/fake-streams.js';
import { deepQuery } from '../test-utils/deep-query.js';

function fake(state: Partial<SessionState> = {}): FakeSession {
  return new FakeSession(state, { createStream });
}

function inCall(role: 'provider' | 'patient'): FakeSession {
  const session = fake({ role });
  session.simulateConnection('connected');
  session.simulateParticipantJoined(
    role === 'provider'
      ? { id: 'con-pat', userId: 'u-pat', displayName: 'Pat Doe', role: 'patient' }
      : { id: 'con-dr', userId: 'u-dr', displayName: 'Dr. Chen', role: 'provider' },
  );
  return session;
}

async function mount(session: FakeSession, lang = 'en'): Promise<ConsultRoom> {
  const el = await fixture<ConsultRoom>(
    html`<consult-room
      .session=${session}
      lang=${lang}
      style="--consult-room-height: 600px; width: 900px"
    ></consult-room>`,
  );
  await el.updateComplete;
  return el;
}

const $ = <T extends HTMLElement = HTMLElement>(el: ConsultRoom, selector: string): T | null =>
  deepQuery<T>(el.shadowRoot!, selector);
const text = (node: Element | null | undefined): string =>
  (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
const active = (el: ConsultRoom): Element | null => el.shadowRoot!.activeElement;

describe('<consult-room> removing a participant', () => {
  it('should give providers a keyboard-accessible tile menu that removes after confirmation', async () => {
    const session = inCall('provider');
    const el = await mount(session);
    const button = $<HTMLButtonElement>(el, '[part~="tile-menu-button"]')!;
    assert.ok(button, 'menu button on the remote tile');
    assert.strictEqual(button.getAttribute('aria-label'), 'More options for Pat Doe');
    assert.strictEqual(button.getAttribute('aria-haspopup'), 'menu');
    assert.strictEqual(button.getAttribute('aria-expanded'), 'false');

    button.focus();
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => $(el, '[part~="tile-menu"]') !== null, 'Enter opens the menu');
    assert.strictEqual(button.getAttribute('aria-expanded'), 'true');
    const item = $<HTMLButtonElement>(el, '[part~="remove-participant-button"]')!;
    assert.strictEqual(item.getAttribute('role'), 'menuitem');
    assert.strictEqual(text(item), 'Remove from consultation');
    await waitUntil(() => active(el) === item, 'focus moves to the menu item');
    await expectNoAxeViolations(el);
    await sendKeys({ press: 'Escape' });
    await waitUntil(() => $(el, '[part~="tile-menu"]') === null, 'Escape closes the menu');
    await waitUntil(() => active(el) === button, 'focus returns to the menu button');

    await sendKeys({ press: 'Enter' });
    await waitUntil(() => $(el, '[part~="remove-participant-button"]') !== null);
    $<HTMLButtonElement>(el, '[part~="remove-participant-button"]')!.click();
    const dialog = $<HTMLDialogElement>(el, 'dialog[part~="remove-dialog"]')!;
    await waitUntil(() => dialog.open, 'confirmation first');
    assert.include(text(dialog), 'Remove Pat Doe from the consultation?');
    assert.strictEqual(session.callsOf('removeParticipant').length, 0, 'nothing removed yet');
    await expectNoAxeViolations(el);
    ($(el, '[part~="remove-cancel-button"]') as HTMLButtonElement).click();
    await waitUntil(() => !dialog.open);
    assert.strictEqual(session.callsOf('removeParticipant').length, 0, 'cancel keeps them');

    button.click();
    await waitUntil(() => $(el, '[part~="remove-participant-button"]') !== null);
    $<HTMLButtonElement>(el, '[part~="remove-participant-button"]')!.click();
    await waitUntil(() => dialog.open);
    ($(el, '[part~="remove-confirm-button"]') as HTMLButtonElement).click();
    await waitUntil(() => session.callsOf('removeParticipant').length === 1);
    assert.deepEqual(session.callsOf('removeParticipant')[0]!.args, ['u-pat']);
  });

  it('should show no tile menu to patients', async () => {
    const el = await mount(inCall('patient'));
    assert.isNull($(el, '[part~="tile-menu-button"]'));
  });

  it('should translate the tile menu', async () => {
    const el = await mount(inCall('provider'), 'de');
    await waitUntil(
      () =>
        $(el, '[part~="tile-menu-button"]')?.getAttribute('aria-label') ===
        'Weitere Optionen für Pat Doe',
      'German label',
    );
  });

  it('should tell a removed participant why the call ended', async () => {
    const session = inCall('patient');
    const el = await mount(session);
    session.simulateConnection('disconnected', 'evicted');
    await el.updateComplete;
    assert.include(text($(el, '[part="ended"]')), 'You were removed from the consultation');
    await expectNoAxeViolations(el);
  });

  it('should say the consultation has ended when joining after the end', async () => {
    const session = fake();
    const el = await mount(session);
    session.simulateError(new ConsultError('consult-ended', 'ended', { recoverable: false }));
    session.simulateConnection('failed', 'error');
    await el.updateComplete;
    assert.include(text($(el, '[part="ended"]')), 'This consultation has ended.');
  });
});

describe('<consult-room> joining while a recording runs', () => {
  const recording = (patch: Partial<SessionState['recording']>): Partial<SessionState> => ({
    recording: {
      status: 'recording',
      consent: { requested: true, entries: [] },
      consentPending: false,
      downloadable: false,
      ...patch,
    },
  });

  it('should tell people in the waiting room that the consultation is being recorded', async () => {
    const session = fake({ role: 'patient' });
    session.simulateWaiting();
    const el = await mount(session);
    session.simulateState(recording({}));
    await el.updateComplete;
    assert.include(text($(el, '[part="recording-notice"]')), 'This consultation is being recorded');
    await expectNoAxeViolations(el);
  });

  it('should ask for consent before anything is published, on the joining screen', async () => {
    const session = fake({ role: 'patient' });
    session.simulateConnection('connecting', 'admitted');
    const el = await mount(session);
    session.simulateState(recording({ consentPending: true }));
    await el.updateComplete;
    const screen = $(el, '[part="connecting"]')!;
    assert.include(text(screen), 'This consultation is being recorded');
    await expectNoAxeViolations(el);
    ($(el, '[part~="consent-accept-button"]') as HTMLButtonElement).click();
    await waitUntil(() => session.callsOf('setRecordingConsent').length === 1);
    assert.deepEqual(session.callsOf('setRecordingConsent')[0]!.args, [true]);
  });

  it('should show everyone why the recording stopped', async () => {
    const session = inCall('provider');
    const el = await mount(session);
    session.simulateState(recording({ status: 'processing', reason: 'consent-declined' }));
    await el.updateComplete;
    assert.include(
      text($(el, '[part~="recording-stopped"]')),
      'Recording stopped: a participant did not agree.',
    );
  });
});
