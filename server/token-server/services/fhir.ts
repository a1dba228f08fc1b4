/**
 * A consultation's audit trail and recording consents as FHIR R4 resources: one `AuditEvent` per
 * audit entry and one `Consent` per participant's answer, in a `Bundle` of type `collection`, so an
 * EHR can file them.
 */
import { createHash } from 'node:crypto';
import type { ConsentEntry } from '../../../src/contract.js';
import type { ChainRow } from './audit-chain.js';

type Json = Record<string, unknown>;

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const USER = 'urn:consult-kit:user';
const CONSULT = 'urn:consult-kit:consult';
const RECORDING = 'urn:consult-kit:recording';
/** The code system of ConsultKit's audit actions (AuditEvent.subtype). */
export const AUDIT_ACTION_SYSTEM = 'urn:consult-kit:audit-action';
/** The policy a recording consent answers (Consent.policy). */
export const RECORDING_CONSENT_POLICY = 'urn:consult-kit:policy:recording-consent';
const SERVER = 'ConsultKit token server';

const dcm = (code: string, display: string): Json => ({ system: DCM, code, display });

/** AuditEvent.type (DICOM audit event ids) and .action (C, R, U, D, E) of each audit action. */
function typeOf(action: string): { type: Json; subtype?: Json; action: string } {
  const auth = dcm('110114', 'User Authentication');
  const record = dcm('110110', 'Patient Record');
  switch (action) {
    case 'participant.joined':
      return { type: auth, subtype: dcm('110122', 'Login'), action: 'E' };
    case 'participant.left':
      return { type: auth, subtype: dcm('110123', 'Logout'), action: 'E' };
    case 'token.issued':
    case 'lobby.entered':
    case 'lobby.admitted':
    case 'lobby.denied':
      return { type: auth, action: 'E' };
    case 'recording.downloaded':
      return { type: dcm('110106', 'Export'), action: 'R' };
    case 'recording.started':
    case 'consent.requested':
      return { type: record, action: 'C' };
    case 'recording.deleted':
      return { type: record, action: 'D' };
    case 'recording.stopped':
    case 'recording.failed':
    case 'consent.given':
    case 'consent.revoked':
      return { type: record, action: 'U' };
    case 'consult.erased':
    case 'audit.purged':
      return { type: dcm('110100', 'Application Activity'), action: 'D' };
    default:
      return { type: dcm('110100', 'Application Activity'), action: 'E' };
  }
}

/** A stable `urn:uuid:` for a resource (so a re-export files the same resources). */
function urnUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const userRef = (id: string, display?: string): Json => ({
  identifier: { system: USER, value: id },
  ...(display ? { display } : {}),
});

export function auditEvent(r: ChainRow): Json {
  const { type, subtype, action } = typeOf(r.action);
  const system = r.actorRole === 'system';
  const agent: Json = {
    type: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
          code: system ? 'dataprocessor' : 'humanuser',
          display: system ? 'data processor' : 'human user',
        },
      ],
    },
    ...(r.actorRole && !system ? { role: [{ text: r.actorRole }] } : {}),
    who: system ? { display: SERVER } : userRef(r.actorId),
    requestor: !system,
    ...(r.ip ? { network: { address: r.ip, type: '2' } } : {}),
  };
  const detail = [
    { type: 'seq', valueString: String(r.seq) },
    ...(r.hash ? [{ type: 'hash', valueString: r.hash }] : []),
    ...(r.prevHash ? [{ type: 'prevHash', valueString: r.prevHash }] : []),
    ...(r.details ? [{ type: 'details', valueString: JSON.stringify(r.details) }] : []),
  ];
  const entity: Json[] = [
    {
      what: { identifier: { system: CONSULT, value: r.consultId } },
      type: {
        system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
        code: '2',
        display: 'System Object',
      },
      detail,
    },
  ];
  if (r.subjectId)
    entity.push({
      what: userRef(r.subjectId),
      type: {
        system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
        code: '1',
        display: 'Person',
      },
    });
  const recordingId = r.details?.['recordingId'];
  if (typeof recordingId === 'string' && recordingId !== '')
    entity.push({
      what: { identifier: { system: RECORDING, value: recordingId } },
      type: {
        system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
        code: '2',
        display: 'System Object',
      },
    });
  return {
    resourceType: 'AuditEvent',
    type,
    subtype: [...(subtype ? [subtype] : []), { system: AUDIT_ACTION_SYSTEM, code: r.action }],
    action,
    recorded: r.at,
    outcome: '0',
    agent: [agent],
    source: {
      site: SERVER,
      observer: { display: SERVER },
      type: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
          code: '4',
          display: 'Application Server',
        },
      ],
    },
    entity,
  };
}

/**
 * A participant's recording consent. FHIR requires a patient on every Consent (ppc-2…5): a
 * patient's own answer names them; others' answers name the consultation's patient, and are left
 * out when the consultation has none (their answers stay in the AuditEvents).
 */
export function consentResource(consultId: string, c: ConsentEntry, patient: ConsentEntry): Json {
  const status = c.granted === true ? 'active' : c.granted === false ? 'rejected' : 'proposed';
  return {
    resourceType: 'Consent',
    identifier: [{ system: 'urn:consult-kit:consent', value: `${consultId}/${c.userId}` }],
    status,
    scope: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/consentscope',
          code: 'patient-privacy',
          display: 'Privacy Consent',
        },
      ],
    },
    category: [
      { coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] },
    ],
    patient: userRef(patient.userId, patient.displayName),
    ...(c.answeredAt ? { dateTime: c.answeredAt } : {}),
    performer: [userRef(c.userId, c.displayName)],
    policy: [{ uri: RECORDING_CONSENT_POLICY }],
    ...(c.granted === null
      ? {}
      : {
          provision: {
            type: c.granted ? 'permit' : 'deny',
            action: [
              {
                coding: [
                  {
                    system: 'http://terminology.hl7.org/CodeSystem/consentaction',
                    code: 'collect',
                    display: 'Collect',
                  },
                ],
              },
            ],
            data: [
              {
                meaning: 'related',
                reference: { identifier: { system: CONSULT, value: consultId } },
              },
            ],
          },
        }),
  };
}

/** The Bundle (`collection`) of a consultation's AuditEvents and Consents. */
export function fhirBundle(
  consultId: string,
  chain: readonly ChainRow[],
  consents: readonly ConsentEntry[],
  now = new Date(),
): Json {
  const patient = consents.find((c) => c.role === 'patient');
  const entry: Json[] = chain.map((r) => ({
    fullUrl: urnUuid('AuditEvent', r.consultId, String(r.seq), r.hash ?? r.id),
    resource: auditEvent(r),
  }));
  for (const c of consents) {
    const subject = c.role === 'patient' ? c : patient;
    if (!subject) continue;
    entry.push({
      fullUrl: urnUuid('Consent', consultId, c.userId, c.answeredAt ?? ''),
      resource: consentResource(consultId, c, subject),
    });
  }
  return {
    resourceType: 'Bundle',
    identifier: { system: CONSULT, value: consultId },
    type: 'collection',
    timestamp: now.toISOString(),
    entry,
  };
}
