/**
 * room-rerender: how many renders of `<consult-room>` (whose template holds the control bar) and of
 * its `<consult-tile>`s a stream of chat messages and connection-quality samples causes, with the
 * room's selective subscriptions, against the same room made to re-render on every snapshot.
 *
 * - Page: `components/index.ts` + `src/testing/index.ts` bundled by esbuild. A `FakeSession` in a
 *   four-person call (the local user and three others) drives a `<consult-room>` 900x600 with its
 *   chat panel open (the panel reads the messages, so the unread badge stays at 0).
 * - Renders are counted by wrapping `render()` of the room and of each tile instance.
 * - The stream: EVENTS events, alternating a chat message from someone else and a quality sample of
 *   one remote participant whose figures change (round trip, loss); every 5th sample also changes
 *   the level (good ↔ fair), which the tile must show. After each event the room and tiles settle.
 * - Baseline, same run, same page, same stream: a fresh room and session where the room and every
 *   tile also call `requestUpdate()` on every snapshot (`session.subscribe`), i.e. an unselective
 *   subscription as the room had before it was split (one `SessionController` without a selector
 *   re-rendering the whole room, tiles and controls included).
 * - Rows: `room-rerender/renders` (renders per event, selective vs unselective) and
 *   `room-rerender/time` (median ms from the event to settled updates, selective vs unselective).
 */
import type { Browser } from 'playwright-core';
import { bundlePage, launchChromium, servePage } from './lib/browser.js';
import type { PageServer } from './lib/browser.js';
import { check, commandFor, log, median, report, round } from './lib/report.js';

const ID = 'room-rerender';
const EVENTS = Number(process.env['BENCH_RERENDER_EVENTS'] ?? 200);
const DEADLINE_MS = 120_000;

interface RunResult {
  events: number;
  roomRenders: number;
  tileRenders: number;
  tiles: number;
  levelChanges: number;
  /** ms from each event to settled updates. */
  times: number[];
  /** Messages in the chat log at the end (sanity). */
  messages: number;
}

