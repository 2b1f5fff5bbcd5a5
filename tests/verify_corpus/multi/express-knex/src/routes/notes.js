const express = require('express');
const notes = require('../repositories/notes');
const { NoteIn } = require('../schemas');

const router = express.Router();

router.get('/', async (req, res) => res.json(await notes.listNotes()));
router.post('/', async (req, res) => {
  const { error, value } = NoteIn.validate(req.body);
  if (error) return res.status(422).json({ error: error.message });
  return res.status(201).json(await notes.addNote(value.title, value.body ?? null));
});
router.get('/:noteId', async (req, res) => {
  const note = await notes.findNote(Number(req.params.noteId));
  return note ? res.json(note) : res.status(404).json({ error: 'not found' });
});
router.delete('/:noteId', async (req, res) => {
  const removed = await notes.removeNote(Number(req.params.noteId));
  return removed ? res.status(204).end() : res.status(404).json({ error: 'not found' });
});

module.exports = router;
