import express, { type Router } from 'express';
import { ErrorCode } from '../protocol/codes';
import type { ServerCore } from './ServerCore';

/**
 * The Express router of the endpoint. The Ajax long-poll transport is to come (PROTOCOL.md, "Ajax"); until
 * then GET and POST answer 501 with a JSON body naming the code.
 */
export function createAjaxRouter(core: ServerCore): Router {
  const router = express.Router();
  router.all('/', (_req, res) => {
    res.status(501).json({ code: ErrorCode.BadMessage, message: 'the Ajax transport is not available in this version; use WebSocket' });
  });
  void core;
  return router;
}
