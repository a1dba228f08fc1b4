/**
 * chat-append: what one more chat message costs `<consult-chat>` when the log already holds 1,000 or
 * 2,000 messages, against the same cost at the 10th message, in Chromium.
 *
 * - Page: `components/index.ts` + `src/testing/index.ts` bundled by esbuild. A `FakeSession`
 *   (connected, one remote participant) drives a visible `<consult-chat>` 480 px high.
 * - One append, timed: the clock starts inside a `requestAnimationFrame` callback; `simulateMessage()`,
 *   then `updateComplete` until no update is pending (the visible chat marks the message read, which
 *   is a second update), then the first task after that frame, i.e. after its style, layout and paint.
 *   Starting inside the frame keeps the wait for vsync out of the figure; the time up to the settled
 *   update alone (script + the layout forced by scroll-to-bottom) is in the notes.
 * - Each repetition builds a fresh element whose session already holds size − 3 messages, lets it
 *   render, appends two messages untimed, then times the append of message number `size`. Sizes 10,
 *   1,000 and 2,000, in rotating order, BENCH_CHAT_REPETITIONS (default 21) each, after one untimed round.
 * - Rows: `chat-append/1000` and `chat-append/2000`, each the median against the median at 10.
 */
import type { Browser } from 'playwright-core';
import { bundlePage, launchChromium, servePage } from './lib/browser.js';
import type { PageServer } from './lib/browser.js';
import { check, commandFor, log, max, median, min, report, round } from './lib/report.js';

const ID = 'chat-append';
const SIZES = [10, 1_000, 2_000] as const;
const BASE_SIZE = 10;
const REPETITIONS = Number(process.env['BENCH_CHAT_REPETITIONS'] ?? 21);
const DEADLINE_MS = 120_000;

interface AppendTiming {
  /** simulateMessage → updates settled (script, Lit render, forced layout). */
  updateMs: number;
  /** simulateMessage → first task after the frame it landed in (adds style, layout, paint). */
  frameMs: number;
  /** `[part~=message]` elements in the log after the append (sanity). */
  rendered: number;
  /** Unread count after the append (the visible chat marks messages read). */
  unread: number;
}

const PAGE_ENTRY = `
import './components/index.ts';
import { FakeSession } from './src/testing/index.ts';

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
const afterFrame = () =>
  new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
async function settle(el) {
  for (let i = 0; i < 20; i++) if (await el.updateComplete) return;
  throw new Error('consult-chat kept updating');
}
const text = (i) => 'Message ' + i + ': the lab results came back and everything looks as expected, see you next week.';

globalThis.bench = {
  async append(size) {
    const session = new FakeSession();
    session.simulateConnection('connected', 'media-connected');
    session.simulateParticipantJoined({ id: 'p2', displayName: 'Dr. Chen', role: 'provider' });
    for (let i = 1; i <= size - 3; i++) session.simulateMessage({ text: text(i) });
    const el = document.createElement('consult-chat');
    el.style.height = '480px';
    el.style.display = 'block';
    el.session = session;
    document.body.append(el);
    try {
      await settle(el);
      await nextFrame();
      await afterFrame();
      for (let i = size - 2; i < size; i++) {
        session.simulateMessage({ text: text(i) });
        await settle(el);
        await nextFrame();
        await afterFrame();
      }
      return await new Promise((resolve, reject) => {
        requestAnimationFrame(async () => {
          try {
            const t0 = performance.now();
            session.simulateMessage({ text: text(size) });
            await settle(el);
            const updateMs = performance.now() - t0;
            await afterFrame();
            const frameMs = performance.now() - t0;
            resolve({
              updateMs,
              frameMs,
              rendered: el.shadowRoot.querySelectorAll('[part~="message"]').length,
              unread: session.state.chat.unread,
            });
          } catch (error) {
            reject(error);
          }
        });
      });
    } finally {
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
  const runs = new Map<number, AppendTiming[]>(SIZES.map((s) => [s, []]));
  try {
    web = await servePage(js);
    browser = await launchChromium();
    const page = await (
      await browser.newContext({ viewport: { width: 800, height: 600 } })
    ).newPage();
    page.on('pageerror', (error) => log(`${ID}: page error: ${error.message}`));
    await page.goto(web.url);
    await page.waitForFunction(() => 'bench' in globalThis);
    type Bench = { bench: { append(size: number): Promise<AppendTiming> } };
    const append = (size: number): Promise<AppendTiming> =>
      page.evaluate((s) => (globalThis as unknown as Bench).bench.append(s), size);

    for (const size of SIZES) await append(size); // warm-up, untimed
    for (let i = 0; i < REPETITIONS; i++) {
      const order = SIZES.map((_, k) => SIZES[(k + i) % SIZES.length] as number);
      for (const size of order) {
        const t = await append(size);
        check(t.rendered === size, `expected ${size} rendered messages, found ${t.rendered}`);
        check(t.unread === 0, `the visible chat left ${t.unread} unread`);
        runs.get(size)?.push(t);
      }
      log(
        `${ID}: #${i + 1} ` +
          SIZES.map((s) => {
            const last = runs.get(s)?.at(-1);
            return `${s}: ${last?.frameMs.toFixed(1)} ms (update ${last?.updateMs.toFixed(1)})`;
          }).join(', '),
      );
    }
  } finally {
    await browser?.close();
    await web?.close();
  }

  const stats = (size: number): { frame: number[]; update: number[] } => {
    const list = runs.get(size) ?? [];
    return { frame: list.map((t) => t.frameMs), update: list.map((t) => t.updateMs) };
  };
  const base = stats(BASE_SIZE);
  const baseFrame = median(base.frame);
  const baseUpdate = median(base.update);
  const spread = (values: number[]): string =>
    `median ${median(values).toFixed(2)}, min–max ${min(values).toFixed(2)}–${max(values).toFixed(2)} ms`;
  for (const size of SIZES.filter((s) => s !== BASE_SIZE)) {
    const s = stats(size);
    const figure = median(s.frame);
    report({
      id: `${ID}/${size}`,
      title: `<consult-chat>: one append-and-render at message ${size.toLocaleString('en')} (FakeSession, Chromium)`,
      figure: round(figure),
      unit: 'ms (median)',
      baseline: round(baseFrame),
      baselineUnit: 'ms (median)',
      baselineLabel: `the same append at message ${BASE_SIZE}`,
      ratio: round(figure / baseFrame),
      lowerIsBetter: true,
      command: commandFor(ID),
      notes:
        `${REPETITIONS} repetitions per size, sizes in rotating order, fresh element each, after 1 untimed round; ` +
        `simulate → frame rendered: at ${size} ${spread(s.frame)}, at ${BASE_SIZE} ${spread(base.frame)}; ` +
        `simulate → update settled (script + forced layout, no paint): at ${size} ${spread(s.update)}, ` +
        `at ${BASE_SIZE} ${spread(base.update)} (ratio ${(median(s.update) / baseUpdate).toFixed(1)}); ` +
        `checked: ${size} message parts rendered, unread back to 0; 800x600 viewport, chat 480 px high, --disable-gpu`,
      reading:
        '1 = appending costs the same whatever the history length (the goal); N = one message costs N times more in a long chat. The figure is script (simulateMessage, two Lit updates because the visible chat marks it read), style, layout and paint of that frame, measured from inside the frame so vsync waits are excluded. A frame budget is 16.7 ms: above that, each incoming message drops frames.',
    });
  }
  clearTimeout(deadline);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`${ID}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
