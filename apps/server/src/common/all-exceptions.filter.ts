import { Catch } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { toErrorResponse } from './error-body';
import type { HttpResponse } from './http.types';

/** Every HTTP error leaves as `{ error: { kind, code, message, ... } }`; nothing a request does takes the process down. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const res = host.switchToHttp().getResponse<HttpResponse>();
    const { status, info } = toErrorResponse(exception);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json({ error: info });
  }
}
