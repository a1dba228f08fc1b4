/**
 * The Twirp side of the LiveKit mode's HTTP services: errors in Twirp's JSON shape and HTTP status,
 * request decoding (protobuf JSON or binary), the API-key JWT and the grants LiveKit's own server
 * asks of each method, and the checks every room name, identity and id passes before use.
 */
import type { Message, MessageType } from '@bufbuild/protobuf';
import { errors as joseErrors, jwtVerify } from 'jose';

/** Twirp's error codes and the HTTP status each one travels with. */
export const TWIRP_STATUS = {
  canceled: 408,
  unknown: 500,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
} as const;

export type TwirpCode = keyof typeof TWIRP_STATUS;

/** A failure a Twirp method answers with (`{"code","msg"}` and the code's HTTP status). */
export class TwirpError extends Error {
  override readonly name = 'TwirpError';
  constructor(
    readonly code: TwirpCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return TWIRP_STATUS[this.code];
  }
}

/**
 * The error as Twirp sends it. The content type is exactly `application/json`: livekit-server-sdk
 * reads `code` and `msg` only then.
 */
export function twirpErrorResponse(error: TwirpError): Response {
  return new Response(JSON.stringify({ code: error.code, msg: error.message }), {
    status: error.status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/** The `video` grant of a LiveKit access token, as far as the services read it. */
export interface VideoGrants {
  roomCreate?: boolean;
  roomList?: boolean;
  roomRecord?: boolean;
  roomAdmin?: boolean;
  room?: string;
}

/**
 * Verifies `Authorization: Bearer <JWT>`: HS256 with the API secret, issued by the API key, with an
 * expiry that has not passed. Answers the token's video grants (empty without any); an absent
 * header answers empty grants too, so the method's grant check refuses it (as LiveKit does).
 */
export async function verifyApiToken(
  authorization: string | undefined,
  apiKey: string,
  secret: Uint8Array,
  nowSec: number,
): Promise<VideoGrants> {
  if (!authorization) return {};
  const m = /^Bearer ([A-Za-z0-9_.-]{1,8192})$/.exec(authorization);
  if (!m?.[1]) throw new TwirpError('unauthenticated', 'invalid authorization header');
  try {
    const { payload } = await jwtVerify(m[1], secret, {
      algorithms: ['HS256'],
      issuer: apiKey,
      requiredClaims: ['exp'],
      currentDate: new Date(nowSec * 1000),
    });
    const video = payload['video'];
    return typeof video === 'object' && video !== null ? (video as VideoGrants) : {};
  } catch (e) {
    const why = e instanceof joseErrors.JWTExpired ? 'token expired' : 'invalid token';
    throw new TwirpError('unauthenticated', `invalid authorization token: ${why}`);
  }
}

// LiveKit's server answers a missing grant with `unauthenticated` (its twirpAuthError), not
// `permission_denied`; the dev server does the same so applications see what production sends.
const denied = (): TwirpError => new TwirpError('unauthenticated', 'permissions denied');

export function requireCreate(g: VideoGrants): void {
  if (g.roomCreate !== true) throw denied();
}
export function requireList(g: VideoGrants): void {
  if (g.roomList !== true) throw denied();
}
export function requireRecord(g: VideoGrants): void {
  if (g.roomRecord !== true) throw denied();
}
/** `roomAdmin` for exactly this room. */
export function requireAdmin(g: VideoGrants, room: string): void {
  if (g.roomAdmin !== true || g.room !== room) throw denied();
}

const NAME_RE = /^[A-Za-z0-9_.:@=+~-]{1,256}$/;
const TRACK_SID_RE = /^[A-Za-z0-9_-]{1,128}$/;
const EGRESS_ID_RE = /^EG_[A-Za-z0-9]{1,64}$/;
/** LiveKit's default limit for room and participant metadata. */
export const MAX_METADATA_BYTES = 64_000;

/** Room names and identities: 1–256 of `A–Z a–z 0–9 _ . : @ = + ~ -`, and not `.` or `..`. */
export function checkName(value: string, what: 'room' | 'identity'): string {
  if (!NAME_RE.test(value) || value === '.' || value === '..')
    throw new TwirpError('invalid_argument', `invalid ${what} name`);
  return value;
}

export function checkTrackSid(value: string): string {
  if (!TRACK_SID_RE.test(value)) throw new TwirpError('invalid_argument', 'invalid track sid');
  return value;
}

export function checkEgressId(value: string): string {
  if (!EGRESS_ID_RE.test(value)) throw new TwirpError('invalid_argument', 'invalid egress id');
  return value;
}

export function checkMetadata(value: string | undefined): void {
  if (value !== undefined && Buffer.byteLength(value) > MAX_METADATA_BYTES)
    throw new TwirpError('invalid_argument', 'metadata size exceeds limits');
}

/** One Twirp method: its request type and what answers it. */
export interface TwirpMethod {
  input: MessageType;
  handle(request: Message, grants: VideoGrants): Promise<Message>;
}

/** Builds a {@link TwirpMethod} keeping the request's type. */
export function method<I extends Message<I>>(
  input: MessageType<I>,
  handle: (request: I, grants: VideoGrants) => Promise<Message> | Message,
): TwirpMethod {
  return {
    input: input as unknown as MessageType,
    handle: async (request, grants) => handle(request as unknown as I, grants),
  };
}

export const MAX_REQUEST_BYTES = 1 << 20;

type Encoding = 'json' | 'protobuf';

function encodingOf(contentType: string | null): Encoding | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/protobuf') return 'protobuf';
  return undefined;
}

/** Reads at most {@link MAX_REQUEST_BYTES} of the body; larger bodies are refused. */
async function readBody(req: Request): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > MAX_REQUEST_BYTES) throw new TwirpError('malformed', 'request too large');
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.byteLength > MAX_REQUEST_BYTES) throw new TwirpError('malformed', 'request too large');
  return bytes;
}

