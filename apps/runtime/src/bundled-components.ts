import { ComponentRegistry } from '@mecha/core';
import { definition as nameResolutionLocal } from '@mecha/nameresolution-local';
import { definition as pubsubMemory } from '@mecha/pubsub-memory';
import { definition as stateMemory } from '@mecha/state-memory';
import { definition as stateSqlite } from '@mecha/state-sqlite';

/** Every component `mechad` ships with. A new component package is added here once. */
export function bundledComponents(): ComponentRegistry {
  return new ComponentRegistry().register(stateMemory, stateSqlite, pubsubMemory, nameResolutionLocal);
}
