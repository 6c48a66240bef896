import { z } from 'zod';
import { parseDuration } from './duration.ts';

/**
 * A component's metadata schema: one typed descriptor per Dapr metadata field. The same
 * object validates a resource file's `spec.metadata`, types the component's factory
 * argument, and renders the README/docs table, so code and documentation cannot drift.
 */
export type FieldType = 'string' | 'number' | 'boolean' | 'duration' | 'json';

interface FieldBase<T extends FieldType> {
  type: T;
  description: string;
  required?: boolean;
  /** Value when the field is absent (already in the field's type). */
  default?: FieldValue<T>;
  /** Never logged or returned by the metadata API. */
  sensitive?: boolean;
  example?: string;
  /** Allowed values, for string fields. */
  allowed?: readonly string[];
}

export type FieldValue<T extends FieldType> = T extends 'string'
  ? string
  : T extends 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'duration'
        ? number // milliseconds
        : unknown;

export type MetadataField =
  | FieldBase<'string'>
  | FieldBase<'number'>
  | FieldBase<'boolean'>
  | FieldBase<'duration'>
  | FieldBase<'json'>;

export type MetadataSchema = Readonly<Record<string, MetadataField>>;

type IsPresent<F extends MetadataField> = F extends { required: true }
  ? true
  : F extends { default: unknown }
    ? true
    : false;

/** The validated metadata a factory receives: required or defaulted fields are present. */
export type MetadataOf<S extends MetadataSchema> = {
  [K in keyof S as IsPresent<S[K]> extends true ? K : never]: FieldValue<S[K]['type']>;
} & {
  [K in keyof S as IsPresent<S[K]> extends true ? never : K]?: FieldValue<S[K]['type']>;
};

/** Identity helper that keeps the literal types of a schema for inference. */
export function defineMetadata<const S extends MetadataSchema>(schema: S): S {
  return schema;
}

const booleanText = z.union([
  z.boolean(),
  z.stringbool({ truthy: ['true', '1', 'yes', 'on', 'y'], falsy: ['false', '0', 'no', 'off', 'n', ''] }),
]);

function fieldValidator(field: MetadataField): z.ZodType {
  switch (field.type) {
    case 'string': {
      const base = z.union([z.string(), z.number(), z.boolean()]).transform(String);
      if (!field.allowed) return base;
      const allowed = field.allowed;
      return base.refine((value) => allowed.includes(value), {
        message: `must be one of: ${allowed.join(', ')}`,
      });
    }
    case 'number':
      return z.union([z.number(), z.string().trim().min(1)]).pipe(z.coerce.number<string | number>().finite());
    case 'boolean':
      return booleanText;
    case 'duration':
      return z.union([z.number(), z.string()]).transform((value, ctx) => {
        try {
          return parseDuration(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      });
    case 'json':
      return z.unknown().transform((value, ctx) => {
        if (typeof value !== 'string') return value;
        try {
          return JSON.parse(value) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
          return z.NEVER;
        }
      });
  }
}

export interface MetadataIssue {
  field: string;
  message: string;
}

export class MetadataValidationError extends Error {
  override readonly name = 'MetadataValidationError';
  readonly issues: MetadataIssue[];
  constructor(issues: MetadataIssue[]) {
    super(issues.map((issue) => `metadata field "${issue.field}": ${issue.message}`).join('; '));
    this.issues = issues;
  }
}

export interface ValidateOptions {
  /** Field names accepted and passed through without validation (for example a block's common fields). */
  passthrough?: Iterable<string>;
  /** Called for a field the schema does not know. Dapr ignores such fields, so by default they are only reported. */
  onUnknownField?: (name: string) => void;
}

/**
 * Validates raw metadata (string values from YAML, or typed values) against a schema and
 * returns typed values with defaults applied. Throws MetadataValidationError naming every bad field.
 */
export function validateMetadata<S extends MetadataSchema>(
  schema: S,
  raw: Readonly<Record<string, unknown>>,
  options: ValidateOptions = {},
): MetadataOf<S> {
  const issues: MetadataIssue[] = [];
  const out: Record<string, unknown> = {};
  const passthrough = new Set(options.passthrough ?? []);
  for (const [name, field] of Object.entries(schema)) {
    const value = raw[name];
    if (value === undefined || value === null || (value === '' && field.type !== 'string')) {
      if (field.default !== undefined) out[name] = field.default;
      else if (field.required) issues.push({ field: name, message: 'is required' });
      continue;
    }
    const parsed = fieldValidator(field).safeParse(value);
    if (parsed.success) out[name] = parsed.data;
    else issues.push({ field: name, message: parsed.error.issues.map((i) => i.message).join(', ') });
  }
  for (const [name, value] of Object.entries(raw)) {
    if (name in schema) continue;
    if (passthrough.has(name)) out[name] = value;
    else options.onUnknownField?.(name);
  }
  if (issues.length > 0) throw new MetadataValidationError(issues);
  return out as MetadataOf<S>;
}

/** Names of the fields that must never be shown (logs, metadata API). */
export function sensitiveFields(schema: MetadataSchema): string[] {
  return Object.entries(schema)
    .filter(([, field]) => field.sensitive)
    .map(([name]) => name);
}

/** The Markdown config table for a README or docs page, generated from the schema. */
export function renderMetadataTable(schema: MetadataSchema): string {
  const rows = Object.entries(schema).map(([name, field]) => {
    const cells = [
      `\`${name}\``,
      field.type,
      field.required ? 'yes' : 'no',
      field.default === undefined ? '' : `\`${String(field.default)}\``,
      field.sensitive ? 'yes' : '',
      (field.description + (field.allowed ? ` One of: ${field.allowed.map((v) => `\`${v}\``).join(', ')}.` : '')).replace(/\|/g, '\\|'),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return ['| Field | Type | Required | Default | Sensitive | Description |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
