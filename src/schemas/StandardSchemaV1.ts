/**
 * The Standard Schema v1 interface (https://standardschema.dev), declared here so sente-rx needs no package for
 * it: Zod 4, Valibot, ArkType and any other validator that carries a `~standard` property fit it as they are.
 * Structurally the same as `StandardSchemaV1` of `@standard-schema/spec` (a types-only package).
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaProps<Input, Output>;
}

/** The `~standard` property of a schema. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  /** Validates a value: the (possibly transformed) value on success, issues otherwise; may be async. */
  readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  /** Types only: what the schema accepts and what it produces. */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/** What `validate` returns. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

/** One problem a validator found. */
export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** The type a schema produces (after transforms and defaults). */
export type InferOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'];

/** The type a schema accepts. */
export type InferInput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['input'];
