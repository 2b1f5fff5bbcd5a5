import { z } from 'zod';

export const NoteIn = z.object({ title: z.string().min(1).max(200), body: z.string().nullable().default(null) });
