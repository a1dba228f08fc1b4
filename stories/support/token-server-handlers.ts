/**
 * msw handlers standing in for a ConsultKit token server (the contract in `src/contract.ts`), for
 * stories where `<consult-room>` fetches its own token: `POST /api/consults/:id/token`, the
 * Server-Sent Events stream `GET /api/consults/:id/events`, and an invited guest's
 * `POST /api/invites/redeem`.
 * @packageDocumentation
 */
import { http, HttpResponse, type HttpHandler } from 'msw';
import type {
  ApiErrorCode,
  ConsultServerEventMap,
  ConsultServerEventName,
  ErrorBody,
  InviteRedemption,
  WaitingResponse,
} from '../../src/index.js';

/** The API base the stories pass as `token-url`. */
export const API_BASE = '/api';

/** One SSE event the mocked stream sends, `afterMs` after it opened. */
export interface ScriptedEvent<K extends ConsultServerEventName = ConsultServerEventName> {
  event: K;
  data: ConsultServerEventMap[K];
  afterMs: number;
}

/** `202`: the caller waits in the waiting room at `position`. */
export function waitingToken(position: number): HttpHandler {
  return http.post(`${API_BASE}/consults/:consultId/token`, ({ params }) =>
    HttpResponse.json<WaitingResponse>(
      { status: 'waiting', consultId: String(params['consultId']), position },
      { status: 202 },
    ),
  );
}

/** A token-server error answer (`{ error: { code, message } }`) with `status`. */
export function failingToken(status: number, code: ApiErrorCode, message: string): HttpHandler {
  return http.post(`${API_BASE}/consults/:consultId/token`, () =>
    HttpResponse.json<ErrorBody>({ error: { code, message } }, { status }),
  );
}

/** `POST /api/invites/redeem` succeeds: a guest credential for `consultId` under `displayName`. */
export function redeemedInvite(consultId: string, displayName: string): HttpHandler {
  return http.post(`${API_BASE}/invites/redeem`, () =>
    HttpResponse.json<InviteRedemption>({
      consultId,
      accessToken: 'story-guest-credential',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      user: { id: 'invite:inv_story', displayName, role: 'guest' },
    }),
  );
}

/** `POST /api/invites/redeem` fails with `status` and `code` (a used, expired or revoked link). */
export function failingInvite(status: number, code: ApiErrorCode, message: string): HttpHandler {
  return http.post(`${API_BASE}/invites/redeem`, () =>
    HttpResponse.json<ErrorBody>({ error: { code, message } }, { status }),
  );
}

/**
 * The event stream: a comment line at once (so the client sees the stream open), then each
 * scripted event at its time; it stays open afterwards, like the real stream.
 */
export function eventStream(events: readonly ScriptedEvent[] = []): HttpHandler {
  return http.get(`${API_BASE}/consults/:consultId/events`, ({ request }) => {
    const encoder = new TextEncoder();
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(': connected\n\n'));
        events.forEach((e, i) => {
          timers.push(
            setTimeout(() => {
              const frame = `id: ${i + 1}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
              try {
                controller.enqueue(encoder.encode(frame));
              } catch {
                // The client went away first.
              }
            }, e.afterMs),
          );
        });
        request.signal.addEventListener('abort', () => {
          for (const timer of timers) clearTimeout(timer);
        });
      },
      cancel() {
        for (const timer of timers) clearTimeout(timer);
      },
    });
    return new HttpResponse(body, {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    });
  });
}
