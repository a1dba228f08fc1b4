/**
 * Row decoding shared by the repositories (PostgreSQL and PGlite return the same shapes).
 */
import type { ParticipantRole } from '../../../src/contract.js';

export type Row = Record<string, unknown>;

export function iso(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
export const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));
export const role = (v: unknown): ParticipantRole =>
  v === 'provider' || v === 'patient' || v === 'guest' ? v : 'guest';
