/**
 * `cleanDisplayName`: one function for every name input (token request, JWT claims, demo users).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanDisplayName } from './display-name.js';

const CASES: [input: string, expected: string | undefined, why: string][] = [
  ['Dr. Zed \u202E(provider)', 'Dr. Zed (provider)', 'right-to-left override'],
  ['\u202Adr\u202B \u202Cx\u202D', 'dr x', 'embeddings, pop, left-to-right override'],
  ['\u2066Ann\u2067 \u2068Lee\u2069', 'Ann Lee', 'isolates'],
  ['A\u200EB\u200FC\u061CD', 'ABCD', 'directional marks'],
  ['Ze\u200Bro\u200C\u200Dwidth\u2060\uFEFF', 'Zerowidth', 'zero-width characters and BOM'],
  ['soft\u00ADhyphen', 'softhyphen', 'soft hyphen (invisible)'],
  ['\u3164', undefined, 'Hangul filler only'],
  ['  Many\t\tspaces\n here  ', 'Many spaces here', 'whitespace collapses'],
  ['Ann\u2028Lee\u2029', 'Ann Lee', 'line and paragraph separators'],
  ['Ann\u0000\u0007Lee', 'Ann Lee', 'control characters become spaces'],
  ['\u200B\u202E\u200D', undefined, 'nothing visible left'],
  ['', undefined, 'empty'],
  ['José Müller', 'José Müller', 'accents kept'],
  ['Jose\u0301', 'José', 'NFC'],
  ['محمد علي', 'محمد علي', 'right-to-left script kept'],
  ['王小明', '王小明', 'CJK kept'],
  ['x'.repeat(150), 'x'.repeat(100), 'at most 100 characters'],
  ['😀'.repeat(120), '😀'.repeat(100), 'length in code points, never half a surrogate pair'],
];

for (const [input, expected, why] of CASES) {
  test(`cleanDisplayName: ${why}`, () => {
    assert.equal(cleanDisplayName(input), expected);
  });
}

test('cleanDisplayName: non-strings are no name', () => {
  assert.equal(cleanDisplayName(undefined), undefined);
  assert.equal(cleanDisplayName(42), undefined);
});
