import { timingSafeEqual, createHash } from 'node:crypto';
import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SERVER_CONFIG } from '../config/server.config';
import type { ServerConfig } from '../config/server.config';
import { ApiError } from './api.error';
import type { HttpRequest } from './http.types';

const PUBLIC = 'maskflow:public';
/** Marks a handler reachable without the token (health checks). */
export const Public = () => SetMetadata(PUBLIC, true);

/** Constant-time comparison on digests, so neither content nor length leaks through timing. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

export function tokenFromRequest(req: HttpRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string' && /^Bearer\s+/i.test(h)) return h.replace(/^Bearer\s+/i, '').trim();
  const q = req.query?.token;
  return typeof q === 'string' ? q : undefined;
}

/** When MASKFLOW_TOKEN is set, every route but the public ones needs it. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const token = this.config.token;
    if (!token) return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    const given = tokenFromRequest(ctx.switchToHttp().getRequest<HttpRequest>());
    if (tokenMatches(token, given)) return true;
    throw ApiError.user(
      401,
      'unauthorized',
      given === undefined
        ? 'this server requires an access token: send "Authorization: Bearer <token>" or ?token=<token>'
        : 'the access token is wrong',
    );
  }
}
