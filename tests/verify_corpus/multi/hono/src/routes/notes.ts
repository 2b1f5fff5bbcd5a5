import { Hono } from 'hono';
import { addNote, findNote, listNotes, removeNote } from '../repositories/notes';
import { NoteIn } from '../schemas';

const notes = new Hono();

notes.get('/', async (c) => c.json(await listNotes()));
notes.post('/', async (c) => {
  const { title, body } = NoteIn.parse(await c.req.json());
  return c.json(await addNote(title, body), 201);
});
notes.get('/:noteId', async (c) => {
  const note = await findNote(Number(c.req.param('noteId')));
  return note ? c.json(note) : c.json({ error: 'not found' }, 404);
});
notes.delete('/:noteId', async (c) => {
  const { count } = await removeNote(Number(c.req.param('noteId')));
  return count ? c.body(null, 204) : c.json({ error: 'not found' }, 404);
});

export default notes;
