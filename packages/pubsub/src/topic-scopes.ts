import { metadataValue } from './request-metadata.ts';

/**
 * Which topics one app may publish to and subscribe to on one pub/sub component, from the
 * component metadata daprd reads for this (`allowedTopics`, `protectedTopics`,
 * `publishingScopes`, `subscriptionScopes`).
 *
 * - `allowedTopics: a,b`: no other topic may be used by anyone.
 * - `publishingScopes: app1=a,b;app2=`: an app listed may publish only to its topics
 *   (`app2=` means none); an app not listed is unrestricted. The same for subscribing.
 * - `protectedTopics: c`: usable only by apps the matching scope lists with that topic.
 */
export class TopicScopes {
  readonly #allowed: string[];
  readonly #protected: string[];
  readonly #publishing: string[];
  readonly #subscribing: string[];

  constructor(metadata: Readonly<Record<string, string>>, appId: string) {
    this.#allowed = topicList(metadataValue(metadata, 'allowedTopics'));
    this.#protected = topicList(metadataValue(metadata, 'protectedTopics'));
    this.#publishing = scopedTopics(metadataValue(metadata, 'publishingScopes'), appId);
    this.#subscribing = scopedTopics(metadataValue(metadata, 'subscriptionScopes'), appId);
  }

  canPublish(topic: string): boolean {
    return this.#allows(topic, this.#publishing);
  }

  canSubscribe(topic: string): boolean {
    return this.#allows(topic, this.#subscribing);
  }

  #allows(topic: string, scoped: readonly string[]): boolean {
    if (this.#allowed.length > 0 && !this.#allowed.includes(topic)) return false;
    const isProtected = this.#protected.includes(topic);
    if (!isProtected && scoped.length === 0) return true;
    return scoped.includes(topic);
  }
}

function topicList(value: string | undefined): string[] {
  if (!value) return [];
  return [...new Set(value.replaceAll(' ', '').split(','))].filter((topic) => topic !== '');
}

/** The topics listed for `appId`; `app=` yields `['']`, which matches no topic, so the app gets none. */
function scopedTopics(value: string | undefined, appId: string): string[] {
  if (!value) return [];
  const topics = new Set<string>();
  for (const entry of value.replaceAll(' ', '').split(';')) {
    const separator = entry.indexOf('=');
    if (separator < 0 || entry.slice(0, separator) !== appId) continue;
    for (const topic of entry.slice(separator + 1).split(',')) topics.add(topic);
  }
  return [...topics];
}
