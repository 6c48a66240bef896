import { MechaError, silentLogger, type Logger } from '@mecha/core';
import { isPlainObject, toText } from './cloud-event.ts';
import type { BulkSubscribeOptions, RouteRule, SubscriptionSpec } from './subscription.ts';

export interface ParseSubscriptionsOptions {
  /** Warned about entries that are skipped (no route at all), as daprd does. */
  logger?: Logger;
}

class MalformedList extends Error {}

/**
 * Reads the app's subscription list (its `GET /dapr/subscribe` answer) in both shapes Dapr
 * accepts: v1 entries with `route`, v2 entries with `routes: { rules, default }`; either may
 * carry `metadata`, `deadLetterTopic` and `bulkSubscribe`. Field names match
 * case-insensitively (daprd decodes with Go's JSON rules, so `pubsubName` works too).
 * Accepts the decoded JSON, or its text/bytes; an empty answer is no subscriptions.
 * Anything malformed throws a MechaError naming the entry and the field.
 */
export function parseProgrammaticSubscriptions(
  json: unknown,
  options: ParseSubscriptionsOptions = {},
): SubscriptionSpec[] {
  const logger = options.logger ?? silentLogger();
  try {
    const list = decode(json);
    const specs: SubscriptionSpec[] = [];
    list.forEach((entry, index) => {
      const spec = parseEntry(entry, index);
      if (spec.routes.rules.length === 0 && !spec.routes.default) {
        logger.warn(
          { pubsubname: spec.pubsubName, topic: spec.topic },
          `subscription to topic ${spec.topic} has no route; ignoring it`,
        );
        return;
      }
      specs.push(spec);
    });
    return specs;
  } catch (error) {
    if (!(error instanceof MalformedList)) throw error;
    throw new MechaError(
      'ERR_MALFORMED_RESPONSE',
      'invalid-argument',
      `the app's subscription list is malformed: ${error.message}`,
      {
        reason: 'DAPR_PUBSUB_SUBSCRIPTIONS_MALFORMED',
      },
    );
  }
}

function decode(json: unknown): unknown[] {
  let value = json;
  if (value instanceof Uint8Array) value = toText(value);
  if (typeof value === 'string') {
    if (value.trim() === '') return [];
    try {
      value = JSON.parse(value) as unknown;
    } catch (error) {
      throw new MalformedList(`not JSON (${(error as Error).message})`);
    }
  }
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value))
    throw new MalformedList(`expected a JSON array of subscriptions, got ${describe(value)}`);
  return value;
}

/** Reads fields of a JSON object case-insensitively, naming the entry in errors. */
class Fields {
  readonly #values = new Map<string, unknown>();
  readonly #where: string;

  constructor(value: unknown, where: string) {
    if (!isPlainObject(value))
      throw new MalformedList(`${where} must be an object, got ${describe(value)}`);
    this.#where = where;
    for (const [key, item] of Object.entries(value)) {
      const lower = key.toLowerCase();
      if (!this.#values.has(lower)) this.#values.set(lower, item);
    }
  }

  raw(name: string): unknown {
    const value = this.#values.get(name.toLowerCase());
    return value === null ? undefined : value;
  }

  string(name: string, required = false): string | undefined {
    const value = this.raw(name);
    if (value === undefined || value === '') {
      if (required) throw new MalformedList(`${this.#where}: field "${name}" is required`);
      return undefined;
    }
    if (typeof value !== 'string')
      throw new MalformedList(
        `${this.#where}: field "${name}" must be a string, got ${describe(value)}`,
      );
    return value;
  }

  stringMap(name: string): Record<string, string> {
    const value = this.raw(name);
    if (value === undefined) return {};
    if (!isPlainObject(value))
      throw new MalformedList(
        `${this.#where}: field "${name}" must be an object of strings, got ${describe(value)}`,
      );
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string') out[key] = item;
      else if (typeof item === 'number' || typeof item === 'boolean') out[key] = String(item);
      else
        throw new MalformedList(
          `${this.#where}: ${name}.${key} must be a string, got ${describe(item)}`,
        );
    }
    return out;
  }

  nested(name: string): Fields | undefined {
    const value = this.raw(name);
    return value === undefined ? undefined : new Fields(value, `${this.#where}.${name}`);
  }

  get where(): string {
    return this.#where;
  }
}

function parseEntry(entry: unknown, index: number): SubscriptionSpec {
  const fields = new Fields(entry, `entry ${index}`);
  const pubsubName = fields.string('pubsubname', true)!;
  const topic = fields.string('topic', true)!;
  const routes = fields.nested('routes');
  const rules: RouteRule[] = [];
  let defaultRoute: string | undefined;
  if (routes) {
    const rawRules = routes.raw('rules');
    if (rawRules !== undefined) {
      if (!Array.isArray(rawRules))
        throw new MalformedList(
          `${routes.where}: field "rules" must be an array, got ${describe(rawRules)}`,
        );
      rawRules.forEach((rule, position) => {
        const ruleFields = new Fields(rule, `${routes.where}.rules[${position}]`);
        rules.push({
          match: ruleFields.string('match') ?? '',
          path: ruleFields.string('path', true)!,
        });
      });
    }
    defaultRoute = routes.string('default');
  }
  // daprd uses the v1 `route` only when the v2 default is empty.
  defaultRoute ??= fields.string('route');
  const spec: SubscriptionSpec = {
    pubsubName,
    topic,
    routes: defaultRoute === undefined ? { rules } : { rules, default: defaultRoute },
    metadata: fields.stringMap('metadata'),
    source: 'programmatic',
  };
  const deadLetterTopic = fields.string('deadLetterTopic');
  if (deadLetterTopic) spec.deadLetterTopic = deadLetterTopic;
  const bulk = fields.nested('bulkSubscribe');
  if (bulk) spec.bulkSubscribe = parseBulk(bulk);
  return spec;
}

function parseBulk(fields: Fields): BulkSubscribeOptions {
  const enabled = fields.raw('enabled') ?? false;
  if (typeof enabled !== 'boolean')
    throw new MalformedList(
      `${fields.where}: field "enabled" must be a boolean, got ${describe(enabled)}`,
    );
  const options: BulkSubscribeOptions = { enabled };
  for (const name of ['maxMessagesCount', 'maxAwaitDurationMs'] as const) {
    const value = fields.raw(name);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new MalformedList(
        `${fields.where}: field "${name}" must be a whole number, got ${describe(value)}`,
      );
    }
    options[name] = value;
  }
  return options;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
