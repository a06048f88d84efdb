// The README's "A server and a Node client" events.ts, as written between the markers below except the import
// specifiers ('sente-rx' here is the sources): spec/testing/quickStart.spec.ts checks the two stay identical.
// --- README events.ts ---
// events.ts: one schema map for both sides; the types come from it
import { z } from 'zod';
import type { InferEventMap } from '../../../src';

export const schemas = {
  'chat/send': { data: z.object({ text: z.string().min(1).max(500) }), reply: z.object({ ok: z.boolean() }) }, // a request
  'chat/msg': { data: z.object({ from: z.string(), text: z.string() }) }, // a push from the server
};
export type ChatEvents = InferEventMap<typeof schemas>; // what the compiler checks, from what the server checks
// --- end ---
