import { ApiException, HttpMethod, IsomorphicFetchHttpLibrary, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import { markStartup } from '../observability/startup.ts';

/** What one call sends besides its method and path. */
interface ApiCall {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** The body's media type; JSON unless said (a merge patch says so here). */
  readonly contentType?: string;
  readonly accept?: string;
}

export type ApiRequest = <T>(method: keyof typeof HttpMethod, path: string, call?: ApiCall) => Promise<T>;

/**
 * Requests through the same client-node pieces its generated API classes and its Watch use — KubeConfig's
 * authentication and TLS (token refresh, exec and OIDC providers, client certificates, its undici
 * dispatcher) and its fetch-based HTTP library — without those API classes. Loading CoreV1Api loads
 * client-node's ObjectSerializer and with it all 759 model classes: a bundle twice the size and 6.6 MiB
 * more resident memory in every DaemonSet pod (issue 18), for five calls. Answers are the API server's
 * JSON as sent (as Watch events always were): timestamps are strings, a list's token is `continue`.
 * Failures are client-node's ApiException with the status, the body's text and the headers, as the
 * generated classes throw them.
 */
export function apiRequester(config: KubeConfig): ApiRequest {
  const http = new IsomorphicFetchHttpLibrary();
  return async <T>(method: keyof typeof HttpMethod, path: string, call: ApiCall = {}): Promise<T> => {
    const cluster = config.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig names no current cluster');
    const url = new URL(cluster.server + path);
    for (const [key, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const request = new RequestContext(url.toString(), HttpMethod[method]);
    request.setHeaderParam('Accept', call.accept ?? 'application/json');
    if (call.body !== undefined) {
      request.setHeaderParam('Content-Type', call.contentType ?? 'application/json');
      request.setBody(JSON.stringify(call.body));
    }
    await config.applySecurityAuthentication(request);
    const response = await http.send(request).toPromise();
    markStartup('firstAnswer');
    const text = await response.body.text();
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new ApiException(response.httpStatusCode, `HTTP ${response.httpStatusCode}`, text, response.headers);
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
}

/** A path segment (a name or namespace) as the generated client sends it. */
export const segment = encodeURIComponent;
