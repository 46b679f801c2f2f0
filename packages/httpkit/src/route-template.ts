import type { Request } from 'express';
import type { MountedLayer, RouteCandidate, RouterLayer } from './internal-types.ts';

// Route object → its full template (one place in the tree), or every place it is mounted.
const templates = new WeakMap<object, string | RouteCandidate[]>();
const MAX_DEPTH = 32;

/**
 * The full route template of the route that matched `req` (`/api/users/:id` for
 * `app.use('/api', router)` + `router.get('/users/:id')`), or undefined when no route matched.
 * The template is found once per route object by walking the app's router tree and cached, so a
 * request only pays a WeakMap lookup; mount templates stay templates even for `/tenants/:id` mounts.
 */
export function routeTemplate(req: Request): string | undefined {
  const route = (req as { route?: unknown }).route;
  if (route === null || typeof route !== 'object') return undefined;
  let found = templates.get(route);
  if (typeof found === 'string') return found;
  if (found === undefined) {
    found = discover(req.app, route);
    templates.set(route, found.length === 1 ? found[0]!.template : found);
    if (found.length === 1) return found[0]!.template;
  }
  if (found.length === 0) return joinPaths(req.baseUrl ?? '', pathText((route as { path?: unknown }).path));
  return chooseByBaseUrl(found, req.baseUrl ?? '') ?? found[0]!.template;
}

function discover(app: unknown, route: object): RouteCandidate[] {
  const holder = app as { router?: { stack?: unknown }; parent?: unknown; path?: () => string } | undefined;
  const stack = holder?.router?.stack;
  const out: RouteCandidate[] = [];
  if (!Array.isArray(stack)) return out;
  const prefix = holder?.parent !== undefined && typeof holder.path === 'function' ? trimSlash(holder.path()) : '';
  walk(stack as RouterLayer[], prefix, [], route, out, 0);
  return out;
}

function walk(
  stack: RouterLayer[],
  prefix: string,
  mounts: MountedLayer[],
  route: object,
  out: RouteCandidate[],
  depth: number,
): void {
  for (const layer of stack) {
    if (layer.route !== undefined) {
      if (layer.route === route)
        out.push({
          template: joinPaths(prefix, pathText(layer.route.path)),
          mounts,
        });
      continue;
    }
    const inner = (layer.handle as { stack?: unknown } | undefined)?.stack;
    if (!Array.isArray(inner) || depth >= MAX_DEPTH) continue;
    if (layer.slash === true) {
      walk(inner as RouterLayer[], prefix, mounts, route, out, depth + 1);
      continue;
    }
    const patterns = Array.isArray(layer.rawPath) ? layer.rawPath : [layer.rawPath];
    for (const pattern of patterns) {
      const nextMounts = [...mounts, { layer, pattern }];
      walk(inner as RouterLayer[], joinPaths(prefix, pathText(pattern)), nextMounts, route, out, depth + 1);
    }
  }
}

// A route reachable through several mounts: pick the mount chain that matches this request's baseUrl.
function chooseByBaseUrl(candidates: RouteCandidate[], baseUrl: string): string | undefined {
  for (const candidate of candidates) {
    let rest = baseUrl;
    let matched = true;
    for (const { layer, pattern } of candidate.mounts) {
      const result = typeof layer.match === 'function' ? layer.match(rest) : false;
      if (!result || result.pattern !== pattern || !rest.startsWith(result.path)) {
        matched = false;
        break;
      }
      rest = rest.slice(result.path.length);
    }
    if (matched && (rest === '' || rest === '/')) return candidate.template;
  }
  return undefined;
}

function pathText(path: unknown): string {
  if (typeof path === 'string') return path;
  if (Array.isArray(path)) return path.map(pathText).join(',');
  return path instanceof RegExp ? path.toString() : '';
}

function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

function joinPaths(prefix: string, path: string): string {
  const head = trimSlash(prefix);
  if (path === '' || path === '/') return head === '' ? '/' : head;
  return head + (path.startsWith('/') ? path : `/${path}`);
}
