import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createNodeRegistry } from '@maskflow/nodes';
import type { NodeRegistry } from '@maskflow/nodes';
import { AppModule } from './app.module';
import { editorFallback } from './common/editor-fallback';
import { toErrorResponse } from './common/error-body';
import type { HttpRequest, HttpResponse, NextFn } from './common/http.types';
import { assertSafeBinding, configFromEnv } from './config/server.config';
import type { ServerConfig } from './config/server.config';
import { openDataSource } from './database/data-source';
import { MaskflowIoAdapter } from './gateways/socket-io.adapter';

export interface CreateAppOptions extends Partial<ServerConfig> {
  /** Node types the server runs; default every built-in one. Tests add slow or failing nodes. */
  registry?: NodeRegistry;
  /** Nest's log levels; false silences it (tests). */
  logger?: LogLevel[] | false;
}

export interface MaskflowApp {
  app: NestExpressApplication;
  /** `http://host:port`, with the port actually bound (port 0 picks a free one). */
  url: string;
  config: ServerConfig;
  close(): Promise<void>;
}

/**
 * Builds and starts the whole server in this process: database (migrations
 * run), queue recovery, REST, OpenAPI, socket.io. Options override the
 * environment (MASKFLOW_*), which overrides the defaults.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<MaskflowApp> {
  const { registry, logger, ...overrides } = options;
  const defined = Object.fromEntries(
    Object.entries(overrides).filter(([, v]) => v !== undefined),
  ) as Partial<ServerConfig>;
  const config: ServerConfig = { ...configFromEnv(), ...defined };
  assertSafeBinding(config);

  const dataSource = await openDataSource(config);
  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot(config, dataSource, registry ?? createNodeRegistry()),
      {
        bodyParser: false,
        cors: config.corsOrigin?.length ? { origin: config.corsOrigin, credentials: false } : false,
        logger: logger ?? ['log', 'warn', 'error'],
        abortOnError: false,
        // On close (after the queue and engine have stopped), sockets still open are closed rather than
        // waited for: a keep-alive connection whose last response (a streamed artifact) was still finishing
        // when the server began closing would otherwise hold the close for keepAliveTimeout (65 s).
        forceCloseConnections: true,
      },
    );
  } catch (err) {
    await dataSource.destroy();
    throw err;
  }
  app.disable('x-powered-by');
  app.useBodyParser('json', { limit: config.jsonLimitBytes, strict: false });
  // Parse errors (malformed JSON, too large) answer in the API's error format, before any route.
  app.use((err: unknown, _req: HttpRequest, res: HttpResponse, next: NextFn) => {
    if (!err) return next();
    const { status, info } = toErrorResponse(err);
    res.status(status).json({ error: info });
  });
  app.useWebSocketAdapter(new MaskflowIoAdapter(app, config));
  if (existsSync(path.join(config.uiDir, 'index.html'))) {
    app.useStaticAssets(config.uiDir, { index: 'index.html' });
    // A reload on a client-side route gets the editor too, not a 404.
    app.use(editorFallback(config.uiDir));
  }

  const openapi = new DocumentBuilder()
    .setTitle('Maskflow')
    .setDescription(
      'Node-based workflows for text-prompted image editing. Events and remote runs: socket.io at /socket.io (see docs/server.md).',
    )
    .setVersion(config.version)
    .addBearerAuth()
    .addSecurityRequirements('bearer')
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openapi), {
    jsonDocumentUrl: 'api/docs/openapi.json',
  });

  await app.listen(config.port, config.host);
  // Longer than clients' and proxies' idle timeouts, so the server is not the side that closes a reused connection.
  const http = app.getHttpServer() as { keepAliveTimeout: number; headersTimeout: number };
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  const { port } = app.getHttpServer().address() as AddressInfo;
  const host = config.host.includes(':')
    ? `[${config.host}]`
    : config.host === '0.0.0.0'
      ? '127.0.0.1'
      : config.host;
  return { app, url: `http://${host}:${port}`, config: { ...config, port }, close: () => app.close() };
}
