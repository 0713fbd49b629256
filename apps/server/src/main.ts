import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';

/** `npm start`: the server from the environment (MASKFLOW_HOST, MASKFLOW_PORT, MASKFLOW_TOKEN, ...). */
async function bootstrap(): Promise<void> {
  const { app, url, config } = await createApp();
  app.enableShutdownHooks();
  const log = new Logger('Maskflow');
  log.log(
    `listening on ${url} (data: ${config.databaseUrl ? 'postgres' : config.dataDir}${config.token ? ', token required' : ''})`,
  );
  log.log(`API docs: ${url}/api/docs`);
}

bootstrap().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
