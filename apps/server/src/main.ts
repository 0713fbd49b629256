import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8188;

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  const host = process.env.MASKFLOW_HOST ?? DEFAULT_HOST;
  const port = Number(process.env.MASKFLOW_PORT ?? DEFAULT_PORT);
  await app.listen(port, host);
  console.log(`Maskflow server listening on http://${host}:${port}`);
}

bootstrap().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
