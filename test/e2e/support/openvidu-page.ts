// Pages that run the real openvidu-browser (bundled once per run from node_modules with esbuild) and a
// typed Node-side handle on each, plus a small OpenVidu REST client. Each participant gets its own
// browser context (own cookies, storage and fake devices).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type {
  HarnessEvent,
  InboundStats,
  OvHarness,
  PublishOptions,
} from './openvidu-harness.page.js';
import { bundleForPage } from './page-bundle.js';

export type { HarnessEvent, InboundStats } from './openvidu-harness.page.js';

const harnessEntry = fileURLToPath(new URL('./openvidu-harness.page.ts', import.meta.url));

export interface HarnessSite {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  close(): Promise<void>;
}

/** Bundles openvidu-browser + the harness (IIFE) and serves it with a blank page on 127.0.0.1. */
export async function startHarnessSite(): Promise<HarnessSite> {
  const js = await bundleForPage({ entry: harnessEntry });
  const server: Server = createServer((req, res) => {
    if (req.url === '/harness.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(js);
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>ov</title>' +
          '<body><script src="/harness.js"></script></body></html>',
      );
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Win = Window & { ovHarness: OvHarness };
type EventMatch = Partial<Omit<HarnessEvent, 'seq' | 'at'>>;

/** One participant: its own context and page, driving openvidu-browser through `window.ovHarness`. */
export class OvParticipant {
  connectionId = '';
  streamId = '';
  /** Uncaught page errors and console errors/warnings, in order. */
  readonly problems: string[] = [];

  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('pageerror', (err) => this.problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        this.problems.push(`${msg.type()}: ${msg.text()}`);
      }
    });
  }

  static async open(browser: Browser, site: HarnessSite, name: string): Promise<OvParticipant> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(site.url);
    await page.waitForFunction(() => 'ovHarness' in window);
    return new OvParticipant(name, context, page);
  }

  async connect(token: string, clientData = JSON.stringify({ name: this.name })): Promise<string> {
    this.connectionId = await this.page.evaluate(
      ([t, d]) => (window as unknown as Win).ovHarness.connect(t, d),
      [token, clientData] as const,
    );
    return this.connectionId;
  }

  async publish(options: PublishOptions = {}): Promise<string> {
    this.streamId = await this.page.evaluate(
      (o) => (window as unknown as Win).ovHarness.publish(o),
      options,
    );
    return this.streamId;
  }

  publishAudio(on: boolean): Promise<void> {
    return this.page.evaluate((v) => (window as unknown as Win).ovHarness.publishAudio(v), on);
  }

  publishVideo(on: boolean): Promise<void> {
    return this.page.evaluate((v) => (window as unknown as Win).ovHarness.publishVideo(v), on);
  }

  signal(type: string, data: string, to?: OvParticipant[]): Promise<void> {
    const ids = to?.map((p) => p.connectionId);
    return this.page.evaluate(
      ([t, d, i]) => (window as unknown as Win).ovHarness.signal(t, d, i ?? undefined),
      [type, data, ids ?? null] as const,
    );
  }

  inbound(from: OvParticipant): Promise<InboundStats> {
    return this.page.evaluate(
      (id) => (window as unknown as Win).ovHarness.inbound(id),
      from.connectionId,
    );
  }

  events(): Promise<HarnessEvent[]> {
    return this.page.evaluate(() => (window as unknown as Win).ovHarness.events);
  }

  async eventsOf(type: string, match: EventMatch = {}): Promise<HarnessEvent[]> {
    return (await this.events()).filter((e) => matches(e, { ...match, type }));
  }

  /** Waits (in the page) for an event matching `match`, already recorded or future. */
  async waitForEvent(
    type: string,
    match: EventMatch = {},
    timeoutMs = 15_000,
  ): Promise<HarnessEvent> {
    const want = { ...match, type };
    try {
      const handle = await this.page.waitForFunction(
        (w) =>
          (window as unknown as Win).ovHarness.events.find((e) =>
            Object.entries(w).every(([k, v]) => (e as unknown as Record<string, unknown>)[k] === v),
          ),
        want,
        { timeout: timeoutMs, polling: 50 },
      );
      return (await handle.jsonValue()) as HarnessEvent;
    } catch (err) {
      const seen = (await this.events().catch(() => [])).map((e) =>
        [e.type, e.connectionId, e.reason, e.signalType, e.property].filter(Boolean).join(':'),
      );
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new Error(
        `${this.name}: no ${JSON.stringify(want)} within ${timeoutMs} ms (${why}); saw ${JSON.stringify(seen)}`,
        { cause: err },
      );
    }
  }

  /**
   * Waits until the video from `from` has decoded at least `minFrames` more frames than `since`
   * (and has real dimensions) and `minAudioPackets` more audio packets arrived; returns the stats.
   */
  async waitForMedia(
    from: OvParticipant,
    opts: {
      since?: InboundStats;
      minFrames?: number;
      minAudioPackets?: number;
      timeoutMs?: number;
    } = {},
  ): Promise<InboundStats> {
    const since = opts.since ?? { framesDecoded: 0, audioPackets: 0 };
    const minFrames = opts.minFrames ?? 10;
    const minAudio = opts.minAudioPackets ?? 10;
    const timeoutMs = opts.timeoutMs ?? 20_000;
    const deadline = Date.now() + timeoutMs;
    let last: InboundStats | undefined;
    for (;;) {
      last = await this.inbound(from).catch(() => last);
      if (
        last &&
        last.framesDecoded - since.framesDecoded >= minFrames &&
        last.frameWidth > 0 &&
        last.frameHeight > 0 &&
        last.audioPackets - since.audioPackets >= minAudio
      ) {
        return last;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${this.name}: media from ${from.name} did not flow within ${timeoutMs} ms ` +
            `(since ${JSON.stringify(since)}, last ${JSON.stringify(last)})`,
        );
      }
      await this.page.waitForTimeout(100);
    }
  }

  async disconnect(): Promise<void> {
    await this.page.evaluate(() => (window as unknown as Win).ovHarness.disconnect());
  }

  reconnectPublisher(): Promise<void> {
    return this.page.evaluate(() => (window as unknown as Win).ovHarness.reconnectPublisher());
  }

  reconnectSubscription(to: OvParticipant): Promise<void> {
    return this.page.evaluate(
      (id) => (window as unknown as Win).ovHarness.reconnectSubscription(id),
      to.connectionId,
    );
  }

  dropWebSocket(): Promise<number> {
    return this.page.evaluate(() => (window as unknown as Win).ovHarness.dropWebSocket());
  }

  webSocketsOpened(): Promise<number> {
    return this.page.evaluate(() => (window as unknown as Win).ovHarness.webSocketsOpened());
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

function matches(e: HarnessEvent, want: EventMatch): boolean {
  return Object.entries(want).every(([k, v]) => (e as unknown as Record<string, unknown>)[k] === v);
}

/** The OpenVidu REST API with Basic auth `OPENVIDUAPP:<secret>`. */
export class OpenViduRest {
  constructor(
    readonly url: string,
    readonly secret: string,
  ) {}

  get authorization(): string {
    return `Basic ${Buffer.from(`OPENVIDUAPP:${this.secret}`).toString('base64')}`;
  }

  async request(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: this.authorization,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async json(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await this.request(method, path, body);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  async createSession(customSessionId?: string): Promise<string> {
    const s = await this.json(
      'POST',
      '/openvidu/api/sessions',
      customSessionId ? { customSessionId } : {},
    );
    return String(s['id']);
  }

  async token(sessionId: string, data = ''): Promise<string> {
    const c = await this.json('POST', `/openvidu/api/sessions/${sessionId}/connection`, { data });
    return String(c['token']);
  }

  async deleteConnection(sessionId: string, connectionId: string): Promise<number> {
    const res = await this.request(
      'DELETE',
      `/openvidu/api/sessions/${sessionId}/connection/${connectionId}`,
    );
    await res.body?.cancel();
    return res.status;
  }
}
