// A small load balancer for end-to-end tests: `/api/…` requests go round-robin to the token-server
// instances (a test may steer a request to one instance with `prefer`), everything else to a local
// handler (the page). It passes Server-Sent Events through as they arrive and keeps what went over
// the wire for each stream: the instance, the `Last-Event-ID` the client sent, and every frame's
// `id:` and `event:`. An instance that refuses connections is taken out of the rotation, as a health
// check would; when an instance dies mid-stream the client's response is cut, as a real proxy's is.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One frame of a stream, as it passed the proxy. */
export interface WireFrame {
  id: string | undefined;
  event: string;
  data: string;
}

/** One event stream that went through the proxy. */
export interface WireStream {
  /** Index of the instance that served it. */
  instance: number;
  path: string;
  /** The bearer token's `sub` (who opened it). */
  user: string | undefined;
  /** The `Last-Event-ID` request header, if any. */
  lastEventId: string | undefined;
  frames: WireFrame[];
  /** `retry:` lines. */
  retries: string[];
  /** How it ended: still open, ended by the server, or cut (the instance died). */
  end: 'open' | 'ended' | 'cut';
}

/** One proxied request. */
export interface WireRequest {
  method: string;
  path: string;
  user: string | undefined;
  instance: number;
  status: number;
}

export interface RoundRobinProxy {
  readonly url: string;
  /** Token-server base URLs; may be set after the proxy started (the media server needs its URL). */
  targets: string[];
  readonly streams: WireStream[];
  readonly requests: WireRequest[];
  /** Instances taken out of the rotation (they refused a connection). */
  readonly down: ReadonlySet<number>;
  /** Steers matching requests to an instance while it is up (else round-robin). */
  prefer(
    rule: (req: { method: string; path: string; user: string | undefined }) => number | undefined,
  ): void;
  close(): Promise<void>;
}

/** The `sub` claim of a bearer JWT (unverified: for bookkeeping only). */
function subjectOf(authorization: string | undefined): string | undefined {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

/** Splits SSE text into frames as it arrives (a frame may straddle chunks). */
function frameParser(stream: WireStream): (text: string) => void {
  let buf = '';
  return (text) => {
    buf += text.replace(/\r\n?/g, '\n');
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'retry') stream.retries.push(value);
      }
      if (id !== undefined || data.length > 0)
        stream.frames.push({ id, event, data: data.join('\n') });
    }
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Starts the proxy on a loopback port. `local` answers every request outside `/api/`.
 */
export async function startRoundRobinProxy(
  local: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<RoundRobinProxy> {
  const down = new Set<number>();
  const streams: WireStream[] = [];
  const requests: WireRequest[] = [];
  let preferred: Parameters<RoundRobinProxy['prefer']>[0] = () => undefined;
  let next = 0;
  const proxy = { targets: [] as string[] };

  const pick = (meta: { method: string; path: string; user: string | undefined }): number => {
    const live = proxy.targets.map((_, i) => i).filter((i) => !down.has(i));
    if (live.length === 0) return -1;
    const want = preferred(meta);
    if (want !== undefined && live.includes(want)) return want;
    return live[next++ % live.length] as number;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const path = req.url ?? '/';
    const user = subjectOf(req.headers.authorization);
    const meta = { method: req.method ?? 'GET', path, user };
    const i = pick(meta);
    if (i < 0) {
      res.writeHead(502).end('no instance up');
      return;
    }
    const target = new URL(proxy.targets[i] as string);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path,
        headers: { ...req.headers, host: target.host },
        agent: false,
      },
      (up) => {
        requests.push({ ...meta, instance: i, status: up.statusCode ?? 0 });
        res.writeHead(up.statusCode ?? 502, up.headers);
        const isStream = String(up.headers['content-type']).startsWith('text/event-stream');
        const lastEventId = req.headers['last-event-id'];
        const stream: WireStream | undefined = isStream
          ? {
              instance: i,
              path,
              user,
              lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined,
              frames: [],
              retries: [],
              end: 'open',
            }
          : undefined;
        if (stream) {
          streams.push(stream);
          res.flushHeaders();
        }
        const parse = stream ? frameParser(stream) : undefined;
        const decoder = new TextDecoder();
        up.on('data', (chunk: Buffer) => {
          parse?.(decoder.decode(chunk, { stream: true }));
          res.write(chunk);
        });
        up.once('end', () => {
          if (stream) stream.end = 'ended';
          res.end();
        });
        // The instance died mid-response: cut the client's response too (no clean end).
        up.once('aborted', () => {
          if (stream) stream.end = 'cut';
          res.destroy();
        });
        up.once('error', () => {
          if (stream && stream.end === 'open') stream.end = 'cut';
          res.destroy();
        });
      },
    );
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (!res.headersSent && error.code === 'ECONNREFUSED') {
        // Nothing reached the instance: take it out of the rotation and send the request on.
        down.add(i);
        forward(req, res, body);
        return;
      }
      res.destroy();
    });
    // The client went away (the SDK aborted its stream): let the instance see it.
    res.once('close', () => upstream.destroy());
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/api/')) {
      local(req, res);
      return;
    }
    readBody(req).then(
      (body) => forward(req, res, body),
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    streams,
    requests,
    down,
    prefer(rule: Parameters<RoundRobinProxy['prefer']>[0]) {
      preferred = rule;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
