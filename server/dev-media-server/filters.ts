/**
 * Kurento filters as OpenVidu CE exposes them over JSON-RPC (`applyFilter`, `execFilterMethod`,
 * `removeFilter`, filter event listeners): bookkeeping and `streamPropertyChanged` notifications
 * only, with OpenVidu's permission rules (moderators, or the stream's owner for the filter types its
 * token allows). No media is processed and no filter events are produced.
 */
import { RpcCode, RpcError } from './errors.js';
import { activeConnections } from './model.js';
import type { ConnectionRecord, FilterState, PublisherRecord, SessionRecord } from './model.js';

export interface FilterDeps {
  /** The session `c` is in; throws an RpcError when it left. */
  requireSession(c: ConnectionRecord): SessionRecord;
  /** The connection publishing `streamId`; throws an RpcError when there is none. */
  findPublisher(session: SessionRecord, streamId: string): ConnectionRecord;
}

type Params = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Filter `options`/`params` arrive as JSON strings; keep non-JSON values as they are. */
function parseJsonParam(v: unknown): unknown {
  if (typeof v !== 'string') return v ?? {};
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** The `filter` param of `publishVideo`, when it names a type. */
export function filterFromParam(v: unknown): FilterState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const f = v as Record<string, unknown>;
  const type = str(f['type']);
  return type ? { type, options: f['options'] ?? {} } : undefined;
}

export class StreamFilters {
  constructor(private readonly deps: FilterDeps) {}

  apply(c: ConnectionRecord, params: Params): void {
    const { session, owner, pub } = this.target(c, params, 'applyFilter');
    const type = str(params['type']);
    if (!type) throw RpcError.missingParam('type', 'applyFilter');
    this.checkPermission(c, owner, type);
    if (pub.filter) {
      throw new RpcError(RpcCode.EXISTING_FILTER_ALREADY_APPLIED, 'Filter already applied');
    }
    pub.filter = { type, options: parseJsonParam(params['options']) };
    this.notify(session, owner, pub, 'applyFilter');
  }

  execMethod(c: ConnectionRecord, params: Params): void {
    const { session, owner, pub } = this.target(c, params, 'execFilterMethod');
    this.checkPermission(c, owner, pub.filter?.type);
    if (!pub.filter) throw new RpcError(RpcCode.FILTER_NOT_APPLIED, 'No filter applied');
    const method = str(params['method']);
    if (!method) throw RpcError.missingParam('method', 'execFilterMethod');
    pub.filter.lastExecMethod = { method, params: parseJsonParam(params['params']) };
    this.notify(session, owner, pub, 'execFilterMethod');
  }

  remove(c: ConnectionRecord, params: Params): void {
    const { session, owner, pub } = this.target(c, params, 'removeFilter');
    this.checkPermission(c, owner, pub.filter?.type);
    if (!pub.filter) throw new RpcError(RpcCode.FILTER_NOT_APPLIED, 'No filter applied');
    pub.filter = undefined;
    this.notify(session, owner, pub, 'removeFilter');
  }

  /** Filter event listeners: accepted when a filter exists; no events are ever produced. */
  listener(c: ConnectionRecord, params: Params, method: string): void {
    const { owner, pub } = this.target(c, params, method);
    this.checkPermission(c, owner, pub.filter?.type);
    if (!pub.filter) throw new RpcError(RpcCode.FILTER_NOT_APPLIED, 'No filter applied');
  }

  private target(
    c: ConnectionRecord,
    params: Params,
    method: string,
  ): { session: SessionRecord; owner: ConnectionRecord; pub: PublisherRecord } {
    const session = this.deps.requireSession(c);
    const streamId = str(params['streamId']);
    if (!streamId) throw RpcError.missingParam('streamId', method);
    const owner = this.deps.findPublisher(session, streamId);
    return { session, owner, pub: owner.publisher as PublisherRecord };
  }

  private checkPermission(
    c: ConnectionRecord,
    owner: ConnectionRecord,
    type: string | undefined,
  ): void {
    if (c.role === 'MODERATOR') return;
    const allowed = c.kurentoOptions?.allowedFilters ?? [];
    if (c === owner && (type === undefined || allowed.includes(type))) return;
    throw new RpcError(RpcCode.USER_UNAUTHORIZED, 'Not allowed to manage filters of this stream');
  }

  private notify(
    session: SessionRecord,
    owner: ConnectionRecord,
    pub: PublisherRecord,
    reason: string,
  ): void {
    const note = {
      connectionId: owner.id,
      streamId: pub.streamId,
      property: 'filter',
      newValue: pub.filter ?? {},
      reason,
    };
    for (const o of activeConnections(session)) o.transport?.notify('streamPropertyChanged', note);
  }
}
