import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';

type Dispatch = (req: Request, res: Response, done: NextFunction) => void;
interface RouterLayer {
  match(path: string): unknown;
}
interface AppRouter {
  handle: Dispatch;
  stack: RouterLayer[];
}

const RELAYED = Symbol('httpkit.chainError');
type WithRelayed = { [RELAYED]?: unknown };

/**
 * Runs createApp's default chain ahead of the app's router instead of as its first layer: a router
 * layer costs every request a match, a params pass and a dispatch. An error the chain passes on
 * (a body the JSON parser refuses) enters the router through a first layer that matches only then,
 * so the app's error handlers receive it exactly as from a layer.
 */
export function runChainBeforeRouter(app: Express, chain: RequestHandler): void {
  const router = (app as unknown as { router: AppRouter }).router;
  const dispatch = router.handle;
  app.use(function httpkitChainError(req: Request, _res: Response, next: NextFunction): void {
    const error = (req as WithRelayed)[RELAYED];
    (req as WithRelayed)[RELAYED] = undefined;
    next(error);
  });
  const relay = router.stack[router.stack.length - 1]!;
  const matchAll = relay.match;
  // Set only around a dispatch that carries an error: the router matches its first layer synchronously.
  let relaying = false;
  relay.match = function matchRelayedError(this: RouterLayer, path: string): unknown {
    if (!relaying) return false;
    relaying = false;
    return matchAll.call(this, path);
  };
  router.handle = function httpkitDefaultChain(req: Request, res: Response, done: NextFunction): void {
    let entered = false;
    const enter = (error?: unknown): void => {
      entered = true;
      if (error) {
        (req as WithRelayed)[RELAYED] = error;
        relaying = true;
      }
      try {
        dispatch.call(router, req, res, done);
      } finally {
        relaying = false;
      }
    };
    try {
      chain(req, res, enter);
    } catch (error) {
      // As a layer's handler: a throw before the router was entered goes to the error handlers.
      if (entered) throw error;
      enter(error);
    }
  };
}
