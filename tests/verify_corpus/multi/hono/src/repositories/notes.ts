import { prisma } from '../db';

export const listNotes = () => prisma.note.findMany({ orderBy: { id: 'asc' } });
export const findNote = (id: number) => prisma.note.findUnique({ where: { id } });
export const addNote = (title: string, body: string | null) => prisma.note.create({ data: { title, body } });
export const removeNote = (id: number) => prisma.note.deleteMany({ where: { id } });
