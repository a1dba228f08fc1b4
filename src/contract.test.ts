import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_ERROR_CODES, type ApiErrorCode } from './contract.js';
import type { ConsultErrorCode } from './errors.js';
import { errorForStatus } from './http.js';

/** The status the reference server answers each code with (docs/token-server.md). */
const STATUS: Record<ApiErrorCode, number> = {
  'invalid-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'admission-denied': 403,
  'consult-not-found': 404,
  'consult-ended': 410,
  'recording-not-found': 404,
  'not-found': 404,
  conflict: 409,
  'payload-too-large': 413,
  'consent-required': 412,
  'rate-limited': 429,
  'openvidu-unavailable': 503,
  'authorization-unavailable': 503,
  'recording-failed': 409,
  'invite-not-found': 404,
  'invite-used': 410,
  'invite-expired': 410,
  'invite-revoked': 410,
  internal: 500,
};

/** The SDK code of each, as docs/token-server.md's last column says. */
const EXPECTED: Record<ApiErrorCode, ConsultErrorCode> = {
  'invalid-request': 'unknown',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  'admission-denied': 'admission-denied',
  'consult-not-found': 'consult-not-found',
  'consult-ended': 'consult-ended',
  'recording-not-found': 'consult-not-found',
  'not-found': 'consult-not-found',
  conflict: 'conflict',
  'payload-too-large': 'unknown',
  'consent-required': 'consent-required',
  'rate-limited': 'rate-limited',
  'openvidu-unavailable': 'server-error',
  'authorization-unavailable': 'server-error',
  'recording-failed': 'recording-failed',
  'invite-not-found': 'invite-invalid',
  'invite-used': 'invite-invalid',
  'invite-expired': 'invite-invalid',
  'invite-revoked': 'invite-invalid',
  internal: 'server-error',
};

const body = (code: string) => ({ error: { code, message: `m-${code}` } });

void describe('error contract', () => {
  void it('maps every contract code onto its ConsultErrorCode', () => {
    for (const code of API_ERROR_CODES) {
      const error = errorForStatus(STATUS[code], body(code));
      assert.equal(error.code, EXPECTED[code], code);
      assert.equal(error.status, STATUS[code]);
      assert.equal(error.message, `m-${code}`);
    }
  });

  void it('not-found codes take the request’s own not-found code', () => {
    for (const code of ['consult-not-found', 'recording-not-found', 'not-found'] as const) {
      assert.equal(errorForStatus(404, body(code), 'recording-failed').code, 'recording-failed');
    }
  });

  void it('maps a code outside the contract from the HTTP status', () => {
    assert.equal(errorForStatus(503, body('room-full')).code, 'server-error');
    assert.equal(errorForStatus(400, body('message-too-long')).code, 'unknown');
    assert.equal(errorForStatus(409, body('made-up')).code, 'conflict');
    assert.equal(errorForStatus(412, {}).code, 'consent-required');
  });
});
