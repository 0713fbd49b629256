import { z } from 'zod';
import { MODEL_KINDS } from '../model.types';
import { MODEL_LAYOUTS } from '../layout/model-layouts.registry';

/** Model ids double as folder names under the models dir, so keep them path-safe. */
export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,99}$/;

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.split('/').includes('..'), {
    message: 'must be a relative path with forward slashes and no ".."',
  });

export const manifestFileSchema = z.object({
  /** What the file is for (the kind's layout names the roles: model, encoder, unet, ...). */
  role: z.string().min(1),
  /** Path inside the source repository. */
  path: relativePath,
  /** Path inside the local model folder; defaults to `path`. */
  local: relativePath.optional(),
  /** Exact size in bytes, or null when not known. */
  size: z.number().int().nonnegative().nullable().default(null),
  /** Rough size for display and disk-space estimates when the exact size is not known. */
  approxSize: z.number().int().nonnegative().optional(),
  /** Lower-case hex sha256, or null when not known (never guessed). */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits')
    .nullable()
    .default(null),
});

export const manifestSourceSchema = z.object({
  type: z.literal('huggingface'),
  repo: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9._-]+$/, 'must be owner/name'),
  /** Branch, tag or commit. Pin a commit where one is known. */
  revision: z.string().min(1).default('main'),
});

export const manifestVariantSchema = z.object({
  dtype: z.string().min(1).optional(),
  description: z.string().optional(),
  files: z.array(manifestFileSchema).default([]),
});

export const manifestModelSchema = z
  .object({
    title: z.string().min(1),
    kind: z.enum(MODEL_KINDS),
    format: z.literal('onnx'),
    license: z.string().optional(),
    homepage: z.string().optional(),
    source: manifestSourceSchema,
    /** Files every variant needs. */
    files: z.array(manifestFileSchema).default([]),
    defaultVariant: z.string().min(1),
    variants: z.record(z.string().regex(/^[A-Za-z0-9._-]+$/), manifestVariantSchema),
    /** Anything a maintainer should know: what is unverified, where facts came from. */
    note: z.string().optional(),
  })
  .superRefine((model, ctx) => {
    if (!(model.defaultVariant in model.variants)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultVariant'],
        message: `"${model.defaultVariant}" is not one of the variants`,
      });
    }
    const layout = MODEL_LAYOUTS[model.kind];
    const knownRoles = new Set(layout.map((r) => r.role));
    for (const [name, variant] of Object.entries(model.variants)) {
      const all = [...model.files, ...variant.files];
      const seenRoles = new Set<string>();
      const seenLocal = new Set<string>();
      for (const f of all) {
        if (!knownRoles.has(f.role)) {
          ctx.addIssue({
            code: 'custom',
            path: ['variants', name],
            message: `role "${f.role}" is not a ${model.kind} role (${[...knownRoles].join(', ')})`,
          });
        }
        if (seenRoles.has(f.role)) {
          ctx.addIssue({
            code: 'custom',
            path: ['variants', name],
            message: `role "${f.role}" appears twice`,
          });
        }
        seenRoles.add(f.role);
        const local = f.local ?? f.path;
        if (seenLocal.has(local)) {
          ctx.addIssue({
            code: 'custom',
            path: ['variants', name],
            message: `local path "${local}" appears twice`,
          });
        }
        seenLocal.add(local);
      }
      for (const spec of layout) {
        if (spec.required && !seenRoles.has(spec.role)) {
          ctx.addIssue({
            code: 'custom',
            path: ['variants', name],
            message: `variant "${name}" lacks a file with role "${spec.role}"`,
          });
        }
      }
    }
  });

export const manifestSchema = z
  .object({
    version: z.literal(1),
    models: z.record(z.string(), manifestModelSchema),
  })
  .superRefine((m, ctx) => {
    for (const id of Object.keys(m.models)) {
      if (!MODEL_ID_PATTERN.test(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', id],
          message: 'model ids are lower-case letters, digits, ".", "_" and "-"',
        });
      }
    }
  });

export type ManifestFile = z.infer<typeof manifestFileSchema>;
export type ManifestSource = z.infer<typeof manifestSourceSchema>;
export type ManifestVariant = z.infer<typeof manifestVariantSchema>;
export type ManifestModel = z.infer<typeof manifestModelSchema>;
export type Manifest = z.infer<typeof manifestSchema>;
/** What a hand-written manifest may omit (defaults filled in by the schema). */
export type ManifestInput = z.input<typeof manifestSchema>;
