import { Inject, Injectable, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import type { NodeRegistry } from '@maskflow/nodes';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { AuthGuard } from './common/auth.guard';
import { SERVER_CONFIG } from './config/server.config';
import type { ServerConfig } from './config/server.config';
import { ArtifactController } from './controllers/artifact.controller';
import { RootController } from './controllers/root.controller';
import { RunController } from './controllers/run.controller';
import { SystemController } from './controllers/system.controller';
import { WorkflowController } from './controllers/workflow.controller';
import { RunGateway } from './gateways/run.gateway';
import { ArtifactRepository } from './repositories/artifact.repository';
import { EngineRepository, NODE_REGISTRY } from './repositories/engine.repository';
import { EventBusRepository } from './repositories/event-bus.repository';
import { ImageRepository } from './repositories/image.repository';
import { ModelsRepository } from './repositories/models.repository';
import { RunArtifactRepository } from './repositories/run-artifact.repository';
import { RunEventRepository } from './repositories/run-event.repository';
import { RunRepository } from './repositories/run.repository';
import { StorageRepository } from './repositories/storage.repository';
import { WorkflowRepository } from './repositories/workflow.repository';
import { ArtifactService } from './services/artifact.service';
import { QueueService } from './services/queue.service';
import { RunEventService } from './services/run-event.service';
import { RunService } from './services/run.service';
import { SystemService } from './services/system.service';
import { WorkflowService } from './services/workflow.service';

/** Closes the database last, after the queue has stopped writing. */
@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

export const REPOSITORIES = [
  ArtifactRepository,
  EngineRepository,
  EventBusRepository,
  ImageRepository,
  ModelsRepository,
  RunArtifactRepository,
  RunEventRepository,
  RunRepository,
  StorageRepository,
  WorkflowRepository,
];
export const SERVICES = [
  ArtifactService,
  QueueService,
  RunEventService,
  RunService,
  SystemService,
  WorkflowService,
];
export const CONTROLLERS = [
  SystemController,
  WorkflowController,
  RunController,
  ArtifactController,
  RootController,
];

@Module({})
export class AppModule {
  static forRoot(config: ServerConfig, dataSource: DataSource, registry: NodeRegistry): DynamicModule {
    return {
      module: AppModule,
      imports: [
        MulterModule.register({
          // Bounded before any byte is kept: one file, a few fields.
          limits: { fileSize: config.maxUploadBytes, files: 1, fields: 5, parts: 6, fieldSize: 64 * 1024 },
        }),
      ],
      controllers: CONTROLLERS,
      providers: [
        { provide: SERVER_CONFIG, useValue: config },
        { provide: DataSource, useValue: dataSource },
        { provide: NODE_REGISTRY, useValue: registry },
        ...REPOSITORIES,
        ...SERVICES,
        RunGateway,
        DatabaseLifecycle,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
