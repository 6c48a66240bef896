/**
 * A call to an app or a sidecar, in HTTP terms, because that is what Dapr's invocation
 * API carries end to end (verb, path, query, headers, status).
 */
export interface InvokeRequest {
  /** The method path after `/method/`, without a leading slash; may contain slashes. */
  method: string;
  /** GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, ... */
  httpVerb: string;
  /** The raw query string without `?`, or empty. */
  query: string;
  /** Header names lower-cased. */
  headers: Record<string, string | string[]>;
  body: Uint8Array;
  /** Aborts the call, for example when the caller's connection goes away. */
  signal?: AbortSignal;
}

export interface InvokeResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
}

/** The connection from a sidecar to its own app. */
export interface AppChannel {
  invoke(request: InvokeRequest): Promise<InvokeResponse>;
  close(): Promise<void>;
}
