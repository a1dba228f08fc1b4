/**
 * OpenVidu's recording objects and statuses in this server's terms.
 */
import type { RecordingInfo } from '../../../src/contract.js';
import type { OpenViduRecording } from '../openvidu-client.js';
import type { RecordingUpsert } from '../store.js';

const STATUS_MAP: Record<OpenViduRecording['status'], RecordingInfo['status']> = {
  starting: 'starting',
  started: 'recording',
  stopped: 'processing',
  ready: 'ready',
  failed: 'failed',
};

/** OpenVidu recording status → ours (`started` → recording, `stopped` → processing). */
export function mapRecordingStatus(status: string): RecordingInfo['status'] | undefined {
  return Object.hasOwn(STATUS_MAP, status)
    ? STATUS_MAP[status as OpenViduRecording['status']]
    : undefined;
}

/** The row to upsert for a recording as OpenVidu describes it now. */
export function fromOpenVidu(
  r: OpenViduRecording,
  consultId: string,
  startedBy?: string,
): RecordingUpsert {
  const status = mapRecordingStatus(r.status) ?? 'failed';
  const ready = status === 'ready' || status === 'failed';
  return {
    recordingId: r.id,
    consultId,
    status,
    startedAt: typeof r.createdAt === 'number' ? new Date(r.createdAt).toISOString() : undefined,
    stoppedAt: status === 'processing' || ready ? new Date().toISOString() : undefined,
    duration: ready && typeof r.duration === 'number' ? r.duration : undefined,
    size: ready && typeof r.size === 'number' ? r.size : undefined,
    name: r.name,
    outputMode: r.outputMode,
    startedBy,
  };
}
