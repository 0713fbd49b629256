export { createApp } from './app.factory';
export type { CreateAppOptions, MaskflowApp } from './app.factory';
export {
  configFromEnv,
  assertSafeBinding,
  isLoopback,
  DEFAULT_HOST,
  DEFAULT_PORT,
} from './config/server.config';
export type { ServerConfig } from './config/server.config';
