// The ConsultKit token server inside an existing Express 5 app. The token server is a Hono app
// with a web-standard `fetch(Request): Promise<Response>`; @hono/node-server's getRequestListener
// turns that into a Node (req, res) handler, which Express mounts under /api next to the
// portal's own routes. Run: `npx tsx examples/express-mount/server.ts` (see README.md).
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import express, { type Express, type RequestHandler } from 'express';
// In your app: `from 'consult-kit/server'` (the repository's source here, so no build is needed).
import {
  createTokenServer,
  type Authorize,
  type TokenServer,
  type TokenServerOptions,
} from '../../server/index.js';

/**
 * Express middleware answering with the token server. Mount it under `/api` (its routes are
 * `/api/...`) and before any body parser: the token server reads the raw request body itself.
 */
export function mountTokenServer(tokenServer: TokenServer): RequestHandler {
  // overrideGlobalObjects: false leaves the app's global Request/Response alone.
  const listener = getRequestListener((request) => tokenServer.fetch(request), {
    overrideGlobalObjects: false,
  });
  return (req, res, next) => {
    // Express strips the mount path from req.url; the token server routes on the full path.
    req.url = req.originalUrl;
    listener(req, res).catch(next);
  };
}

export interface PortalOptions {
  /** Options of the token server (default: from the environment, e.g. OPENVIDU_URL). */
  tokenServer?: TokenServerOptions;
  /** Folder with the built browser page (`vite build`), served at `/`. Default `./dist`. */
  staticDir?: string;
}

export interface Portal {
  app: Express;
  tokenServer: TokenServer;
  /** Closes the token server (its event streams and database). */
  close(): Promise<void>;
}

interface Appointment {
  consultId: string;
  patient: string;
  /** The patient's user id (what the token server's authentication says: the JWT `sub`). */
  patientId: string;
  provider: string;
  providerId: string;
  startsAt: string;
}

/** The portal: its own routes, the token server under /api, and the browser page. */
export async function createPortal(options: PortalOptions = {}): Promise<Portal> {
  // This portal's appointments (a database table in a real one). The demo users' ids here.
  const appointments: Appointment[] = [
    {
      consultId: 'consult-42',
      patient: 'Pat Demo',
      patientId: 'patient',
      provider: 'Dr. Demo',
      providerId: 'doctor',
      startsAt: new Date().toISOString(),
    },
  ];

  // The binding of users to consultations: only an appointment's patient and provider may act in
  // its consult (the token server refuses to start without a binding outside demo mode).
  const authorize: Authorize = (user, consultId) =>
    appointments.some(
      (a) => a.consultId === consultId && (a.patientId === user.id || a.providerId === user.id),
    );
  const tokenServer = createTokenServer({ authorize, ...options.tokenServer });
  await tokenServer.ready();

  const app = express();
  app.disable('x-powered-by');

  // 1. The token server, before express.json(): it parses (and size-limits) bodies itself.
  app.use('/api', mountTokenServer(tokenServer));

  // 2. The portal's own routes, with its own body parser.
  app.use(express.json());
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/appointments', (_req, res) => {
    res.json(appointments);
  });
  app.post('/appointments', (req, res) => {
    const body: unknown = req.body;
    const consultId =
      typeof body === 'object' && body !== null && 'consultId' in body ? body.consultId : undefined;
    if (typeof consultId !== 'string' || !/^[\w-]{1,64}$/.test(consultId)) {
      res.status(400).json({ error: 'consultId must be 1-64 letters, digits, _ or -' });
      return;
    }
    const appointment: Appointment = {
      consultId,
      patient: 'Pat Demo',
      patientId: 'patient',
      provider: 'Dr. Demo',
      providerId: 'doctor',
      startsAt: new Date().toISOString(),
    };
    appointments.push(appointment);
    res.status(201).json(appointment);
  });

  // 3. The browser page (index.html + the SDK bundle from `vite build`).
  const staticDir = options.staticDir ?? fileURLToPath(new URL('./dist', import.meta.url));
  if (existsSync(staticDir)) app.use(express.static(staticDir));
  else {
    app.get('/', (_req, res) => {
      res
        .type('text/plain')
        .send(
          'Build the page first: npx vite build --config examples/express-mount/vite.config.ts',
        );
    });
  }

  return { app, tokenServer, close: () => tokenServer.close() };
}

/** Listens on `port` (0 = any free one); resolves with the server and its URL. */
export async function listen(
  app: Express,
  port: number,
  host = '127.0.0.1',
): Promise<{ server: Server; url: string }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => {
      if (error) {
        reject(error);
        return;
      }
      const address = server.address() as AddressInfo;
      resolve({ server, url: `http://${host}:${address.port}` });
    });
  });
}

// `npx tsx examples/express-mount/server.ts`: env OPENVIDU_URL, OPENVIDU_SECRET, PORT (3000).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const portal = await createPortal({ tokenServer: { demo: true } });
  const { server, url } = await listen(portal.app, Number(process.env['PORT'] ?? 3000));
  console.log(
    `Portal on ${url} (token server under ${url}/api, OpenAPI at ${url}/api/openapi.json)`,
  );
  const stop = (): void => {
    server.close();
    void portal.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
