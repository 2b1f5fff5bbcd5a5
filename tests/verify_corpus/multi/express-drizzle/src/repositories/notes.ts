import { asc, eq } from 'drizzle-orm';
import { db } from '../db';
import { notes } from '../schema';

export const listNotes = () => db.select().from(notes).orderBy(asc(notes.id));
export const findNote = async (id: number) => (await db.select().from(notes).where(eq(notes.id, id)))[0];
export const addNote = async (title: string, body: string | null) =>
  (await db.insert(notes).values({ title, body }).returning())[0];
export const removeNote = async (id: number) => (await db.delete(notes).where(eq(notes.id, id)).returning()).length;
