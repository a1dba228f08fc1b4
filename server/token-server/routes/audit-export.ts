/**
 * The audit trail's integrity and export, and a consultation's erasure (providers):
 * `GET …/audit/verify`, `GET …/audit/fhir`, `DELETE /api/consults/{consultId}`.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { fhirBundle } from '../services/fhir.js';
import * as S from '../schemas.js';
import type { App, RouteDeps } from './shared.js';
import { errorResponses, json, security } from './shared.js';

const AuditVerificationSchema = z
  .object({
    consultId: z.string(),
    ok: z.boolean(),
    entries: z.number().int(),
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
    purgedThrough: z.number().int(),
    problems: z.array(
      z.object({
        id: z.string(),
        seq: z.number().int(),
        problem: z.enum(['edited', 'missing-before', 'broken-link', 'unsealed']),
      }),
    ),
  })
  .openapi('AuditVerification');

const FhirBundleSchema = z
  .object({
    resourceType: z.literal('Bundle'),
    type: z.literal('collection'),
    timestamp: z.string(),
    entry: z.array(z.object({ fullUrl: z.string(), resource: z.record(z.string(), z.unknown()) })),
  })
  .loose()
  .openapi('FhirBundle');

const ErasedSchema = z
  .object({
    erased: z.literal(true),
    messages: z.number().int(),
    events: z.number().int(),
    recordings: z.number().int(),
    participants: z.number().int(),
  })
  .openapi('Erased');

const verify = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/audit/verify',
  summary: "Check the audit trail's hash chain (providers)",
  security,
  request: { params: S.ConsultParams },
  responses: { 200: json(AuditVerificationSchema, 'Verification result'), ...errorResponses },
});

const fhir = createRoute({
  method: 'get',
  path: '/api/consults/{consultId}/audit/fhir',
  summary: 'Audit trail and recording consents as a FHIR R4 Bundle (providers)',
  security,
  request: { params: S.ConsultParams },
  responses: {
    200: {
      content: { 'application/fhir+json': { schema: FhirBundleSchema } },
      description: 'Bundle (collection) of AuditEvent and Consent resources',
    },
    ...errorResponses,
  },
});

const erase = createRoute({
  method: 'delete',
  path: '/api/consults/{consultId}',
  summary: 'Erase the consultation: chat, events, recordings, participants (providers)',
  security,
  request: { params: S.ConsultParams },
  responses: { 200: json(ErasedSchema, 'Erased (also when it already was)'), ...errorResponses },
});

/** Provider-only, existing consult. */
const PROVIDERS = { providerOnly: true, mustExist: true } as const;

export function registerAuditExportRoutes(app: App, deps: RouteDeps): void {
  app.openapi(verify, async (c) => {
    const { consultId } = c.req.valid('param');
    const s = deps.services();
    await s.access.check(c.req.raw, consultId, 'audit.read', PROVIDERS);
    return c.json(await s.audit.verify(consultId), 200);
  });

  app.openapi(fhir, async (c) => {
    const { consultId } = c.req.valid('param');
    const s = deps.services();
    await s.access.check(c.req.raw, consultId, 'audit.read', PROVIDERS);
    const bundle = fhirBundle(
      consultId,
      await s.audit.chain(consultId),
      await s.consent.state(consultId).then((x) => x.entries),
    );
    // c.json keeps a Content-Type it is given.
    return c.json(bundle as z.infer<typeof FhirBundleSchema>, 200, {
      'Content-Type': 'application/fhir+json',
    });
  });

  app.openapi(erase, async (c) => {
    const { consultId } = c.req.valid('param');
    const s = deps.services();
    const user = await s.access.check(c.req.raw, consultId, 'consult.erase', PROVIDERS);
    const counts = await s.retention.erase(consultId, user, c.get('ip'));
    return c.json({ erased: true as const, ...counts }, 200);
  });
}
