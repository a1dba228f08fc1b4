/**
 * Recording consent and the recordings of a consultation.
 */
import { createRoute } from '@hono/zod-openapi';
import { publicRecording } from '../store.js';
import * as S from '../schemas.js';
import type { App, RouteDeps } from './shared.js';
import { body, errorResponses, json, security } from './shared.js';

const consent = createRoute({
  method: 'post',
  path: '/api/consults/{consultId}/recording-consent',
  summary: 'Give or revoke recording consent',
  security,
  request: { params: S.ConsultParams, body: body(S.ConsentRequestSchema, true) },
  responses: { 200: json(S.ConsentStateSchema, 'Consent state'), ...errorResponses },
});

const startRecording = createRoute({
  method: 'post',
  path: '/api/consults/{consultId}/recordings',
  summary: 'Start recording (providers); 412 until everyone consented',
  security,
  request: { params: S.ConsultParams, body: body(S.EmptyRequestSchema, false) },
  responses: {
    201: json(S.RecordingInfoSchema, 'Recording started'),
    ...errorResponses,
    412: json(S.ErrorSchema, '`consent-required`, details.missing = user ids'),
  },
});

const listRecordings = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/recordings',
  summary: 'Recordings of the consultation',
  security,
  request: { params: S.ConsultParams },
  responses: { 200: json(S.RecordingListSchema, 'Recordings'), ...errorResponses },
});

const getRecording = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/recordings/{recordingId}',
  security,
  request: { params: S.RecordingParams },
  responses: { 200: json(S.RecordingInfoSchema, 'Recording'), ...errorResponses },
});

const stopRecording = createRoute({
  method: 'post',
  path: '/api/consults/{consultId}/recordings/{recordingId}/stop',
  security,
  request: { params: S.RecordingParams, body: body(S.EmptyRequestSchema, false) },
  responses: { 200: json(S.RecordingInfoSchema, 'Stopping'), ...errorResponses },
});

const deleteRecording = createRoute({
  method: 'delete',
  path: '/api/consults/{consultId}/recordings/{recordingId}',
  security,
  request: { params: S.RecordingParams },
  responses: { 200: json(S.RecordingInfoSchema, 'Deleted'), ...errorResponses },
});

const download = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/recordings/{recordingId}/download',
  summary: 'Download the recording file (Range supported)',
  security,
  request: { params: S.RecordingParams },
  responses: {
    200: {
      content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } },
      description: 'File',
    },
    206: { description: 'Partial content' },
    416: { description: 'Range not satisfiable' },
    ...errorResponses,
  },
});

/** Provider-only, existing consult. */
const PROVIDERS = { providerOnly: true, mustExist: true } as const;

export function registerRecordingRoutes(app: App, deps: RouteDeps): void {
  const { services } = deps;

  app.openapi(consent, async (c) => {
    const { consultId } = c.req.valid('param');
    const { granted } = c.req.valid('json');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'consent', { mustExist: true });
    await s.access.requireParticipant(
      consultId,
      user.id,
      'Only participants of this consultation may answer.',
    );
    await s.recordings.answerConsent(consultId, user, granted, c.get('ip'));
    return c.json(await s.consent.state(consultId), 200);
  });

  app.openapi(startRecording, async (c) => {
    const { consultId } = c.req.valid('param');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'recording.start', PROVIDERS);
    return c.json(await s.recordings.request(consultId, user, c.get('ip')), 201);
  });

  app.openapi(listRecordings, async (c) => {
    const { consultId } = c.req.valid('param');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'recording.read', { mustExist: true });
    await s.access.requireMember(consultId, user);
    const list = await s.recordings.list(consultId);
    return c.json({ recordings: list.map(publicRecording) }, 200);
  });

  app.openapi(getRecording, async (c) => {
    const { consultId, recordingId } = c.req.valid('param');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'recording.read', { mustExist: true });
    await s.access.requireMember(consultId, user);
    return c.json(await s.recordings.get(consultId, recordingId), 200);
  });

  app.openapi(stopRecording, async (c) => {
    const { consultId, recordingId } = c.req.valid('param');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'recording.stop', PROVIDERS);
    return c.json(await s.recordings.stop(consultId, recordingId, user, c.get('ip')), 200);
  });

  app.openapi(deleteRecording, async (c) => {
    const { consultId, recordingId } = c.req.valid('param');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'recording.delete', PROVIDERS);
    return c.json(await s.recordings.delete(consultId, recordingId, user, c.get('ip')), 200);
  });

  app.openapi(download, async (c) => {
    const { consultId, recordingId } = c.req.valid('param');
    const s = services();
    const user = await s.access.check(c.req.raw, consultId, 'recording.download', PROVIDERS);
    const range = { range: c.req.header('range'), ifRange: c.req.header('if-range') };
    return s.recordings.download(consultId, recordingId, user, range, c.get('ip'));
  });
}
