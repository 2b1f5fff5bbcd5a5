import { Router } from 'express';
import { addNote, findNote, listNotes, removeNote } from '../repositories/notes';
import { NoteIn } from '../schemas';

const router = Router();

router.get('/', async (req, res) => res.json(await listNotes()));
router.post('/', async (req, res) => {
  const parsed = NoteIn.safeParse(req.body);
  if (!parsed.success) return res.status(422).json(parsed.error.issues);
  return res.status(201).json(await addNote(parsed.data.title, parsed.data.body));
});
router.get('/:noteId', async (req, res) => {
  const note = await findNote(Number(req.params.noteId));
  return note ? res.json(note) : res.status(404).json({ error: 'not found' });
});
router.delete('/:noteId', async (req, res) => {
  const removed = await removeNote(Number(req.params.noteId));
  return removed ? res.status(204).end() : res.status(404).json({ error: 'not found' });
});

export default router;
