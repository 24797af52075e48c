// A table router: a route is one line `route('GET', '/networks/{id}', handler)`. Patterns are
// matched after the /v{X.Y} prefix is stripped; `{name}` takes one path segment, `{name*}` one or
// more (image names such as `netd/base` arrive with their slashes unescaped). Routes that
// hijack the connection (attach, exec start) add an `upgrade` handler, which the server calls
// from its 'upgrade' event with the raw socket.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The negotiated API version (the path's, or the newest for unversioned paths). */
  readonly apiVersion: string;
}

export interface UpgradeContext {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  /** Bytes that arrived after the request headers (a JSON body, then stdin). */
  readonly head: Buffer;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly apiVersion: string;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;
export type UpgradeHandler = (ctx: UpgradeContext) => Promise<void> | void;

export interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly handle: Handler;
  readonly upgrade?: UpgradeHandler;
}

export const route = (method: string, pattern: string, handle: Handler, upgrade?: UpgradeHandler): Route => ({
  method,
  pattern,
  handle,
  ...(upgrade ? { upgrade } : {}),
});

interface Compiled {
  readonly route: Route;
  readonly regex: RegExp;
  readonly names: readonly string[];
}

export interface Match {
  readonly route: Route;
  readonly params: Record<string, string>;
}

function compile(r: Route): Compiled {
  const names: string[] = [];
  const source = r.pattern
    .split('/')
    .map((part) => {
      const m = /^\{(\w+)(\*?)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route: r, regex: new RegExp(`^${source}$`), names };
}

export class Router {
  private readonly compiled: readonly Compiled[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map(compile);
  }

  /** First route whose method and pattern match; undefined means moby's "page not found". */
  match(method: string, path: string): Match | undefined {
    for (const c of this.compiled) {
      if (c.route.method !== method) continue;
      const m = c.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      let ok = true;
      c.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]!);
        } catch {
          ok = false;
        }
      });
      if (ok) return { route: c.route, params };
    }
    return undefined;
  }
}
