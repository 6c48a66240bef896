import type { Environment } from '@marcbachmann/cel-js';
import { errorMessage } from '@mecha/core';
import type { CloudEventObject } from './cloud-event.ts';
import { subscriptionError } from './pubsub-errors.ts';
import type { RouteRule, SubscriptionSpec } from './subscription.ts';
import { subscriptionLabel } from './subscription.ts';

// The CEL library is loaded with the first subscription that has a rule, not at start-up:
// most sidecars never route by content. As in daprd, `event` is the only declared variable;
// other identifiers are dynamic.
let celEnvironment: Promise<Environment> | undefined;
function loadCel(): Promise<Environment> {
  celEnvironment ??= import('@marcbachmann/cel-js').then(({ Environment }) =>
    new Environment({ unlistedVariablesAreDyn: true }).registerVariable('event', 'map'),
  );
  return celEnvironment;
}

type Predicate = (event: CloudEventObject) => boolean;

interface CompiledRule {
  rule: RouteRule;
  matches: Predicate;
}

const always: Predicate = () => true;

/**
 * A subscription's routing rules compiled once: evaluated in order against each event, the
 * first true rule gives the path, then the default route. An expression that does not parse
 * or cannot yield a boolean is refused when the subscription is made, naming it.
 */
export class RouteTable {
  readonly #rules: CompiledRule[];

  static async create(spec: SubscriptionSpec): Promise<RouteTable> {
    const needsCel = spec.routes.rules.some((rule) => rule.match.trim() !== '');
    return new RouteTable(spec, needsCel ? await loadCel() : undefined);
  }

  private constructor(spec: SubscriptionSpec, environment: Environment | undefined) {
    const label = subscriptionLabel(spec);
    this.#rules = spec.routes.rules.map((rule, index) => ({
      rule,
      matches: compile(rule, index, label, environment),
    }));
    if (spec.routes.default)
      this.#rules.push({ rule: { match: '', path: spec.routes.default }, matches: always });
    if (this.#rules.length === 0)
      throw subscriptionError(label, 'has no route (give a route, routes.rules or routes.default)');
  }

  /** The rules in evaluation order with the default last (empty `match`), as the metadata API lists them. */
  get rules(): RouteRule[] {
    return this.#rules.map(({ rule }) => ({ ...rule }));
  }

  /** The path for this event, or undefined when nothing matches. Throws when a rule cannot be evaluated. */
  route(event: CloudEventObject): string | undefined {
    for (const { rule, matches } of this.#rules) {
      if (matches(event)) return rule.path;
    }
    return undefined;
  }
}

function compile(rule: RouteRule, index: number, label: string, environment: Environment | undefined): Predicate {
  if (!rule.path) throw subscriptionError(label, `routing rule ${index + 1} has no path`);
  if (rule.match.trim() === '' || !environment) return always;
  let evaluate: ReturnType<Environment['parse']>;
  try {
    evaluate = environment.parse(rule.match);
  } catch (error) {
    throw subscriptionError(
      label,
      `routing rule ${index + 1} match "${rule.match}" is not a valid CEL expression: ${firstLine(error)}`,
      error,
    );
  }
  const checked = evaluate.check();
  if (!checked.valid) {
    throw subscriptionError(
      label,
      `routing rule ${index + 1} match "${rule.match}" is not a valid CEL expression: ${firstLine(checked.error)}`,
    );
  }
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw subscriptionError(
      label,
      `routing rule ${index + 1} match "${rule.match}" yields ${checked.type}, not a boolean`,
    );
  }
  return (event) => {
    const result: unknown = evaluate({ event });
    if (typeof result !== 'boolean') {
      throw new TypeError(
        `routing rule "${rule.match}" did not evaluate to a boolean (got ${typeof result})`,
      );
    }
    return result;
  };
}

function firstLine(error: unknown): string {
  return errorMessage(error).split('\n', 1)[0]!;
}