const PAGE_ENTRY = `
import './components/index.ts';
import { FakeSession } from './src/testing/index.ts';

async function settle(el) {
  for (let i = 0; i < 20; i++) {
    const done = await el.updateComplete;
    const tiles = [...el.shadowRoot.querySelectorAll('consult-tile')];
    const all = await Promise.all(tiles.map((t) => t.updateComplete));
    if (done && all.every(Boolean)) return;
  }
  throw new Error('consult-room kept updating');
}
function countRenders(target, counter, key) {
  const render = target.render.bind(target);
  target.render = () => {
    counter[key]++;
    return render();
  };
}

globalThis.bench = {
  async run(events, unselective) {
    const session = new FakeSession({ role: 'patient', callStartedAt: undefined });
    session.simulateConnection('connected', 'media-connected');
    for (const [id, name] of [['dr', 'Dr. Chen'], ['p2', 'Pat Doe'], ['p3', 'Sam Rivera']]) {
      session.simulateParticipantJoined({ id, displayName: name, quality: { level: 'good' } });
    }
    const el = document.createElement('consult-room');
    el.style.cssText = 'display:block;width:900px;--consult-room-height:600px';
    el.session = session;
    document.body.append(el);
    const unsubscribes = [];
    try {
      await settle(el);
      el.shadowRoot.querySelector('[part~="chat-button"]').click();
      await settle(el);
      const tiles = [...el.shadowRoot.querySelectorAll('consult-tile')];
      if (unselective) {
        for (const target of [el, ...tiles]) {
          unsubscribes.push(session.subscribe(() => target.requestUpdate()));
        }
      }
      const counter = { room: 0, tiles: 0 };
      countRenders(el, counter, 'room');
      for (const tile of tiles) countRenders(tile, counter, 'tiles');
      const times = [];
      let sample = 0;
      let levelChanges = 0;
      for (let i = 0; i < events; i++) {
        const t0 = performance.now();
        if (i % 2 === 0) {
          session.simulateMessage({ senderId: 'dr', text: 'Message ' + i });
        } else {
          sample++;
          const changeLevel = sample % 5 === 0;
          if (changeLevel) levelChanges++;
          const level = levelChanges % 2 === 1 ? 'fair' : 'good';
          session.simulateQuality('p2', { level, roundTripMs: 40 + (i % 50), packetLoss: (i % 7) / 100 });
        }
        await settle(el);
        times.push(performance.now() - t0);
      }
      const chat = el.shadowRoot.querySelector('consult-chat');
      return {
        events,
        roomRenders: counter.room,
        tileRenders: counter.tiles,
        tiles: tiles.length,
        levelChanges,
        times,
        messages: chat.shadowRoot.querySelectorAll('[part~="message"]').length,
      };
    } finally {
      for (const unsubscribe of unsubscribes) unsubscribe();
      el.remove();
    }
  },
};
`;

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log(`${ID}: exceeded ${DEADLINE_MS / 1000} s, aborting`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();

  const js = await bundlePage(PAGE_ENTRY);
  let web: PageServer | undefined;
  let browser: Browser | undefined;
  let selective: RunResult;
  let unselective: RunResult;
  try {
    web = await servePage(js);
    browser = await launchChromium();
    const page = await (
      await browser.newContext({ viewport: { width: 1000, height: 700 } })
    ).newPage();
    page.on('pageerror', (error) => log(`${ID}: page error: ${error.message}`));
    await page.goto(web.url);
    await page.waitForFunction(() => 'bench' in globalThis);
    type Bench = { bench: { run(events: number, unselective: boolean): Promise<RunResult> } };
    const run = (events: number, all: boolean): Promise<RunResult> =>
      page.evaluate(([n, u]) => (globalThis as unknown as Bench).bench.run(n, u), [
        events,
        all,
      ] as const);
    await run(20, false); // warm-up, untimed
    await run(20, true);
    selective = await run(EVENTS, false);
    unselective = await run(EVENTS, true);
  } finally {
    await browser?.close();
    await web?.close();
  }

  for (const r of [selective, unselective]) {
    check(r.tiles === 4, `expected 4 tiles, found ${r.tiles}`);
    check(
      r.messages >= EVENTS / 2,
      `expected ${EVENTS / 2} messages in the log, found ${r.messages}`,
    );
  }
  check(
    unselective.roomRenders >= EVENTS,
    `the baseline should re-render the room on every event (${unselective.roomRenders})`,
  );
  const perEvent = (r: RunResult): number => (r.roomRenders + r.tileRenders) / r.events;
  const describe = (r: RunResult): string =>
    `${r.roomRenders} room (controls) + ${r.tileRenders} tile renders for ${r.events} events`;
  log(`${ID}: selective ${describe(selective)}; unselective ${describe(unselective)}`);
  const notes =
    `${EVENTS} events (${EVENTS / 2} chat messages with the panel open, ${EVENTS / 2} quality samples of one of 4 tiles, ` +
    `${selective.levelChanges} of them changing its level); selective: ${describe(selective)}; ` +
    `unselective: ${describe(unselective)}; 1 warm-up round each; FakeSession, Chromium, --disable-gpu`;
  report({
    id: `${ID}/renders`,
    title:
      '<consult-room>: renders of the room (controls) and tiles per chat message or quality sample',
    figure: round(perEvent(selective)),
    unit: 'renders per event',
    baseline: round(perEvent(unselective)),
    baselineUnit: 'renders per event',
    baselineLabel: 'the same room re-rendering on every snapshot (no selector)',
    ratio: round(perEvent(selective) / perEvent(unselective)),
    lowerIsBetter: true,
    command: commandFor(ID),
    notes,
    reading:
      'The only renders left should be the tile whose quality level changed; 0 = nothing re-renders. The baseline renders the room, its controls and all 4 tiles on every event.',
  });
  const time = median(selective.times);
  const baseTime = median(unselective.times);
  report({
    id: `${ID}/time`,
    title: '<consult-room>: one chat message or quality sample, event to settled updates',
    figure: round(time),
    unit: 'ms (median)',
    baseline: round(baseTime),
    baselineUnit: 'ms (median)',
    baselineLabel: 'the same room re-rendering on every snapshot (no selector)',
    ratio: round(time / baseTime),
    lowerIsBetter: true,
    command: commandFor(ID),
    notes: `${notes}; script and Lit updates only (no paint waited for)`,
  });
  clearTimeout(deadline);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`${ID}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
