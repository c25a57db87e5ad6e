import type { RequestHandler } from 'express';
import { AppError } from '../errors';

/** 415 unless the body is declared as JSON; runs before the body is read. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is(['application/json', 'application/*+json'])) {
    throw new AppError({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      status: 415,
      message: 'The body must be JSON.',
      actions: ['Send Content-Type: application/json.'],
    });
  }
  next();
};
