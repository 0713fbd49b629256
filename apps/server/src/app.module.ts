import { Module } from '@nestjs/common';
import { HealthController } from './health/health.controller';
import { NodesController } from './nodes/nodes.controller';

@Module({ controllers: [HealthController, NodesController] })
export class AppModule {}
