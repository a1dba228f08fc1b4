/**
 * Schemas of the provider's queue and of guest invites (`routes/queue.ts`, `routes/invites.ts`);
 * they mirror `src/contract.ts` like `schemas.ts` does.
 */
import { z } from '@hono/zod-openapi';
import type {
  CreateInviteResponse,
  InviteInfo,
  InviteRedemption,
  QueueEntry,
} from '../../src/contract.js';
import { ConsultParams, LobbyEntrySchema, displayName } from './schemas.js';

/** The longest an invite may stay redeemable: 7 days. */
export const MAX_INVITE_TTL_SEC = 7 * 24 * 3600;
/** An invite's lifetime when the request does not say: 24 hours. */
export const DEFAULT_INVITE_TTL_SEC = 24 * 3600;

export const QueueEntrySchema = LobbyEntrySchema.extend({ consultId: z.string() }).openapi(
  'QueueEntry',
);
export const QueueSchema = z.object({ waiting: z.array(QueueEntrySchema) }).openapi('Queue');

export const InviteSchema = z
  .object({
    inviteId: z.string(),
    consultId: z.string(),
    role: z.literal('guest'),
    displayName: z.string(),
    createdAt: z.string(),
    expiresAt: z.string(),
    status: z.enum(['active', 'used', 'revoked', 'expired']),
    usedAt: z.string().optional(),
    revokedAt: z.string().optional(),
  })
  .openapi('Invite');
export const InviteListSchema = z.object({ invites: z.array(InviteSchema) }).openapi('InviteList');
export const CreateInviteRequestSchema = z
  .object({
    displayName,
    expiresInSec: z.number().int().min(60).max(MAX_INVITE_TTL_SEC).optional(),
  })
  .strict()
  .openapi('CreateInviteRequest');
export const CreateInviteResponseSchema = z
  .object({ invite: InviteSchema, secret: z.string() })
  .openapi('CreateInviteResponse');
export const RedeemInviteRequestSchema = z
  .object({ secret: z.string().min(1).max(200) })
  .strict()
  .openapi('RedeemInviteRequest');
export const InviteRedemptionSchema = z
  .object({
    consultId: z.string(),
    accessToken: z.string(),
    expiresAt: z.string(),
    user: z.object({ id: z.string(), displayName: z.string(), role: z.literal('guest') }),
  })
  .openapi('InviteRedemption');
export const InviteParams = ConsultParams.extend({
  inviteId: z
    .string()
    .regex(/^inv_[A-Za-z0-9_-]{10,60}$/)
    .openapi({ param: { name: 'inviteId', in: 'path' }, example: 'inv_4kq0bT3x9sJm2Qw8' }),
});

type Out<T extends z.ZodType> = z.output<T>;
true satisfies Out<typeof QueueEntrySchema> extends QueueEntry ? true : false;
true satisfies Out<typeof InviteSchema> extends InviteInfo ? true : false;
true satisfies Out<typeof CreateInviteResponseSchema> extends CreateInviteResponse ? true : false;
true satisfies Out<typeof InviteRedemptionSchema> extends InviteRedemption ? true : false;
