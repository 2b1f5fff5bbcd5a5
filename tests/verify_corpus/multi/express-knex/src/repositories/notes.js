const db = require('../db');

const listNotes = () => db('notes').select('id', 'title', 'body', 'pinned').orderBy('id');
const findNote = (id) => db('notes').where({ id }).first();
const addNote = async (title, body) => {
  const [note] = await db('notes').insert({ title, body }).returning(['id', 'title', 'body', 'pinned']);
  return note;
};
const removeNote = (id) => db('notes').where({ id }).del();

module.exports = { listNotes, findNote, addNote, removeNote };
