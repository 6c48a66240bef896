import { randomInt } from 'node:crypto';

// Two short word lists give readable ids (like the dapr CLI's generated names) without a dependency.
const FIRST = ['amber', 'brisk', 'calm', 'deft', 'eager', 'fleet', 'glad', 'hale', 'keen', 'lucid', 'merry', 'nimble', 'quiet', 'spry', 'swift', 'tidy'];
const SECOND = ['anvil', 'beacon', 'cog', 'dynamo', 'gear', 'lever', 'piston', 'pulley', 'rivet', 'rotor', 'spindle', 'spring', 'turbine', 'valve', 'winch', 'wrench'];

/** An app id for `mecha run` without --app-id, e.g. `swift-piston-4821`. */
export function randomAppId(): string {
  return `${FIRST[randomInt(FIRST.length)]}-${SECOND[randomInt(SECOND.length)]}-${randomInt(1000, 10000)}`;
}