/**
 * Serves `POST /twirp/<service>/<Method>` from `services` (full service name → method name →
 * method). Unknown routes, other verbs and content types are Twirp's `bad_route`.
 */
export async function serveTwirp(
  req: Request,
  services: ReadonlyMap<string, ReadonlyMap<string, TwirpMethod>>,
  authenticate: (authorization: string | undefined) => Promise<VideoGrants>,
  onInternal: (error: unknown) => void,
): Promise<Response> {
  try {
    const path = new URL(req.url).pathname;
    const m = /^\/twirp\/([A-Za-z0-9_.]{1,100})\/([A-Za-z0-9_]{1,100})$/.exec(path);
    const found = m ? services.get(m[1] ?? '')?.get(m[2] ?? '') : undefined;
    if (!found) throw new TwirpError('bad_route', 'no handler for this path');
    if (req.method !== 'POST') throw new TwirpError('bad_route', 'unsupported method (only POST)');
    const encoding = encodingOf(req.headers.get('content-type'));
    if (!encoding) throw new TwirpError('bad_route', 'unexpected Content-Type');
    const grants = await authenticate(req.headers.get('authorization') ?? undefined);
    const bytes = await readBody(req);
    let request: Message;
    try {
      request =
        encoding === 'json'
          ? found.input.fromJsonString(new TextDecoder().decode(bytes) || '{}', {
              ignoreUnknownFields: true,
            })
          : found.input.fromBinary(bytes);
    } catch {
      throw new TwirpError('malformed', 'the request could not be decoded');
    }
    const answer = await found.handle(request, grants);
    return encoding === 'json'
      ? new Response(answer.toJsonString({ emitDefaultValues: true }), {
          headers: { 'Content-Type': 'application/json' },
        })
      : new Response(new Uint8Array(answer.toBinary()), {
          headers: { 'Content-Type': 'application/protobuf' },
        });
  } catch (e) {
    if (e instanceof TwirpError) return twirpErrorResponse(e);
    onInternal(e);
    return twirpErrorResponse(new TwirpError('internal', 'internal error'));
  }
}
