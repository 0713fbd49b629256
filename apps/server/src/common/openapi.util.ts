import { z } from 'zod';

type SchemaObject = Record<string, unknown>;

/** OpenAPI 3.0 schema of a zod schema: the API's docs derive from the same contract that validates it. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' });
}
