import {
  applyDecorators,
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { artifactIdSchema, pruneUploadsBodySchema, thumbnailQuerySchema } from '@maskflow/workflow';
import { fileResponse } from '../common/file-response';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { ArtifactService } from '../services/artifact.service';
import type { UploadedFile as Upload } from '../services/artifact.service';

const id = new ZodValidationPipe(artifactIdSchema, 'artifact id');

/** A multipart body with one file field named "file" (documented in OpenAPI as such). */
const FileField = () =>
  applyDecorators(
    ApiConsumes('multipart/form-data'),
    ApiBody({
      schema: {
        type: 'object',
        properties: { file: { type: 'string', format: 'binary' } },
        required: ['file'],
      },
    }),
    UseInterceptors(FileInterceptor('file')),
  );

@ApiTags('artifacts')
@Controller('api/artifacts')
export class ArtifactController {
  constructor(@Inject(ArtifactService) private readonly service: ArtifactService) {}

  @Post()
  @ApiOperation({
    summary:
      'Upload an image: type sniffed, byte and pixel limits, re-encoded without metadata; returns its id',
  })
  @FileField()
  upload(@UploadedFile() file: Upload | undefined) {
    return this.service.upload(file);
  }

  @Post('prune')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Delete uploads that no run and no saved workflow uses, last uploaded more than olderThanHours (default 24) ago; ' +
      'dryRun lists them only',
  })
  @ApiBody({
    required: false,
    schema: {
      type: 'object',
      properties: {
        olderThanHours: { type: 'number', default: 24 },
        dryRun: { type: 'boolean', default: false },
      },
    },
  })
  prune(
    @Body(new ZodValidationPipe(pruneUploadsBodySchema, 'prune request'))
    body: z.output<typeof pruneUploadsBodySchema>,
  ) {
    return this.service.pruneUploads(body.olderThanHours, body.dryRun);
  }

  @Post(':id/mask')
  @ApiOperation({
    summary:
      'Paint a mask on an uploaded image: the file (same size, white = masked) becomes the alpha of a new upload, ' +
      'which Load Image turns into its mask output; returns the new id',
  })
  @FileField()
  mask(@Param('id', id) aid: string, @UploadedFile() file: Upload | undefined) {
    return this.service.withMask(aid, file);
  }

  @Get(':id')
  @Header('Cache-Control', 'private, max-age=31536000, immutable')
  @Header('X-Content-Type-Options', 'nosniff')
  @ApiOperation({ summary: 'The artifact’s bytes' })
  get(@Param('id', id) aid: string) {
    return this.service.open(aid).then(({ artifact, stream }) => fileResponse(stream, artifact));
  }

  @Get(':id/rgb')
  @Header('Cache-Control', 'private, max-age=31536000, immutable')
  @Header('X-Content-Type-Options', 'nosniff')
  @ApiOperation({
    summary:
      'The image without its alpha, as PNG: the colour under transparent (masked) pixels, which a browser canvas loses',
  })
  rgb(@Param('id', id) aid: string) {
    return this.service.rgb(aid).then((b) => fileResponse(b, { mime: 'image/png' }));
  }

  @Get(':id/thumbnail')
  @Header('Cache-Control', 'private, max-age=31536000, immutable')
  @Header('X-Content-Type-Options', 'nosniff')
  @ApiOperation({ summary: 'A WebP thumbnail that fits in size×size' })
  @ApiQuery({ name: 'size', required: false, type: Number })
  thumbnail(
    @Param('id', id) aid: string,
    @Query(new ZodValidationPipe(thumbnailQuerySchema, 'query')) q: z.output<typeof thumbnailQuerySchema>,
  ) {
    return this.service.thumbnail(aid, q.size).then((b) => fileResponse(b, { mime: 'image/webp' }));
  }
}
