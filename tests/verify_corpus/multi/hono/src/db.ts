import { PrismaClient } from '@prisma/client';

// The one client of the application: only the repositories use it.
export const prisma = new PrismaClient();
