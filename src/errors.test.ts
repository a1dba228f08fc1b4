import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConsultError,
  MediaDeviceError,
  translateMediaError,
  type ConsultErrorCode,
} from './errors.js';
import { fakeDomException } from './testing/fake-media.js';

describe('translateMediaError', () => {
  const CASES: ReadonlyArray<[string, ConsultErrorCode]> = [
    ['NotAllowedError', 'permission-denied'],
    ['PermissionDeniedError', 'permission-denied'],
    ['SecurityError', 'permission-denied'],
    ['NotFoundError', 'device-not-found'],
    ['DevicesNotFoundError', 'device-not-found'],
    ['NotReadableError', 'device-in-use'],
    ['TrackStartError', 'device-in-use'],
    ['AbortError', 'device-in-use'],
    ['OverconstrainedError', 'overconstrained'],
    ['ConstraintNotSatisfiedError', 'overconstrained'],
    ['TypeError', 'unsupported-browser'],
    ['SomethingElse', 'unknown'],
  ];
  for (const [name, code] of CASES) {
    it(`should map ${name} to ${code}`, () => {
      const cause = fakeDomException(name);
      const error = translateMediaError(cause, 'camera');
      assert.ok(error instanceof MediaDeviceError);
      assert.ok(error instanceof ConsultError);
      assert.equal(error.code, code);
      assert.equal(error.device, 'camera');
      assert.equal(error.cause, cause);
      assert.equal(error.messageKey, `error.${code}`);
    });
  }

  it('should report insecure-context whatever the exception', () => {
    assert.equal(
      translateMediaError(fakeDomException('NotAllowedError'), 'microphone', false).code,
      'insecure-context',
    );
  });

  it('should keep ConsultErrors and wrap anything else in ConsultError.from', () => {
    const original = new ConsultError('timeout', 'slow');
    assert.equal(ConsultError.from(original), original);
    assert.equal(ConsultError.from(fakeDomException('AbortError')).code, 'aborted');
    assert.equal(ConsultError.from(new Error('boom'), 'server-error').code, 'server-error');
    assert.equal(ConsultError.from('x').code, 'unknown');
  });
});
