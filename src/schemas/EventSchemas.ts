import type { InferOutput, StandardSchemaV1 } from './StandardSchemaV1';

/** The validators of one event id: `data` checks what it carries, `reply` what a request is answered with. */
export interface EventSchema {
  /** The event's data. Without it the event carries no data (`undefined`). */
  readonly data?: StandardSchemaV1;
  /** The reply to a request with this id. Without it the id cannot be requested (`send`), only emitted. */
  readonly reply?: StandardSchemaV1;
  /** Each item of a streamed reply (`stream$` / `replyStream`); the client checks every item against it. */
  readonly stream?: StandardSchemaV1;
}

/** The `schemas` option of both factories: event id → its validators. */
export type EventSchemas = { readonly [id: string]: EventSchema };

type DataOf<E> = E extends { readonly data: infer S extends StandardSchemaV1 } ? InferOutput<S> : undefined;

/**
 * The event map a schema map describes, from the schemas' output types: what a handler or `events$` subscriber
 * receives after validation.
 *
 * ```ts
 * const schemas = { 'chat/send': { data: z.object({ text: z.string() }), reply: z.object({ ok: z.boolean() }) } };
 * type Events = InferEventMap<typeof schemas>; // { 'chat/send': { data: { text: string }; reply: { ok: boolean } } }
 * ```
 */
export type InferEventMap<S extends EventSchemas> = {
  -readonly [K in keyof S]: (S[K] extends { readonly reply: infer R extends StandardSchemaV1 }
    ? { data: DataOf<S[K]>; reply: InferOutput<R> }
    : { data: DataOf<S[K]> }) &
    (S[K] extends { readonly stream: infer T extends StandardSchemaV1 } ? { stream: InferOutput<T> } : unknown);
};

/** Checks the `schemas` option at construction; returns a message for the first bad entry, or undefined. */
export function schemasProblem(schemas: unknown): string | undefined {
  if (schemas === undefined) return undefined;
  if (typeof schemas !== 'object' || schemas === null || Array.isArray(schemas)) return 'must be an object: event id -> { data?, reply? }';
  for (const [id, entry] of Object.entries(schemas)) {
    if (typeof entry !== 'object' || entry === null) return `entry "${id}" must be an object { data?, reply? }`;
    for (const field of ['data', 'reply', 'stream'] as const) {
      const s = (entry as Record<string, unknown>)[field];
      if (s !== undefined && !isStandardSchema(s)) {
        return `"${id}".${field} is not a Standard Schema v1 validator (Zod 4, Valibot, ArkType, or an object with '~standard')`;
      }
    }
  }
  return undefined;
}

function isStandardSchema(s: unknown): s is StandardSchemaV1 {
  if ((typeof s !== 'object' && typeof s !== 'function') || s === null) return false;
  const std = (s as { '~standard'?: { version?: unknown; validate?: unknown } })['~standard'];
  return typeof std === 'object' && std !== null && std.version === 1 && typeof std.validate === 'function';
}

/** The schema entry of `id`, own properties only (an id such as `__proto__` or `toString` finds nothing). */
export function schemaOf(schemas: EventSchemas, id: string): EventSchema | undefined {
  return Object.prototype.hasOwnProperty.call(schemas, id) ? schemas[id] : undefined;
}
