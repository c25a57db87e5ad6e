/** RFC 9457 problem details, the one error body the service answers with. */
import { z } from 'zod';

export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the problem type, e.g. urn:fsc-handoff:problem:validation'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().describe('Stable error code, e.g. VALIDATION_FAILED'),
    requestId: z.string(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }).strict())
      .optional()
      .describe('Every offending field, as a JSON pointer-ish dotted path'),
    actions: z.array(z.string()).optional().describe('How to fix it'),
  })
  .strict();

export type Problem = z.infer<typeof problemSchema>;
